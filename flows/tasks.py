"""Celery tasks of the flow: viewflow's timers, and the PDFs that follow a step.

Rendering never runs in a request or under the flow lock: the step enqueues it after
commit; if the broker is down then, the periodic sweep finds the missing file later. Each
task is idempotent: a file already there is not rendered again, and of two concurrent
renders only the first conditional UPDATE wins.

Every official PDF is issued as a verifiable paper (documents/papers.py): a code reserved
before rendering is printed on it, the PDF is signed with the school's certificate when one
is configured, and the paper becomes valid in the same transaction that stores the file."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model, Q
from django.urls import reverse
from django.utils import translation

from common.broker import enqueue_on_commit
from documents.papers import PaperFacts, code_display, paper_issue, paper_reserve, verification_url
from documents.pdf import Rendered, Verification

logger = logging.getLogger(__name__)


@shared_task(name="flows.tasks.fire_workflow_timers", ignore_result=True)
def fire_workflow_timers() -> dict[str, int]:
    """Fire viewflow's database timers (open-source viewflow ships no Celery task for it).

    Each due timer is re-checked under the flow lock, so overlapping sweeps never fire one
    twice; the beat entry's `expires` keeps sweeps from piling up."""
    from viewflow.workflow.timers import fire_due_conditions, fire_due_start_timers, fire_due_timers

    return {
        "timers": fire_due_timers(),
        "start_timers": fire_due_start_timers(),
        "conditions": fire_due_conditions(),
    }


def approval_sheet_enqueue(document_id: int) -> None:
    enqueue_on_commit("flows.tasks.render_approval_sheet", document_id)


def store_once(model, pk: int, field: str, name: str, data: bytes) -> bool:
    """Save `data` and point the row's empty `field` at it; False if another worker won."""
    stored = default_storage.save(name, ContentFile(data))
    won = model.objects.filter(pk=pk, **{field: ""}).update(**{field: stored})
    if not won:
        default_storage.delete(stored)
    return bool(won)


def issue_paper(
    *,
    model: type[Model],
    pk: int,
    field: str,
    name: str,
    kind: str,
    school_name: str,
    facts: PaperFacts,
    build: Callable[[Verification], Rendered],
) -> bool:
    """Render, sign and store an official PDF as a verifiable paper; False if another
    worker stored it first (its paper stands, ours is never shown)."""
    from documents.models import PaperKind
    from documents.signing import SignatureBox, sign_pdf

    paper = paper_reserve(kind=kind, object_id=pk, school=facts.school_id)
    rendered = build(
        Verification(
            code=code_display(paper.code),
            url=verification_url(paper.code),
            check_url=settings.SITE_URL + reverse("verify:start"),
        )
    )
    box = None
    if rendered.signature_boxes:
        first = rendered.signature_boxes[0]
        box = SignatureBox(first.page - 1, *first.in_points(rendered.page_height))
    with translation.override(settings.OFFICIAL_DOCUMENT_LANGUAGE):
        reason = f"{PaperKind(kind).label} {facts.number}".strip()
    signed = sign_pdf(rendered.data, box=box, reason=reason, location=school_name)
    stored = default_storage.save(name, ContentFile(signed.data))
    with transaction.atomic():
        won = model.objects.filter(pk=pk, **{field: ""}).update(**{field: stored})
        if won:
            paper_issue(
                paper=paper,
                facts=facts,
                pdf_sha256=hashlib.sha256(signed.data).hexdigest(),
                signed_by=signed.signed_by,
            )
    if not won:
        default_storage.delete(stored)
    return bool(won)


@shared_task(name="flows.tasks.render_approval_sheet", ignore_result=True)
def render_approval_sheet(document_id: int) -> bool:
    from documents.models import Document, PaperKind, Stage
    from documents.pdf import build_approval_sheet

    from .reports import approval_sheet_data, approval_sheet_facts

    document = (
        Document.objects.filter(pk=document_id, stage=Stage.APPROVED)
        .select_related("school", "approved_by")
        .first()
    )
    if document is None or document.approval_sheet:
        return False
    data = approval_sheet_data(document, language=settings.OFFICIAL_DOCUMENT_LANGUAGE)
    return issue_paper(
        model=Document,
        pk=document.pk,
        field="approval_sheet",
        name=f"approval-sheets/{document.school_id}/{document.registry_number}.pdf",
        kind=PaperKind.APPROVAL_SHEET,
        school_name=document.school.name,
        facts=approval_sheet_facts(document),
        build=lambda verification: build_approval_sheet(
            dataclasses.replace(data, verification=verification)
        ),
    )


