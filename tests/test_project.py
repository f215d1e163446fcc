"""Project-wide guarantees: migrations complete, production checks clean, catalogs
complete and compiled."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = sorted(
    [
        *ROOT.glob("locale/*/LC_MESSAGES/*.po"),
        *ROOT.glob("locale_viewflow/*/LC_MESSAGES/*.po"),
        *ROOT.glob("locale_thirdparty/*/LC_MESSAGES/*.po"),
    ]
)


@pytest.mark.django_db
def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_settings_pass_check_deploy(tmp_path):
    from documents.management.commands.papers_certificate import self_signed_pkcs12

    certificate = tmp_path / "school.p12"
    certificate.write_bytes(self_signed_pkcs12(name="№94", password="check", days=30))
    env = {
        **os.environ,
        "SITE_URL": "https://council.example.org",
        "PAPERS_SIGNING_PKCS12": str(certificate),
        "PAPERS_SIGNING_PASSWORD": "check",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 30 + "production-like-secret-key-for-the-check-only",
        "DJANGO_ALLOWED_HOSTS": "council.example.org",
        "DJANGO_SECURE_SSL": "1",
        "DJANGO_STATIC_MANIFEST": "1",
        "EMAIL_HOST": "smtp.example.org",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    env.pop("DJANGO_HSTS_SECONDS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_key_is_refused_in_production():
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalog_is_complete_and_compiled(po: Path, tmp_path: Path):
    stats = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "out.mo"), str(po)],
        capture_output=True,
        text=True,
    )
    assert stats.returncode == 0, stats.stderr
    assert "untranslated" not in stats.stderr and "fuzzy" not in stats.stderr, stats.stderr
    compiled = po.with_suffix(".mo")
    assert compiled.exists(), f"{compiled} is missing: run `make messages`"
    assert compiled.read_bytes() == (tmp_path / "out.mo").read_bytes(), (
        f"{compiled} is older than its .po: run `make messages`"
    )


def msgids(po: Path) -> set[str]:
    text = po.read_text(encoding="utf-8")
    ids = set()
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        match = re.search(
            r'^(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?msgid ((?:"(?:[^"\\]|\\.)*"\n?)+)', block, re.M
        )
        if match:
            msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(2)))
            if msgid:
                ids.add(f"{match.group(1) or ''}\x04{msgid}")
    return ids


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
@pytest.mark.parametrize("language", ["ky", "ru"])
def test_every_string_in_the_code_is_in_the_catalogs(language: str, tmp_path: Path):
    """Run makemessages on a copy of the sources: it must find nothing new."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            ".run",
            "staticfiles",
            "node_modules",
            "__pycache__",
            "locale_viewflow",
            "locale_thirdparty",
            "bench",
        ),
    )
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            language,
            "--no-obsolete",
            "-i",
            ".venv/*",
            "-i",
            "locale_viewflow/*",
        ],
        cwd=copy,
        env={**os.environ, "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = msgids(copy / "locale" / language / "LC_MESSAGES" / "django.po")
    committed = msgids(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")
    assert fresh - committed == set(), "strings missing from the catalog: run `make messages`"


def test_a_claim_timeout_shorter_than_a_task_is_refused(settings):
    from accounts.checks import check_configuration

    settings.NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS = settings.CELERY_TASK_TIME_LIMIT
    assert "accounts.E001" in [p.id for p in check_configuration()]
    settings.NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS = settings.CELERY_TASK_TIME_LIMIT + 1
    assert "accounts.E001" not in [p.id for p in check_configuration()]
