"""`manage.py backup` / `manage.py restore`: the demo school (documents at every stage,
some in their second version) backed up from the test database and restored into a fresh
PostgreSQL database and a fresh media folder by another process, as an operator would on
a new server. Everything comes back: each document, each version's file with its SHA-256,
the whole timeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from documents.models import Document
from tests.project.fingerprint import fingerprint
from tests.project.support import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def _server(dbname: str) -> dict:
    db = connection.settings_dict
    return {
        "dbname": dbname,
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
    }


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_prod_restore"
    with psycopg.connect(**_server("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    s = _server(name)
    yield f"postgres://{s['user']}:{s['password']}@{s['host']}:{s['port']}/{name}"
    with psycopg.connect(**_server("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def elsewhere(database_url: str, media: Path, *argv: str) -> subprocess.CompletedProcess:
    """A process of the restored server: its own database and media folder."""
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media)}
    env.pop("DJANGO_TEST_DB_NAME", None)
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_backup_restores_every_document_version_file_and_the_timeline(
    settings, tmp_path, fresh_database
):
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Document.objects.filter(version_count__gte=2).exists(), "a document in version 2"
    before = fingerprint()
    assert len(before["versions"]) >= 5 and len(before["timeline"]) >= 20
    assert all(v["file_sha256"] == v["sha256"] for v in before["versions"])

    backup = tmp_path / "backup"
    call_command("backup", output=backup, stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert sorted(p.name for p in backup.iterdir()) == [
        "database.dump",
        "manifest.json",
        "media.tar",
    ]

    media = tmp_path / "restored-media"
    result = elsewhere(fresh_database, media, "manage.py", "restore", str(backup))
    assert result.returncode == 0, result.stderr
    files = json.loads((backup / "manifest.json").read_text())["media"]
    assert len(files) >= len(before["versions"])
    assert f"restored the database and {len(files)} files" in result.stdout

    result = elsewhere(fresh_database, media, "-m", "tests.project.fingerprint")
    assert result.returncode == 0, result.stderr
    after = json.loads(result.stdout)
    assert after == json.loads(json.dumps(before, default=str))

    # The restored server is up to date and takes new writes (sequences restored too).
    result = elsewhere(fresh_database, media, "manage.py", "migrate", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_restore_refuses_a_database_or_media_folder_in_use(settings, tmp_path, fresh_database):
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    backup = tmp_path / "backup"
    call_command("backup", output=backup, stdout=open(os.devnull, "w"))  # noqa: SIM115

    # Into this very database (not empty): refused, nothing touched.
    s = _server(connection.settings_dict["NAME"])
    live = f"postgres://{s['user']}:{s['password']}@{s['host']}:{s['port']}/{s['dbname']}"
    result = elsewhere(live, tmp_path / "empty-media", "manage.py", "restore", str(backup))
    assert result.returncode != 0
    assert "is not empty" in result.stderr

    # Into a media folder that holds files: refused.
    used = tmp_path / "used-media"
    used.mkdir()
    (used / "keep.txt").write_text("x")
    result = elsewhere(fresh_database, used, "manage.py", "restore", str(backup))
    assert "MEDIA_ROOT" in result.stderr and result.returncode != 0

    # A file changed after the backup: the restore says which.
    manifest = json.loads((backup / "manifest.json").read_text())
    name = next(iter(manifest["media"]))
    manifest["media"][name]["sha256"] = "0" * 64
    (backup / "manifest.json").write_text(json.dumps(manifest))
    result = elsewhere(
        fresh_database, tmp_path / "fresh-media", "manage.py", "restore", str(backup)
    )
    assert result.returncode != 0
    assert f"{name} is missing or differs from the backup" in result.stderr


def embedded(run_dir: Path, *argv: str) -> subprocess.CompletedProcess:
    """A process of the embedded default (SQLite, no services) in its own .run/ folder."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "APP_RUN_DIR": str(run_dir),
        "DJANGO_DEBUG": "1",
    }
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_embedded_default_backs_up_and_restores_too(tmp_path):
    old, new, backup = tmp_path / "old", tmp_path / "new", tmp_path / "backup"
    for argv in (["migrate", "-v0"], ["load_demo"], ["backup", f"--output={backup}"]):
        result = embedded(old, "manage.py", *argv)
        assert result.returncode == 0, result.stderr
    assert (backup / "database.sqlite3").exists()

    result = embedded(new, "manage.py", "restore", str(backup))
    assert result.returncode == 0, result.stderr
    before = embedded(old, "-m", "tests.project.fingerprint")
    after = embedded(new, "-m", "tests.project.fingerprint")
    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert len(json.loads(after.stdout)["versions"]) >= 5