@shared_task(name="flows.tasks.render_protocol", ignore_result=True)
def render_protocol(protocol_id: int) -> bool:
    from council.models import Protocol
    from council.rendering import build_protocol_pdf, render_protocol_docx
    from documents.models import PaperKind

    from .reports import protocol_data, protocol_facts

    protocol = Protocol.objects.filter(pk=protocol_id, confirmed_at__isnull=False).first()
    if protocol is None:
        return False
    data = protocol_data(protocol, language=settings.OFFICIAL_DOCUMENT_LANGUAGE)
    stem = f"protocols/{protocol.council.school_id}/{protocol.council_id}-{protocol.number}"
    done = False
    if not protocol.pdf:
        done |= issue_paper(
            model=Protocol,
            pk=protocol.pk,
            field="pdf",
            name=f"{stem}.pdf",
            kind=PaperKind.PROTOCOL,
            school_name=protocol.council.school.name,
            facts=protocol_facts(protocol, language=settings.OFFICIAL_DOCUMENT_LANGUAGE),
            build=lambda verification: build_protocol_pdf(
                dataclasses.replace(data, verification=verification)
            ),
        )
    if not protocol.docx:
        done |= store_once(
            Protocol, protocol.pk, "docx", f"{stem}.docx", render_protocol_docx(data)
        )
    return done


@shared_task(name="flows.tasks.render_annual_report", ignore_result=True)
def render_annual_report(report_id: int) -> bool:
    from council.models import AnnualReport
    from council.rendering import build_annual_report_pdf
    from documents.models import PaperKind

    from .reports import annual_report_data, annual_report_facts

    report = AnnualReport.objects.filter(pk=report_id).first()
    if report is None or report.pdf:
        return False
    data = annual_report_data(
        report.council, report.directions, settings.OFFICIAL_DOCUMENT_LANGUAGE
    )
    return issue_paper(
        model=AnnualReport,
        pk=report.pk,
        field="pdf",
        name=f"reports/{report.council.school_id}/{report.council_id}.pdf",
        kind=PaperKind.ANNUAL_REPORT,
        school_name=report.council.school.name,
        facts=annual_report_facts(report, language=settings.OFFICIAL_DOCUMENT_LANGUAGE),
        build=lambda verification: build_annual_report_pdf(
            dataclasses.replace(data, verification=verification)
        ),
    )


@shared_task(name="flows.tasks.render_missing_files", ignore_result=True)
def render_missing_files() -> dict[str, int]:
    """The sweep: whatever should have a file and has none is enqueued again."""
    from council.models import AnnualReport, Protocol
    from documents.models import Document, Stage

    counts = {"approval_sheets": 0, "protocols": 0, "reports": 0}
    for pk in Document.objects.filter(stage=Stage.APPROVED, approval_sheet="").values_list(
        "pk", flat=True
    ):
        render_approval_sheet.delay(pk)
        counts["approval_sheets"] += 1
    for pk in (
        Protocol.objects.filter(confirmed_at__isnull=False)
        .filter(Q(pdf="") | Q(docx=""))
        .values_list("pk", flat=True)
    ):
        render_protocol.delay(pk)
        counts["protocols"] += 1
    for pk in AnnualReport.objects.filter(pdf="").values_list("pk", flat=True):
        render_annual_report.delay(pk)
        counts["reports"] += 1
    return counts


@shared_task(name="flows.tasks.council_time", ignore_result=True)
def council_time() -> dict[str, int]:
    """Review reminders and escalations, agendas, quarter and protocol reminders."""
    from council.services import council_tasks_due

    from .notices import council_time as council_reminders
    from .notices import deadlines_fire

    return {
        "deadlines": deadlines_fire(),
        **council_reminders(),
        "council_tasks": council_tasks_due(),
    }
