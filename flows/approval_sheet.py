"""The approval sheet of an approved document: what it prints, read from the records the
flow wrote (no second bookkeeping), and what its verification page says. Rendered by
flows.tasks.render_approval_sheet; the council's papers (protocols, the annual report) are
council/papers.py."""

from __future__ import annotations

from django.utils import timezone, translation

from council.models import AgendaItem
from documents.models import Document, ExpertiseRound
from documents.papers import PaperFacts, Signatory
from documents.pdf import ApprovalSheetData, ExpertRow, RoundRow


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


# What the verification page says of the sheet (documents/papers.py): copied at issue time
# from what the sheet prints, so the page shows the paper, not today's state of the records.


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
