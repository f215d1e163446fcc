"""Staff import for a district administrator, over many schools: each row names its
school (name, short name or id), which must be one of the district's.

    manage.py import_staff staff.xlsx --as district            # a dry run: the preview
    manage.py import_staff staff.xlsx --as district --apply    # create or update
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts.models import User
from accounts.staff_import import (
    schools_of,
    staff_file_read,
    staff_import_apply,
    staff_import_check,
)


class Command(BaseCommand):
    help = "Import staff of the district's schools from XLSX or CSV (a dry run unless --apply)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as", dest="actor", required=True, help="username of the district administrator"
        )
        parser.add_argument("--apply", action="store_true", help="create and update people")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["actor"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {options['actor']!r}.")
        if actor.school_id is not None or not schools_of(actor):
            raise CommandError(
                f"{actor.username} administers no district (a school administrator uses the "
                "staff import page)."
            )
        translation.activate(actor.language)
        path: Path = options["file"]
        try:
            upload = SimpleUploadedFile(path.name, path.read_bytes())
        except OSError as error:
            raise CommandError(str(error)) from error
        try:
            rows = staff_file_read(upload=upload)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if options["apply"]:
            report = staff_import_apply(actor=actor, rows=rows)
            results = report.results
        else:
            results = staff_import_check(actor=actor, rows=rows)
        for result in results:
            if result.errors:
                self.stdout.write(f"{result.row.line}: {'; '.join(result.errors)}")
        counts = {
            a: sum(1 for r in results if r.action == a)
            for a in ("create", "update", "unchanged", "error")
        }
        verb = "done" if options["apply"] else "dry run (add --apply to import)"
        self.stdout.write(
            f"{verb}: {counts['create']} new, {counts['update']} updated, "
            f"{counts['unchanged']} unchanged, {counts['error']} with errors"
        )
