"""Celery tasks of the council: its papers (protocol PDF and DOCX, the annual report), the
sweep that renders whichever of them is missing, and the council's time (reminders and
inbox steps), run every minute by the beat.

Rendering never runs in a request: the write enqueues it after commit; if the broker is
down then, the sweep finds the missing file later. Each task is idempotent: a file already
there is not rendered again, and of two concurrent renders only the first conditional
UPDATE wins. Every PDF is issued as a verifiable paper (documents.papers.issue_paper)."""

from __future__ import annotations

import dataclasses

from celery import shared_task
from django.conf import settings
from django.db.models import Q

from common.broker import enqueue_on_commit
from documents.papers import issue_paper, store_once


def protocol_render_enqueue(protocol_id: int) -> None:
    enqueue_on_commit(render_protocol.name, protocol_id)


def annual_report_render_enqueue(report_id: int) -> None:
    enqueue_on_commit(render_annual_report.name, report_id)


@shared_task(name="council.tasks.render_protocol", ignore_result=True)
def render_protocol(protocol_id: int) -> bool:
    from documents.models import PaperKind

    from .models import Protocol
    from .papers import protocol_data, protocol_facts
    from .rendering import build_protocol_pdf, render_protocol_docx

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


@shared_task(name="council.tasks.render_annual_report", ignore_result=True)
def render_annual_report(report_id: int) -> bool:
    from documents.models import PaperKind

    from .models import AnnualReport
    from .papers import annual_report_data, annual_report_facts
    from .rendering import build_annual_report_pdf

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


@shared_task(name="council.tasks.render_missing_files", ignore_result=True)
def render_missing_files() -> dict[str, int]:
    """The council's sweep: a confirmed protocol without its PDF or DOCX, an annual report
    without its PDF, is enqueued again (the approval sheets are the flow's sweep)."""
    from .models import AnnualReport, Protocol

    counts = {"protocols": 0, "reports": 0}
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


@shared_task(name="council.tasks.council_time", ignore_result=True)
def council_time() -> dict[str, int]:
    """Agendas, quarter and protocol reminders, and the inbox steps of sessions whose day
    has come. (Review deadlines are not the council's: the flow runs its own job.)"""
    from .notices import council_reminders
    from .services import council_tasks_due

    return {**council_reminders(), "council_tasks": council_tasks_due()}
