"""The embedded default (`make run`: SQLite, no advisory locks): a worker killed while it
holds a claim does not leave the e-mail waiting the 10-minute claim timeout. Each claim
names its process; the sweep frees the claims of processes gone from this machine at once,
and never a live one.

The whole story runs in subprocesses on SQLite settings (a database under a temporary
APP_RUN_DIR), the way `scripts/run.sh` configures them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

ROOT = Path(__file__).resolve().parents[2]


class HangingBackend(BaseEmailBackend):
    """A mail server that never answers: the worker holding the claim waits here until
    it is killed."""

    def send_messages(self, messages) -> int:
        Path(os.environ["HANGING_FLAG"]).touch()
        time.sleep(600)
        return 0


def holder(pk: int) -> None:
    """A worker process delivering `pk` (the real task), stuck at the mail server."""
    import django

    django.setup()
    from notifications.tasks import deliver

    deliver(pk)


def drive() -> None:
    """On SQLite: write a notice, let a worker process claim it and hang, kill it, and
    report what the sweep and the next delivery did (as JSON on stdout)."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import User
    from notifications.models import Delivery, Kind
    from notifications.services import notify
    from notifications.tasks import deliver, sweep

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    call_command("migrate", verbosity=0)
    user = User.objects.create(username="aigul", email="aigul@example.org", language="ky")
    notify(recipient=user, kind=Kind.PROTOCOL_CONFIRMED, params={"number": 1}, url="/council/")
    delivery = Delivery.objects.get()
    report: dict = {
        "pk": delivery.pk,
        "claim_timeout": settings.NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS,
    }

    flag = Path(os.environ["HANGING_FLAG"])
    worker = subprocess.Popen(
        [sys.executable, "-c", f"from {__name__} import holder; holder({delivery.pk})"],
        cwd=ROOT,
        env={**os.environ, "EMAIL_BACKEND": f"{__name__}.HangingBackend"},
    )
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert worker.poll() is None and time.monotonic() < deadline, "the worker never sent"
        time.sleep(0.05)
    delivery.refresh_from_db()
    report["while_alive"] = {"status": delivery.status, "sweep": sweep()["freed"]}
    report["claimed_by_pid"] = int(delivery.claimed_by.split(":")[1])
    report["worker_pid"] = worker.pid

    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    killed = time.monotonic()
    freed = sweep()["freed"]
    delivery.refresh_from_db()
    report["after_kill"] = {
        "sweep": freed,
        "status": delivery.status,
        "seconds": round(time.monotonic() - killed, 2),
    }
    report["retry"] = deliver(delivery.pk)
    delivery.refresh_from_db()
    report["final"] = {"status": delivery.status, "attempts": delivery.attempts}
    print(json.dumps(report))


def test_a_killed_workers_claim_is_freed_at_once_on_sqlite(tmp_path):
    outbox = tmp_path / "outbox"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
        and not key.startswith("CELERY_")
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "APP_RUN_DIR": str(tmp_path / "run"),
            "DJANGO_DEBUG": "1",
            "DJANGO_SECRET_KEY": "sqlite-claims-test",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
            "HANGING_FLAG": str(tmp_path / "hanging"),
        }
    )
    for folder in ("queue", "processed", "control"):
        (tmp_path / "run" / "celery" / folder).mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-c", f"from {__name__} import drive; drive()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    # The claim names the worker process; while it lives, nobody takes the row from it.
    assert report["claimed_by_pid"] == report["worker_pid"]
    assert report["while_alive"] == {"status": "sending", "sweep": 0}
    # Killed: the next sweep frees the claim at once, not after the 10-minute timeout.
    assert report["claim_timeout"] == 600
    assert report["after_kill"]["sweep"] == 1
    assert report["after_kill"]["status"] == "pending"
    assert report["after_kill"]["seconds"] < 5
    # The next delivery sends it, once, with the delivery's Message-ID.
    assert report["retry"] == "sent"
    assert report["final"] == {"status": "sent", "attempts": 2}
    (written,) = list(outbox.iterdir())
    text = written.read_text()
    assert text.count("Message-ID: <delivery-") == 1
    assert f"<delivery-{report['pk']}@" in text
