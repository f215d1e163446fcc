"""Who is told what, and when, as documents move through their process: the hooks of the
flow and the reviews' deadlines. (The council's sessions and protocols are council/notices.py.)

Everything here runs inside the transaction of the step that causes it (notifications are
outbox rows); the periodic part (`deadlines_fire`, flows.tasks.review_deadlines) is
idempotent: each deadline row is claimed once, each reminder has a dedupe key."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from viewflow.workflow.status import STATUS

from accounts.models import User
from council.models import Council
from documents.models import Document, Review
from documents.services import review_acting_expert_set
from notifications.models import Kind
from notifications.services import Notice, notices_gathered, notify, notify_bulk

from .models import Deadline, step_memo
from .stages import node_of


def _msgid(lazy: Any) -> str:
    """The source text of a lazily translated title, to be translated per recipient."""
    with translation.override(None):
        return str(lazy)


def task_url(task: Any) -> str:
    return reverse("flows:task", args=[task.pk])


def document_url(document: Document) -> str:
    return reverse("documents:detail", args=[document.pk])


def on_task_created(activation: Any) -> None:
    memo = step_memo(activation.process)
    memo.setdefault("created", []).append(activation.task)
    task_assigned(activation.task, activation.process.document, memo=memo)


def task_assigned(task: Any, document: Document, memo: dict | None = None) -> None:
    """A human task got its owner: note when, arm a review's reminders, and tell the owner
    (authors hear of their returned document instead, with the same link). `memo`: what
    the step already holds (flows.models.step_memo)."""
    if task.owner_id is None:
        return
    if memo is None or task.assigned is None:
        # A task handed to someone else; a new task had it set with its INSERT (the flow's
        # assign_acting). viewflow 2.4 never fills it; SLA figures need it.
        task.assigned = timezone.now()
        task.save(update_fields=["assigned"])
    if not node_of(task).tells_owner:
        return
    params = {"task_msgid": _msgid(task.flow_task.task_title), "document": document.title}
    review = None
    if task.data.get("review"):
        review = (memo or {}).get("reviews", {}).get(task.data["review"])
        if review is None:
            review = Review.objects.select_related("round").get(pk=task.data["review"])
        params["due"] = f"{review.effective_due_date:%d.%m.%Y}"
        deadlines_arm(review)
        if task.owner_id != review.expert_id:
            # The substitute may open the document they review (documents_visible_to).
            review_acting_expert_set(review=review, acting_expert=task.owner)
    if task.data.get("acting_for"):
        holder = (memo or {}).get("experts", {}).get(task.data["acting_for"])
        if holder is None:
            holder = User.objects.get(pk=task.data["acting_for"])
        params["acting_for"] = holder.get_full_name()
    notify(
        recipient=task.owner,
        kind=Kind.TASK_ASSIGNED,
        params=params,
        url=task_url(task),
        dedupe_key=f"task_assigned:{task.pk}:{task.owner_id}",
    )


def document_outcome(document: Document, kind: str, reason: str = "", task: Any = None) -> None:
    """Tell the author what became of their document."""
    params = {"document": document.title, "reason": reason}
    if kind == Kind.DOCUMENT_APPROVED:
        params["registry_number"] = document.registry_number
    notify(
        recipient=document.author,
        kind=kind,
        params=params,
        url=task_url(task) if task is not None else document_url(document),
    )


def author_task(document: Document, memo: dict | None = None) -> Any:
    """The author's open task on the document: the one this step just created when there
    is one (`memo`: flows.models.step_memo), else from the database."""
    from viewflow.workflow.models import Task

    if memo is not None:
        for task in reversed(memo.get("created", [])):
            if task.owner_id == document.author_id and task.status == STATUS.ASSIGNED:
                return task
    return (
        Task.objects.filter(
            process__expertiseprocess__document=document,
            owner=document.author,
            status=STATUS.ASSIGNED,
        )
        .order_by("-created")
        .first()
    )


# Deadlines of reviews.


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def deadlines_arm(review: Review) -> None:
    """(Re)arm the review's reminders: N days before and on the due day at 9:00, overdue
    the next morning. A reminder whose moment has passed is not sent late."""
    due = review.effective_due_date
    now = timezone.now()
    moments = {
        Deadline.Kind.DUE_SOON: _at(
            due - datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE), 9
        ),
        Deadline.Kind.DUE_TODAY: _at(due, 9),
        Deadline.Kind.OVERDUE: _at(due + datetime.timedelta(days=1), 0),
    }
    rows = [
        Deadline(
            review=review,
            kind=kind,
            due_at=moment,
            done_at=now if (moment <= now and kind != Deadline.Kind.OVERDUE) else None,
        )
        for kind, moment in moments.items()
    ]
    gathered = getattr(_step, "deadlines", None)
    if gathered is not None:
        gathered.extend(rows)  # written with the step's other reviews at its end
    else:
        _deadlines_write(rows)


def _deadlines_write(rows: list[Deadline]) -> None:
    # One upsert for all the rows (a transition writes them under the flow lock); a review
    # armed twice in one step keeps its last moments (an upsert may touch a row once).
    last = {(row.review_id, row.kind): row for row in rows}
    Deadline.objects.bulk_create(
        list(last.values()),
        update_conflicts=True,
        unique_fields=["review", "kind"],
        update_fields=["due_at", "done_at"],
    )


_step = threading.local()


@contextmanager
def step_gathered() -> Iterator[None]:
    """One step of a document's process (a task page's POST, an API call, a task done
    from code): the notices it causes and the reminders it arms are kept and written
    together when it ends without an error — one upsert of deadlines and notify_bulk's
    constant number of statements, whatever the number of experts. An error drops them
    with the rest of the step. Nested blocks join the outermost."""
    if getattr(_step, "deadlines", None) is not None:
        yield
        return
    _step.deadlines = []
    try:
        with notices_gathered():
            yield
            rows, _step.deadlines = _step.deadlines, None
            if rows:
                _deadlines_write(rows)
    finally:
        _step.deadlines = None


def deadlines_cancel(review: Review) -> None:
    Deadline.objects.filter(review=review, done_at__isnull=True).update(done_at=timezone.now())


DEADLINE_BATCH = 1000


def deadlines_fire(now: datetime.datetime | None = None) -> int:
    """Send the reminders and escalations that are due, batch by batch, each batch in a
    constant number of statements whatever its size (the morning of a national due date
    has thousands): the rows claimed by one UPDATE … RETURNING (SKIP LOCKED, so two sweeps
    never take one row), the reviews, their open tasks and the councils read in sets, the
    notifications and deliveries written in bulk (notify_bulk; dedupe keys make a
    repeated batch a no-op)."""
    now = now or timezone.now()
    fired = 0
    while True:
        with transaction.atomic():
            count, batch_full = deadlines_fire_batch(now)
        fired += count
        if not batch_full:
            return fired


def deadlines_claim(now: datetime.datetime, limit: int) -> list[tuple[int, int, str, Any]]:
    table = Deadline._meta.db_table
    at = connection.ops.adapt_datetimefield_value(now)
    skip_locked = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET done_at = %s
            WHERE id IN (
                SELECT id FROM {table}
                WHERE done_at IS NULL AND due_at <= %s
                ORDER BY due_at LIMIT %s {skip_locked}
            )
            RETURNING id, review_id, kind, due_at
            """,
            [at, at, limit],
        )
        return cursor.fetchall()


