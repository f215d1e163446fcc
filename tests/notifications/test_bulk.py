"""Set-based notification work: the morning batch of review reminders and the list page
read and write in a constant number of statements, whatever their size; the digest query
is served by its partial index."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from flows.models import Deadline
from flows.notices import deadlines_fire
from notifications.models import Delivery, Kind, Notification, Preference
from notifications.services import notify
from tests.helpers import create_and_submit, open_tasks

pytestmark = pytest.mark.django_db


def assign_documents(world, count: int, due: datetime.date) -> None:
    """`count` documents, each reviewed by the three experts, all due the same day."""
    for _number in range(count):
        create_and_submit(world, title=f"Сабактын планы ңөү {uuid.uuid4().hex[:6]}")
    chair = world.client(world.chair)
    for task in open_tasks(world.chair, "screen"):
        response = chair.post(
            reverse("flows:task", args=[task.pk]),
            {
                "action": "accept",
                "experts": [e.pk for e in world.experts],
                "due_date": due.isoformat(),
            },
        )
        assert response.status_code == 302


def fire_at(moment: datetime.datetime) -> tuple[int, int]:
    with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as queries:
        fired = deadlines_fire()
    return fired, len(queries)


def morning(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 1)))


def test_the_reminders_of_a_morning_take_the_same_statements_for_3_or_12_reviews(world):
    due = timezone.localdate() + datetime.timedelta(days=6)
    assign_documents(world, 1, due)
    Preference.objects.create(user=world.expert2, kind=Kind.TASK_DUE_SOON, mode="digest")
    soon = due - datetime.timedelta(days=2)
    fired_small, statements_small = fire_at(morning(soon, 9))
    assert fired_small == 3

    assign_documents(world, 4, due + datetime.timedelta(days=1))
    fired_big, statements_big = fire_at(morning(soon + datetime.timedelta(days=1), 9))
    assert fired_big == 12
    assert statements_big == statements_small, (statements_small, statements_big)

    # What the people get: one reminder per review, e-mail for those who want it now, the
    # digest for expert2; asked again, nothing new.
    reminders = Notification.objects.filter(kind=Kind.TASK_DUE_SOON)
    assert reminders.count() == 15
    assert reminders.filter(recipient=world.expert2, in_digest=True).count() == 5
    assert not Delivery.objects.filter(
        recipient=world.expert2, notification__kind=Kind.TASK_DUE_SOON
    ).exists()
    assert (
        Delivery.objects.filter(
            recipient=world.expert1, notification__kind=Kind.TASK_DUE_SOON
        ).count()
        == 5
    )
    assert fire_at(morning(soon + datetime.timedelta(days=1), 10))[0] == 0
    assert not Deadline.objects.filter(done_at__isnull=True, due_at__lte=timezone.now()).exists()


def test_a_reminder_already_written_is_not_written_again(world):
    """Deadlines handed back (a crash between claim and commit rolls back both) or fired
    twice meet the dedupe key: the batch skips what exists."""
    due = timezone.localdate() + datetime.timedelta(days=6)
    assign_documents(world, 1, due)
    soon = due - datetime.timedelta(days=2)
    assert fire_at(morning(soon, 9))[0] == 3
    Deadline.objects.filter(kind=Deadline.Kind.DUE_SOON).update(done_at=None)
    with time_machine.travel(morning(soon, 9), tick=False):
        deadlines_fire()
    assert Notification.objects.filter(kind=Kind.TASK_DUE_SOON).count() == 3
    assert Delivery.objects.filter(notification__kind=Kind.TASK_DUE_SOON).count() == 3


def test_the_notifications_list_reads_in_a_fixed_number_of_queries(world):
    client = world.client(world.expert1)

    def page_queries(total: int) -> int:
        while Notification.objects.filter(recipient=world.expert1).count() < total:
            notify(
                recipient=world.expert1,
                kind=Kind.PROTOCOL_CONFIRMED,
                params={"number": 1, "date": "01.09.2026"},
                url="/",
            )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("notifications:list"))
        assert page.status_code == 200
        assert len(page.context["rows"]) == min(total, 30)
        return len(queries)

    assert page_queries(3) == page_queries(30)


def test_the_digest_query_is_served_by_its_partial_index(world):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT DISTINCT recipient_id FROM {Notification._meta.db_table} "
            "WHERE in_digest AND digest_delivery_id IS NULL"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "notification_digest_waiting" in plan, plan


@pytest.mark.parametrize(
    ("index", "query"),
    [
        # sweep → enqueue_due: the due pending rows, oldest first.
        (
            "delivery_pending",
            "SELECT id FROM notifications_delivery WHERE status = 'pending' "
            "AND next_attempt_at <= now() AND (enqueued_at IS NULL OR enqueued_at < now()) "
            "ORDER BY next_attempt_at LIMIT 5000",
        ),
        # sweep → revive_dead_claims: the claims in flight.
        (
            "delivery_sending",
            "SELECT id FROM notifications_delivery WHERE status = 'sending' "
            "AND (claimed_at < now() OR pg_try_advisory_xact_lock(1, mod(id, 2147483647)::int))",
        ),
        # sweep: unanswered rows past their hold.
        (
            "delivery_unknown",
            "SELECT id FROM notifications_delivery WHERE status = 'unknown' AND claimed_at < now()",
        ),
        # deadlines_fire → deadlines_claim: the due reminders.
        (
            "deadline_due",
            "SELECT id FROM flows_deadline WHERE done_at IS NULL AND due_at <= now() "
            "ORDER BY due_at LIMIT 1000",
        ),
    ],
)
def test_the_periodic_queries_are_served_by_their_partial_indexes(db, index, query):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
