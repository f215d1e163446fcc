"""What the council's official papers say, read from the council's records (no second
bookkeeping): a session's protocol and the annual report. Rendered by council/tasks.py."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from documents.models import DocumentType, Stage
from documents.papers import PaperFacts, Signatory
from documents.pdf import base_language

from .models import AnnualReport, Council, Protocol
from .rendering import PROTOCOL_WORDS, AnnualReportData, ProtocolData, ProtocolItem
from .selectors import year_figures


def protocol_data(protocol: Protocol, *, language: str) -> ProtocolData:
    session = protocol.session
    council = protocol.council
    attendance = list(session.attendance.select_related("user").order_by("user__last_name"))
    items = list(session.items.order_by("position"))
    return ProtocolData(
        language=language,
        school_name=council.school.name,
        number=protocol.number,
        academic_year=str(council.academic_year),
        session_on=session.date,
        place=session.place,
        chair_name=council.chair.get_short_name(),
        secretary_name=(council.secretary.get_short_name() if council.secretary else ""),
        present=[a.user.get_full_name() for a in attendance if a.present],
        absent=[a.user.get_full_name() for a in attendance if not a.present],
        members_total=council.members.count(),
        agenda=[item.title for item in items],
        items=[
            ProtocolItem(
                number=item.position,
                title=item.title,
                heard=item.heard,
                speakers=item.speakers,
                resolution=item.resolution,
                votes_for=item.votes_for,
                votes_against=item.votes_against,
                votes_abstained=item.votes_abstained,
            )
            for item in items
        ],
        secretary_elected=(
            session.secretary_elected.get_full_name() if session.secretary_elected else None
        ),
    )


def annual_report_data(council: Council, directions: str, language: str) -> AnnualReportData:
    figures = year_figures(council)
    with translation.override(language):
        type_labels = dict(DocumentType.choices)
        stage_labels = dict(Stage.choices)
        return AnnualReportData(
            language=language,
            school_name=council.school.name,
            academic_year=str(council.academic_year),
            documents_by_type=[
                (
                    str(type_labels[t]),
                    {str(stage_labels[s]): n for s, n in sorted(counts.items())},
                )
                for t, counts in sorted(figures["by_type"].items())
            ],
            recommendations_made=figures["recommendations_made"],
            recommendations_answered=figures["recommendations_answered"],
            sessions_per_quarter=[
                (_("Quarter %(n)s") % {"n": q}, n) for q, n in enumerate(figures["per_quarter"], 1)
            ],
            attendance_rate=figures["attendance_rate"],
            sessions=[
                (s.protocol.number, s.date, (s.present / s.listed) if s.listed else 0.0)
                for s in figures["held"]
            ],
            directions=directions,
        )


# -- what the verification page says of each paper (documents/papers.py) -----------------
# Copied at issue time from what the paper prints, in the paper's language: the page shows
# the paper, not today's state of the records.


def protocol_facts(protocol: Protocol, *, language: str) -> PaperFacts:
    council = protocol.council
    words = PROTOCOL_WORDS[base_language(language)]
    title = " ".join(words["title"].format(number=protocol.number).split())
    signatories = [Signatory(name=council.chair.get_short_name(), role="chair", position="")]
    if council.secretary:
        signatories.append(
            Signatory(name=council.secretary.get_short_name(), role="secretary", position="")
        )
    return PaperFacts(
        school_id=council.school_id,
        title=f"{title} {words['subtitle']}".strip(),
        number=f"№{protocol.number} · {council.academic_year}",
        approved_on=timezone.localdate(protocol.confirmed_at) if protocol.confirmed_at else None,
        signatories=signatories,
    )


def annual_report_facts(report: AnnualReport, *, language: str) -> PaperFacts:
    council = report.council
    with translation.override(base_language(language)):
        title = _(
            "Report on the work of the scientific-methodical council in the %(year)s academic year"
        ) % {"year": council.academic_year}
    return PaperFacts(
        school_id=council.school_id,
        title=title,
        number=str(council.academic_year),
        approved_on=timezone.localdate(report.generated_at),
        signatories=[Signatory(name=council.chair.get_short_name(), role="chair", position="")],
    )
