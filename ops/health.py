"""Health of the parts an operator runs: the database, the broker, the Celery worker and
beat. Each check answers ok or failing, with a detail for superusers only.

- database: a ``SELECT 1`` on the default connection.
- broker: Redis answers PING (or, with the file-system transport, its queue folder is
  writable).
- worker: a heartbeat the worker writes every ``HEALTH_WORKER_HEARTBEAT_SECONDS`` to the
  ``health`` cache (ops/heartbeat.py) is younger than ``HEALTH_WORKER_MAX_AGE_SECONDS``.
- beat: the newest ``last_run_at`` of django-celery-beat's periodic tasks (beat writes it
  as it sends each job, ``CELERY_BEAT_SYNC_EVERY = 1``) is younger than
  ``HEALTH_BEAT_MAX_AGE_SECONDS``; the most frequent job runs every minute.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

COMPONENTS = {
    "database": _("Database"),
    "broker": _("Message broker (Redis)"),
    "worker": _("Celery worker"),
    "beat": _("Celery beat (periodic jobs)"),
}
WORKER_KEY = "worker"


@dataclass(frozen=True)
class Check:
    component: str
    ok: bool
    detail: str  # for superusers and the operator's console only: it names internals

    @property
    def label(self) -> str:
        return str(COMPONENTS[self.component])


def _failure(component: str, error: Exception) -> Check:
    return Check(component, False, f"{type(error).__name__}: {error}"[:300])


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return _failure("database", error)
    return Check("database", True, connection.vendor)


def check_broker() -> Check:
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith("filesystem://"):
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
            if not os.access(folder, os.W_OK):
                return Check(
                    "broker", False, gettext("%(folder)s is not writable") % {"folder": folder}
                )
            return Check("broker", True, "filesystem")
        if not url.startswith(("redis://", "rediss://")):
            from common.broker import celery_app

            with celery_app().connection_for_write(url) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            return Check("broker", True, conn.transport_cls)
        import redis

        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=options.get("socket_connect_timeout", 2),
            socket_timeout=options.get("socket_timeout", 2),
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:
        return _failure("broker", error)
    return Check("broker", True, "redis")


def record_worker_heartbeat(hostname: str) -> None:
    now = time.time()
    timeout = settings.HEALTH_WORKER_MAX_AGE_SECONDS * 2
    cache = caches["health"]
    cache.set_many({WORKER_KEY: (now, hostname), f"{WORKER_KEY}:{hostname}": now}, timeout)


def forget_worker(hostname: str) -> None:
    # The shared key goes only if this worker wrote it last; another running worker
    # writes it again within one heartbeat interval.
    cache = caches["health"]
    cache.delete(f"{WORKER_KEY}:{hostname}")
    last = cache.get(WORKER_KEY)
    if last and last[1] == hostname:
        cache.delete(WORKER_KEY)


def check_worker(hostname: str | None = None) -> Check:
    try:
        if hostname:
            beat_at, who = caches["health"].get(f"{WORKER_KEY}:{hostname}"), hostname
        else:
            beat_at, who = caches["health"].get(WORKER_KEY) or (None, "")
    except Exception as error:
        return _failure("worker", error)
    if beat_at is None:
        return Check("worker", False, gettext("no heartbeat"))
    age = time.time() - beat_at
    detail = gettext("%(worker)s: heartbeat %(age)d s ago") % {"worker": who, "age": age}
    return Check("worker", age <= settings.HEALTH_WORKER_MAX_AGE_SECONDS, detail)


def check_beat() -> Check:
    from django_celery_beat.models import PeriodicTask

    try:
        last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
    except Exception as error:
        return _failure("beat", error)
    if last is None:
        return Check("beat", False, gettext("no job sent yet"))
    age = (timezone.now() - last).total_seconds()
    detail = gettext("last job sent %(age)d s ago") % {"age": age}
    return Check("beat", age <= settings.HEALTH_BEAT_MAX_AGE_SECONDS, detail)


CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
}


def run_checks(components: list[str] | None = None) -> list[Check]:
    """The checks of `components` (all when None), in a fixed order."""
    return [CHECKS[name]() for name in COMPONENTS if components is None or name in components]
