"""`manage.py papers_reissue`: official PDFs rendered before they carried a verification
code (or whose paper record was lost) are rendered again, with a code and a signature.

The old file is removed and the worker renders the new one (the sweep catches up if the
broker is down); a paper already issued for the record is never touched."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from common.broker import enqueue_on_commit
from council.models import AnnualReport, Protocol
from council.tasks import render_annual_report, render_protocol
from documents.models import Document, OfficialPaper, PaperKind, PaperStatus, Stage
from flows.tasks import render_approval_sheet

TARGETS = (
    # (kind, model, file field, rows that should have an official PDF, render task)
    (
        PaperKind.APPROVAL_SHEET,
        Document,
        "approval_sheet",
        {"stage": Stage.APPROVED},
        render_approval_sheet.name,
    ),
    (
        PaperKind.PROTOCOL,
        Protocol,
        "pdf",
        {"confirmed_at__isnull": False},
        render_protocol.name,
    ),
    (PaperKind.ANNUAL_REPORT, AnnualReport, "pdf", {}, render_annual_report.name),
)


class Command(BaseCommand):
    help = "Render again the official PDFs that have no verification code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count them")

    def handle(self, *args: Any, **options: Any) -> None:
        for kind, model, field, should, task in TARGETS:
            issued = OfficialPaper.objects.filter(kind=kind).exclude(status=PaperStatus.PENDING)
            rows = (
                model.objects.filter(**should)
                .exclude(**{field: ""})
                .exclude(pk__in=issued.values("object_id"))
                .values_list("pk", field)
            )
            count = 0
            for pk, name in rows.iterator():
                count += 1
                if options["dry_run"]:
                    continue
                with transaction.atomic():
                    # Conditional: a file a worker replaced meanwhile is left alone.
                    if model.objects.filter(pk=pk, **{field: name}).update(**{field: ""}):
                        storage = model._meta.get_field(field).storage
                        transaction.on_commit(lambda s=storage, n=name: s.delete(n))
                        enqueue_on_commit(task, pk)
            verb = "would be rendered again" if options["dry_run"] else "rendered again"
            self.stdout.write(f"{kind}: {count} {verb}")
