"""What the official documents say, read from the records the flow wrote (no second
bookkeeping): the approval sheet of a document, a session's protocol, the annual report."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from council.models import AgendaItem, AnnualReport, Council, Protocol
from council.rendering import PROTOCOL_WORDS, AnnualReportData, ProtocolData, ProtocolItem
from council.selectors import year_figures
from documents.models import Document, DocumentType, ExpertiseRound, Stage
from documents.papers import PaperFacts, Signatory
from documents.pdf import ApprovalSheetData, ExpertRow, RoundRow, base_language


def approval_sheet_data(document: Document, *, language: str) -> ApprovalSheetData:
    with translation.override(language):
        rounds = [
            RoundRow(
                number=r.number,
                version=r.version.number,
                due_date=r.due_date,
                experts=[
                    ExpertRow(
                        name=review.expert.get_short_name(),
                        opinion=str(review.get_opinion_display()),
                        submitted_on=review.submitted_at.date() if review.submitted_at else None,
                    )
                    for review in r.reviews.all()
                ],
                decision=str(r.get_decision_display()),
                decided_on=r.decided_at.date() if r.decided_at else None,
            )
            for r in ExpertiseRound.objects.filter(document=document)
            .select_related("version")
            .prefetch_related("reviews__expert")
            .order_by("number")
        ]
        item = (
            AgendaItem.objects.filter(
                document=document,
                decision=AgendaItem.Decision.RECOMMEND_APPROVAL,
                session__protocol__confirmed_at__isnull=False,
            )
            .select_related("session__protocol")
            .order_by("-session__date")
            .first()
        )
        approver = document.approved_by
        return ApprovalSheetData(
            language=language,
            school_name=document.school.name,
            document_title=document.title,
            document_type=str(document.get_doc_type_display()),
            author_name=document.author.get_full_name() or document.author.username,
            registry_number=document.registry_number,
            version_number=document.version_count,
            reviewed_protocol_number=document.pedagogical_protocol_number,
            reviewed_on=document.pedagogical_reviewed_on,
            approver_position=document.approver_position or (approver.position if approver else ""),
            approver_name=approver.get_short_name() if approver else "",
            approved_on=document.approved_at.date(),
            council_protocol_number=str(item.session.protocol.number) if item else None,
            council_session_on=item.session.date if item else None,
            rounds=rounds,
        )


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


def approval_sheet_facts(document: Document) -> PaperFacts:
    approver = document.approved_by
    version = document.versions.filter(number=document.version_count).first()
    return PaperFacts(
        school_id=document.school_id,
        title=document.title,
        number=document.registry_number,
        approved_on=timezone.localdate(document.approved_at) if document.approved_at else None,
        signatories=[
            Signatory(
                name=approver.get_short_name() if approver else "",
                role="approver",
                position=document.approver_position or (approver.position if approver else ""),
            )
        ],
        version_sha256=version.sha256 if version else "",
    )


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
