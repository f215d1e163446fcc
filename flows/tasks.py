"""Celery tasks of the flow: viewflow's timers, the reviews' deadlines, and the approval
sheet that follows the director's approval (the council's papers and time are
council/tasks.py).

Rendering never runs in a request or under the flow lock: the step enqueues it after
commit; if the broker is down then, the periodic sweep finds the missing file later. Each
task is idempotent: a file already there is not rendered again, and of two concurrent
renders only the first conditional UPDATE wins. The sheet is issued as a verifiable paper
(documents.papers.issue_paper)."""

from __future__ import annotations

import dataclasses

from celery import shared_task
from django.conf import settings

from common.broker import enqueue_on_commit
from documents.papers import issue_paper


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


@shared_task(name="flows.tasks.render_approval_sheet", ignore_result=True)
def render_approval_sheet(document_id: int) -> bool:
    from documents.models import Document, PaperKind, Stage
    from documents.pdf import build_approval_sheet

    from .approval_sheet import approval_sheet_data, approval_sheet_facts

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


@shared_task(name="flows.tasks.render_missing_files", ignore_result=True)
def render_missing_files() -> dict[str, int]:
    """The flow's sweep: an approved document without its approval sheet is enqueued again
    (the council's papers are council.tasks.render_missing_files)."""
    from documents.models import Document, Stage

    counts = {"approval_sheets": 0}
    for pk in Document.objects.filter(stage=Stage.APPROVED, approval_sheet="").values_list(
        "pk", flat=True
    ):
        render_approval_sheet.delay(pk)
        counts["approval_sheets"] += 1
    return counts


@shared_task(name="flows.tasks.review_deadlines", ignore_result=True)
def review_deadlines() -> dict[str, int]:
    """Reviews' reminders (due soon, due today) and escalations (overdue, the chair told)."""
    from .notices import deadlines_fire

    return {"deadlines": deadlines_fire()}
