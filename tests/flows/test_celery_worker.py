"""A real Celery worker process (Redis broker, the test database) renders the approval
sheet that the director's approval enqueued after commit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from common.broker import enqueue_on_commit
from documents.models import Document, Stage
from project.celery import app
from tests.conftest import build_world
from tests.helpers import through_expertise

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(settings, tmp_path):
    """A worker on its own queue, so no other worker on this machine takes the task."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_DEBUG": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "project",
            "worker",
            "-Q",
            queue,
            "--concurrency=1",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield process
    finally:
        app.conf.task_default_queue = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.django_db(transaction=True)
def test_the_worker_renders_the_approval_sheet_after_commit(worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    world = build_world()
    document = through_expertise(world, world.author, "Өнүгүү программасы")
    # Skip the council steps: what matters here is the worker picking up committed work.
    Document.objects.filter(pk=document.pk).update(
        stage=Stage.APPROVED,
        registry_number="2026-001",
        approved_by=world.director,
        pedagogical_protocol_number="1",
    )
    from django.utils import timezone

    Document.objects.filter(pk=document.pk).update(
        approved_at=timezone.now(), pedagogical_reviewed_on=timezone.localdate()
    )
    with transaction.atomic():
        enqueue_on_commit("flows.tasks.render_approval_sheet", document.pk)
        enqueue_on_commit("flows.tasks.render_approval_sheet", document.pk)  # a duplicate
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.approval_sheet:
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.3)
    assert document.approval_sheet, "the worker did not render the sheet within 60 s"
    with document.approval_sheet.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    time.sleep(1)  # let the duplicate run: it must not make a second file
    files = list((Path(settings.MEDIA_ROOT) / "approval-sheets").rglob("*.pdf"))
    assert len(files) == 1
