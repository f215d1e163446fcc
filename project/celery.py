"""The Celery application: JSON only, late acks, explicit limits (see settings "Celery")."""

from __future__ import annotations

import os

from celery import Celery

from ops.heartbeat import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker's heartbeat for the health checks (ops/health.py).
app.steps["worker"].add(WorkerHeartbeat)


# After a failed publish, the next ones in this process are skipped for a while: the rows
# are committed and the sweeps send them, and a request that causes ten notices must not
# wait ten broker timeouts.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


def enqueue_on_commit(task_name: str, *args: object) -> None:
    """Send a task by name once the transaction commits. A broker outage is logged, not
    raised: the request that caused the work must not fail, and a periodic sweep finds
    the work still undone (every task sent this way has one)."""
    import logging
    import time

    from django.db import transaction

    def send() -> None:
        global _broker_down_until
        if time.monotonic() < _broker_down_until:
            return
        try:
            app.send_task(task_name, args=list(args))
        except Exception:  # any broker error; the sweep catches up
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            logging.getLogger(__name__).warning(
                "could not enqueue %s%r; the sweep will retry", task_name, args
            )

    transaction.on_commit(send)
