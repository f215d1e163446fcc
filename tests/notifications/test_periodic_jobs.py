"""The periodic jobs are rows of django-celery-beat: visible and editable in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from accounts.models import User
from project.celery import app

pytestmark = pytest.mark.django_db(transaction=True)

JOBS = {
    "notifications-sweep": "notifications.tasks.sweep",
    "council-time": "council.tasks.council_time",
    "review-deadlines": "flows.tasks.review_deadlines",
    "render-missing-files": "flows.tasks.render_missing_files",
    "council-missing-files": "council.tasks.render_missing_files",
    "fire-workflow-timers": "flows.tasks.fire_workflow_timers",
    "telegram-updates": "notifications.tasks.telegram_updates",
}


def test_beat_writes_the_schedule_into_the_database_and_admins_see_it(db):
    DatabaseScheduler(app=app)  # what `celery beat` does when it starts
    app.loader.import_default_modules()  # what a worker does: autodiscover the tasks
    tasks = dict(PeriodicTask.objects.filter(name__in=JOBS).values_list("name", "task"))
    assert tasks == JOBS
    for name in JOBS:
        assert name in app.conf.beat_schedule
        assert app.tasks[JOBS[name]]  # registered, so a worker can run it
    admin = User.objects.create_superuser("root", "root@example.org", "x")
    from django.test import Client

    client = Client()
    client.force_login(admin)
    page = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert page.status_code == 200
    for name in JOBS:
        assert name in page.content.decode()
    job = PeriodicTask.objects.get(name="council-time")
    assert (
        client.get(
            reverse("admin:django_celery_beat_periodictask_change", args=[job.pk])
        ).status_code
        == 200
    )
