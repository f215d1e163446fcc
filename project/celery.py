"""The Celery application: JSON only, late acks, explicit limits (see settings "Celery")."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task_name: str, *args: object) -> None:
    """Send a task by name once the transaction commits. A broker outage is logged, not
    raised: the request that caused the work must not fail, and a periodic sweep finds
    the work still undone (see flows.tasks.render_missing_files)."""
    import logging

    from django.db import transaction

    def send() -> None:
        try:
            app.send_task(task_name, args=list(args))
        except Exception:  # any broker error; the sweep catches up
            logging.getLogger(__name__).warning(
                "could not enqueue %s%r; the sweep will retry", task_name, args
            )

    transaction.on_commit(send)