def deadlines_fire_batch(now: datetime.datetime) -> tuple[int, bool]:
    from viewflow.workflow.models import Task

    claimed = deadlines_claim(now, DEADLINE_BATCH)
    if not claimed:
        return 0, False
    reviews = Review.objects.select_related("round__document", "expert").in_bulk(
        {review_id for _pk, review_id, _kind, _due in claimed}
    )
    open_reviews = {
        pk: r for pk, r in reviews.items() if r.submitted_at is None and r.replaced_by_id is None
    }
    tasks: dict[int, Any] = {}
    for task in Task.objects.filter(
        process__expertiseprocess__document_id__in={
            r.round.document_id for r in open_reviews.values()
        },
        status=STATUS.ASSIGNED,
        owner__isnull=False,
    ).select_related("owner"):
        review_id = (task.data or {}).get("review")
        if review_id in open_reviews:
            tasks[review_id] = task
    councils = {
        (c.school_id, c.academic_year_id): c
        for c in Council.objects.filter(
            school_id__in={r.round.document.school_id for r in open_reviews.values()},
            academic_year_id__in={r.round.document.academic_year_id for r in open_reviews.values()},
        ).select_related("chair")
    }
    notices: list[Notice] = []
    for pk, review_id, kind, due_at in claimed:
        review, task = open_reviews.get(review_id), tasks.get(review_id)
        if review is None or task is None:
            continue
        document = review.round.document
        params = {
            "document": document.title,
            "due": f"{review.effective_due_date:%d.%m.%Y}",
            "expert": review.expert.get_full_name(),
        }
        if isinstance(due_at, str):  # SQLite returns text from RETURNING
            due_at = datetime.datetime.fromisoformat(due_at)
        key = f"deadline:{pk}:{due_at:%Y%m%d}"
        overdue = kind == Deadline.Kind.OVERDUE
        notices.append(
            Notice(
                recipient=task.owner,
                kind=Kind.TASK_OVERDUE if overdue else Kind.TASK_DUE_SOON,
                params=params,
                url=task_url(task),
                dedupe_key=key,
            )
        )
        council = councils.get((document.school_id, document.academic_year_id))
        if overdue and council is not None:
            notices.append(
                Notice(
                    recipient=council.chair,
                    kind=Kind.REVIEW_OVERDUE,
                    params=params,
                    url=document_url(document),
                    dedupe_key=f"{key}:chair",
                )
            )
    notify_bulk(notices=notices)
    fired = sum(1 for n in notices if n.kind != Kind.REVIEW_OVERDUE)
    return fired, len(claimed) == DEADLINE_BATCH


def open_review_task(review: Review) -> Any:
    from viewflow.workflow.models import Task

    return (
        Task.objects.filter(
            process__expertiseprocess__document_id=review.round.document_id,
            status=STATUS.ASSIGNED,
            data__review=review.pk,
        )
        .select_related("owner")
        .first()
    )
