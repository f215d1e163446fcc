"""Known data for the status-tracking tests, made through the real flow where the figure
comes from the flow's rows, and time moved with time-machine so that durations are exact."""

from __future__ import annotations

import datetime

import time_machine
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from documents.models import Document
from tests.helpers import create_and_submit, review_post

HOUR = datetime.timedelta(hours=1)


def task_of(user, node: str, document: Document) -> Task:
    tasks = [
        t
        for t in Task.objects.filter(
            owner=user,
            status=STATUS.ASSIGNED,
            process__expertiseprocess__document=document,
        )
        if t.flow_task.name == node
    ]
    assert len(tasks) == 1, f"{user} has {len(tasks)} open {node} tasks on {document}"
    return tasks[0]


def submit(world, title: str, **fields) -> Document:
    return create_and_submit(world, title=title, **fields)


def accept(world, document: Document, experts, due: datetime.date) -> None:
    task = task_of(world.chair, "screen", document)
    response = world.client(world.chair).post(
        reverse("flows:task", args=[task.pk]),
        {"action": "accept", "experts": [e.pk for e in experts], "due_date": due.isoformat()},
    )
    assert response.status_code == 302, [(f, e) for f, e in response.context["form"].errors.items()]


def review(world, expert, document: Document, opinion: str = "approve") -> None:
    task = task_of(expert, "review", document)
    recommendations = [] if opinion == "approve" else ["Тизмени толуктоо"]
    response = world.client(expert).post(
        reverse("flows:task", args=[task.pk]), review_post(opinion, recommendations)
    )
    assert response.status_code == 302, response.content[:500]


def at(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def start_moment() -> datetime.datetime:
    """10:00 school time, 20 days before today: within the academic year of `world`
    (tests run from September on; the fixture year starts on 1 September)."""
    today = timezone.localdate()
    day = today - datetime.timedelta(days=20)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
