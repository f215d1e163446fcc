from __future__ import annotations

from django.db.models import QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User


def inbox_tasks(user: User) -> QuerySet[Task]:
    """The user's open tasks, with each task's document, in a fixed number of queries.

    Served by viewflow's owner_id and status indexes (see VIEWFLOW.md §11)."""
    return (
        Task.objects.filter(owner=user, status=STATUS.ASSIGNED, flow_task_type="HUMAN")
        .select_related(
            "process",
            "process__expertiseprocess__document__author",
            "process__expertiseprocess__document__academic_year",
        )
        .order_by("-created", "-pk")
    )


def inbox_count(user: User) -> int:
    return Task.objects.filter(owner=user, status=STATUS.ASSIGNED, flow_task_type="HUMAN").count()


def open_task_for(user: User, document_id: int) -> Task | None:
    return (
        Task.objects.filter(
            owner=user,
            status=STATUS.ASSIGNED,
            flow_task_type="HUMAN",
            process__expertiseprocess__document_id=document_id,
        )
        .order_by("-created")
        .first()
    )
