"""Backups: the database and the uploaded files, in one folder, restorable elsewhere.

A backup folder holds
- ``database.dump``: ``pg_dump --format=custom`` (PostgreSQL), or ``database.sqlite3``: a
  copy made with SQLite's online backup API (the embedded default);
- ``media.tar``: every file under ``MEDIA_ROOT`` (not compressed: the uploads are PDFs and
  zips already);
- ``manifest.json``: when, what database, and each media file's size and SHA-256, which the
  restore checks after unpacking.

The database is dumped first, then the files: an upload is stored before the transaction
that refers to it commits, so every file the dump refers to is already on disk when the
files are archived (a newer file may come along; it does no harm).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = {**os.environ}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    sslmode = db.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return env


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupError(f"{argv[0]} is not installed (Debian: postgresql-client)")
    # argv is ours (pg_dump/pg_restore and settings values), never user input.
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {result.stderr.strip()[-2000:]}")


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def backup_create(*, output: Path) -> Path:
    """Write a backup of the database and MEDIA_ROOT into the new folder `output`."""
    if output.exists() and any(output.iterdir()):
        raise BackupError(f"{output} is not empty")
    output.mkdir(parents=True, exist_ok=True)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        database_file = "database.dump"
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={output / database_file}",
                db["NAME"],
            ],
            env=_pg_env(db),
        )
    elif connection.vendor == "sqlite":
        database_file = "database.sqlite3"
        source = sqlite3.connect(db["NAME"])
        target = sqlite3.connect(output / database_file)
        try:
            source.backup(target)  # consistent while web, worker and beat keep writing
        finally:
            target.close()
            source.close()
    else:
        raise BackupError(f"{connection.vendor} databases are not supported")

    media_root = Path(settings.MEDIA_ROOT)
    files = {}
    with tarfile.open(output / "media.tar", "w") as archive:
        for path in _media_files(media_root):
            relative = path.relative_to(media_root).as_posix()
            files[relative] = {"size": path.stat().st_size, "sha256": _sha256(path)}
            archive.add(path, arcname=relative, recursive=False)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "database": {"vendor": connection.vendor, "file": database_file},
        "media": files,
    }
    (output / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return output


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def backup_restore(*, source: Path) -> dict[str, int]:
    """Restore the backup in `source` into the configured database and MEDIA_ROOT, both
    empty (a restore never merges into live data). Every file's SHA-256 is checked."""
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} is not a backup: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"the backup is of a {vendor} database, this is {connection.vendor}")
    media_root = Path(settings.MEDIA_ROOT)
    if _media_files(media_root):
        raise BackupError(f"MEDIA_ROOT ({media_root}) is not empty")
    if not _database_is_empty():
        raise BackupError(f"the database {connection.settings_dict['NAME']} is not empty")

    db = connection.settings_dict
    dump = source / manifest["database"]["file"]
    if vendor == "postgresql":
        connection.close()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={db['NAME']}",
                str(dump),
            ],
            env=_pg_env(db),
        )
    else:
        connection.close()
        target = sqlite3.connect(db["NAME"])
        backup = sqlite3.connect(dump)
        try:
            backup.backup(target)
        finally:
            backup.close()
            target.close()

    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / "media.tar") as archive:
        # "data": no absolute paths, no "..", no links out, no devices.
        archive.extractall(media_root, filter="data")
    for relative, expected in manifest["media"].items():
        path = media_root / relative
        if not path.is_file() or _sha256(path) != expected["sha256"]:
            raise BackupError(f"{relative} is missing or differs from the backup")
    return {"files": len(manifest["media"])}
