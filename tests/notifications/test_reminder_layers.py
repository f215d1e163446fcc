"""A review's reminder is kept from going out twice by two layers, each tested alone here:
the claim (one UPDATE … RETURNING marks the deadline row done, so a second sweep finds
nothing) and the dedupe key (a reminder whose key was used is not written again, whatever
hands its row back). Every other reminder test has both layers at work at once."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from flows import notices
from flows.models import Deadline
from flows.notices import deadlines_claim, deadlines_fire
from notifications.models import Delivery, Kind, Notification
from notifications.tasks import deliver
from tests.helpers import create_and_submit, the_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def assign_expert1(world, due: datetime.date) -> None:
    create_and_submit(world)
    screen = the_task(world.chair, "screen")
    response = world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [world.expert1.pk], "due_date": due.isoformat()},
    )
    assert response.status_code == 302
    send_pending()
    mail.outbox.clear()  # the assignment's own e-mail


def send_pending() -> None:
    """What the worker does: every pending delivery is sent."""
    for pk in Delivery.objects.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True):
        deliver(pk)


def at(day: datetime.date, hour: int, minute: int = 1):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
    return time_machine.travel(moment, tick=False)


def reminders_sent(user) -> tuple[int, int, int]:
    """(notices written, deliveries, e-mails) of "due soon" for `user`, after the worker
    sent every pending delivery (after every moment the tests travel to)."""
    with at(timezone.localdate() + datetime.timedelta(days=30), 12):
        send_pending()
    notices_written = Notification.objects.filter(recipient=user, kind=Kind.TASK_DUE_SOON)
    return (
        notices_written.count(),
        Delivery.objects.filter(notification__in=notices_written).count(),
        sum(1 for m in mail.outbox if m.to == [user.email]),
    )


def claim_without_marking(now: datetime.datetime, limit: int):
    """The claim bypassed: every due row, done or not, and none marked done."""
    return list(
        Deadline.objects.filter(due_at__lte=now)
        .order_by("due_at")
        .values_list("id", "review_id", "kind", "due_at")[:limit]
    )


def test_it_sends_a_reminder_once_on_the_dedupe_key_alone_when_the_claim_lets_it_through(
    world, monkeypatch
):
    due = timezone.localdate() + datetime.timedelta(days=6)
    assign_expert1(world, due)
    soon = due - datetime.timedelta(days=2)
    with at(soon, 9):
        assert deadlines_fire() == 1
    first = reminders_sent(world.expert1)
    assert first == (1, 1, 1)

    monkeypatch.setattr(notices, "deadlines_claim", claim_without_marking)
    # Later sweeps of the same day and the next: the row comes back each time; its key
    # (the deadline row and its due date, not the sweep's moment) is already used.
    for day, hour in [(soon, 9), (soon, 15), (soon + datetime.timedelta(days=1), 8)]:
        with at(day, hour):
            deadlines_fire()
    assert reminders_sent(world.expert1) == first, "the reminder went out again"


def test_it_fires_a_reminder_once_on_the_claim_alone_when_every_key_differs(world, monkeypatch):
    due = timezone.localdate() + datetime.timedelta(days=6)
    assign_expert1(world, due)
    real_notify_bulk = notices.notify_bulk

    def notify_bulk_without_dedupe(*, notices):
        for notice in notices:
            object.__setattr__(notice, "dedupe_key", f"{notice.dedupe_key}:{uuid.uuid4().hex}")
        return real_notify_bulk(notices=notices)

    monkeypatch.setattr(notices, "notify_bulk", notify_bulk_without_dedupe)
    soon = due - datetime.timedelta(days=2)
    with at(soon, 9):
        assert deadlines_fire() == 1
        assert deadlines_fire() == 0, "a second sweep fired the claimed reminder again"
    with at(soon, 15):
        assert deadlines_fire() == 0, "a later sweep fired the claimed reminder again"
    assert reminders_sent(world.expert1) == (1, 1, 1)


def test_it_claims_a_due_deadline_row_once(world):
    due = timezone.localdate() + datetime.timedelta(days=6)
    assign_expert1(world, due)
    moment = timezone.make_aware(
        datetime.datetime.combine(due - datetime.timedelta(days=2), datetime.time(9, 1))
    )
    claimed = deadlines_claim(moment, 10)
    assert [kind for _pk, _review, kind, _due in claimed] == [Deadline.Kind.DUE_SOON]
    assert deadlines_claim(moment, 10) == [], "a claimed row was handed out again"
    assert deadlines_claim(moment + datetime.timedelta(hours=6), 10) == []
    row = Deadline.objects.get(kind=Deadline.Kind.DUE_SOON)
    assert row.done_at is not None, "the claim should mark the row done"
