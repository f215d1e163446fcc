"""/health/, `manage.py health` and the admin's health panel, with a real Celery worker
and beat started and stopped, Redis reachable and not."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ops.health import WORKER_KEY, run_checks
from tests.project.support import ROOT, free_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

ALL_OK = {"database": "ok", "broker": "ok", "worker": "ok", "beat": "ok"}


@pytest.fixture(autouse=True)
def _no_heartbeat_left_over() -> Iterator[None]:
    """Workers of other tests (and a worker this test killed) leave their heartbeat in the
    test Redis for a while; each test here starts from none."""
    caches["health"].delete(WORKER_KEY)
    yield
    # Still under the test's settings: the Redis-down test's cache points nowhere.
    with contextlib.suppress(redis.ConnectionError):
        caches["health"].delete(WORKER_KEY)


def health(client: Client | None = None, query: str = "") -> tuple[int, dict]:
    response = (client or Client()).get(reverse("health") + query)
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, json.loads(response.content)


def celery(*argv: str) -> subprocess.Popen:
    """A Celery process on the test database (and the test Redis)."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DJANGO_DEBUG": "0",
    }
    env.pop("DJANGO_TEST_DB_NAME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "project", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> str:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate(timeout=10)
    return out.decode(errors="replace")[-4000:]


@pytest.fixture
def worker() -> Iterator[subprocess.Popen]:
    # Its own queue: this test's worker takes no one else's tasks.
    process = celery(
        "worker",
        "-Q",
        f"health-{uuid.uuid4().hex[:8]}",
        "--concurrency=1",
        "--loglevel=INFO",
        "-n",
        f"health-{uuid.uuid4().hex[:6]}@%h",
    )
    yield process
    stop(process)


def fresh_beat_rows() -> None:
    """The schedule as beat leaves it after its first start, every job sent 10 minutes ago
    (so that beat sends them as soon as it starts)."""
    call_command("migrate", "django_celery_beat", verbosity=0)
    from django_celery_beat.models import IntervalSchedule

    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.update_or_create(
        name="notifications-sweep",
        defaults={
            "task": "notifications.tasks.sweep",
            "interval": every_minute,
            "last_run_at": timezone.now() - datetime.timedelta(minutes=10),
            "expires": None,
        },
    )


def test_without_worker_and_beat_it_answers_503_and_names_only_the_failing_parts():
    status, body = health()
    assert status == 503
    assert body == {
        "status": "failing",
        "checks": {"database": "ok", "broker": "ok", "worker": "failing", "beat": "failing"},
    }
    # What an orchestrator asks of the web container: its own dependencies only.
    assert health(query="?only=database") == (200, {"status": "ok", "checks": {"database": "ok"}})
    assert health(query="?only=database,broker")[0] == 200


def test_an_unknown_component_is_a_clear_400():
    response = Client().get(reverse("health") + "?only=database,disk")
    assert response.status_code == 400
    assert json.loads(response.content)["unknown"] == ["disk"]


def test_a_running_worker_is_ok_and_a_stopped_one_fails(worker, settings):
    wait_for(
        lambda: health(query="?only=worker")[0] == 200 or worker.poll() is not None,
        "the worker's heartbeat",
        timeout=60,
    )
    assert worker.poll() is None, stop(worker)
    with pytest.raises(CommandError):  # the worker check of *this* host name: another name
        call_command("health", "worker", "--this-host", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("health", "worker", stdout=open(os.devnull, "w"))  # noqa: SIM115
    log = stop(worker)  # a warm shutdown clears the heartbeat at once
    assert health(query="?only=worker") == (
        503,
        {"status": "failing", "checks": {"worker": "failing"}},
    ), log


def test_a_killed_worker_fails_once_its_heartbeat_is_older_than_the_limit(worker, settings):
    wait_for(lambda: health(query="?only=worker")[0] == 200, "the worker's heartbeat", timeout=60)
    stop(worker, signal.SIGKILL)  # no clean stop: the last heartbeat stays in Redis
    assert health(query="?only=worker")[0] == 200
    with time_machine.travel(time.time() + settings.HEALTH_WORKER_MAX_AGE_SECONDS + 5, tick=False):
        assert health(query="?only=worker")[0] == 503


def test_beat_is_ok_once_it_sends_a_job_and_fails_when_it_has_not_for_too_long(settings):
    fresh_beat_rows()
    assert health(query="?only=beat")[0] == 503  # the last job was sent 10 minutes ago
    beat = celery("beat", "--loglevel=INFO", "--pidfile=")
    try:
        wait_for(
            lambda: health(query="?only=beat")[0] == 200 or beat.poll() is not None,
            "beat sends the overdue job and records it",
            timeout=60,
        )
        assert beat.poll() is None, stop(beat)
    finally:
        log = stop(beat)
    assert "Sending due task notifications-sweep" in log
    later = timezone.now() + datetime.timedelta(seconds=settings.HEALTH_BEAT_MAX_AGE_SECONDS + 5)
    with time_machine.travel(later, tick=False):
        assert health(query="?only=beat")[0] == 503


def test_redis_down_fails_the_broker_and_the_worker_quickly(settings):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CELERY_BROKER_URL = dead
    settings.CACHES = {
        **settings.CACHES,
        "health": {**settings.CACHES["health"], "LOCATION": dead},
    }
    started = time.monotonic()
    status, body = health(query="?only=database,broker,worker")
    assert (status, body["checks"]) == (
        503,
        {"database": "ok", "broker": "failing", "worker": "failing"},
    )
    assert time.monotonic() - started < 10


def test_admins_see_the_health_panel_and_only_superusers_its_details(world):
    from accounts.models import User

    page = world.client(world.admin).get(reverse("admin:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="health-module"' in html
    assert "health-worker" in html and "failing" in html
    assert "no heartbeat" not in html  # details name internals: superusers only

    root = User.objects.create_superuser(
        "root", "root@example.org", "x", school=world.school, language="en"
    )
    html = world.client(root).get(reverse("admin:index")).content.decode()
    assert "no heartbeat" in html
    assert "postgresql" in html


def test_the_checks_run_in_a_fixed_order_and_say_why():
    checks = run_checks()
    assert [c.component for c in checks] == ["database", "broker", "worker", "beat"]
    assert checks[0].ok and checks[0].detail == "postgresql"
    assert not checks[2].ok and checks[2].detail == "no heartbeat"


def test_another_broker_is_checked_through_celerys_own_connection(settings):
    settings.CELERY_BROKER_URL = f"amqp://guest@127.0.0.1:{free_port()}//"
    from ops.health import check_broker

    started = time.monotonic()
    check = check_broker()
    assert not check.ok and "Connection refused" in check.detail
    assert time.monotonic() - started < 10
