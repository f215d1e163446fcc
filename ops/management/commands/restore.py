"""`manage.py restore DIR`: a backup made by `manage.py backup` into an empty database
(DATABASE_URL) and an empty MEDIA_ROOT; every file is checked against its SHA-256.
Run `manage.py migrate` afterwards when the code is newer than the backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup folder into an empty database and an empty MEDIA_ROOT."
    # The database is empty until the restore: checks that read tables would fail.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="a folder written by manage.py backup")

    def handle(self, *args: Any, source: Path, **options: Any) -> None:
        try:
            restored = backup_restore(source=source)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"restored the database and {restored['files']} files from {source}")
