"""Notices in the app and by e-mail: one per event, reminders once at the right moment,
digests once a day, choices respected. (The broker/SMTP/worker faults are in
test_delivery_faults.py, against real servers.)"""

from __future__ import annotations

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Absence
from council.notices import council_reminders
from documents.models import DocumentEvent, EventKind, Review
from flows.models import Deadline
from flows.notices import deadlines_fire
from notifications.models import Delivery, Kind, Notification, Preference
from notifications.services import digests_open
from notifications.tasks import deliver, sweep
from tests.helpers import create_and_submit, review_post, the_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def send_pending() -> list[str]:
    results = []
    for pk in Delivery.objects.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True):
        results.append(deliver(pk))
    return results


def assign(world, experts, due: datetime.date):
    create_and_submit(world)
    screen = the_task(world.chair, "screen")
    response = world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [e.pk for e in experts], "due_date": due.isoformat()},
    )
    assert response.status_code == 302


def test_an_assignment_is_one_notice_and_one_email_even_if_delivered_twice(world):
    assign(world, [world.expert1], timezone.localdate() + datetime.timedelta(days=5))
    notices = Notification.objects.filter(recipient=world.expert1)
    assert [n.kind for n in notices] == [Kind.TASK_ASSIGNED]
    delivery = Delivery.objects.get(recipient=world.expert1)
    assert deliver(delivery.pk) == "sent"
    assert deliver(delivery.pk) == "not claimed"  # the broker delivered the task again
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [world.expert1.email]
    assert "Expert review" in email.subject
    task = the_task(world.expert1, "review")
    assert f"/tasks/{task.pk}/" in email.body
    assert f"/tasks/{task.pk}/" in email.alternatives[0][0]
    # The bell shows it, the list marks it read.
    client = world.client(world.expert1)
    assert client.get(reverse("flows:inbox")).context["unread_count"] == 1
    client.post(reverse("notifications:read_all"))
    assert client.get(reverse("flows:inbox")).context["unread_count"] == 0


def test_the_email_is_in_the_recipients_language(world):
    world.expert1.language = "ru"
    world.expert1.save()
    assign(world, [world.expert1], timezone.localdate() + datetime.timedelta(days=5))
    send_pending()
    from django.utils import translation

    with translation.override("ru"):
        from notifications.rendering import render_message

        expected = render_message(Notification.objects.get(recipient=world.expert1)).subject
    email = next(m for m in mail.outbox if m.to == [world.expert1.email])
    assert email.subject == expected


def test_reminders_and_escalation_fire_once_at_their_moments(world):
    today = timezone.localdate()
    due = today + datetime.timedelta(days=6)
    assign(world, [world.expert1, world.expert2], due)
    # expert2 finishes early: no reminders for them.
    task = the_task(world.expert2, "review")
    world.client(world.expert2).post(
        reverse("flows:task", args=[task.pk]), review_post("approve", [])
    )

    def at(day: datetime.date, hh: int, mm: int = 0):
        return time_machine.travel(
            timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm))), tick=False
        )

    def kinds(user):
        return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))

    soon = due - datetime.timedelta(days=2)
    with at(soon, 8, 59):
        assert deadlines_fire() == 0
    with at(soon, 9, 1):
        assert deadlines_fire() == 1
        assert deadlines_fire() == 0  # the next sweep finds nothing new
    assert kinds(world.expert1) == [Kind.TASK_ASSIGNED, Kind.TASK_DUE_SOON]
    with at(due, 9, 1):
        assert deadlines_fire() == 1
    with at(due + datetime.timedelta(days=1), 0, 1):
        assert deadlines_fire() == 1
        assert deadlines_fire() == 0
    assert kinds(world.expert1) == [
        Kind.TASK_ASSIGNED,
        Kind.TASK_DUE_SOON,
        Kind.TASK_DUE_SOON,
        Kind.TASK_OVERDUE,
    ]
    assert Notification.objects.filter(recipient=world.chair, kind=Kind.REVIEW_OVERDUE).count() == 1
    assert kinds(world.expert2) == [Kind.TASK_ASSIGNED]


def test_review_deadlines_are_the_flows_job_not_the_councils(world):
    from council.tasks import council_time
    from flows.tasks import review_deadlines

    due = timezone.localdate() + datetime.timedelta(days=6)
    assign(world, [world.expert1], due)
    soon = timezone.make_aware(
        datetime.datetime.combine(due - datetime.timedelta(days=2), datetime.time(9, 1))
    )
    with time_machine.travel(soon, tick=False):
        council_time()
        assert not Notification.objects.filter(kind=Kind.TASK_DUE_SOON).exists()
        assert review_deadlines() == {"deadlines": 1}
        assert review_deadlines() == {"deadlines": 0}
    assert (
        Notification.objects.filter(recipient=world.expert1, kind=Kind.TASK_DUE_SOON).count() == 1
    )


def test_a_late_submission_cancels_the_remaining_reminders(world):
    due = timezone.localdate() + datetime.timedelta(days=6)
    assign(world, [world.expert1], due)
    task = the_task(world.expert1, "review")
    world.client(world.expert1).post(
        reverse("flows:task", args=[task.pk]), review_post("approve", [])
    )
    assert not Deadline.objects.filter(done_at__isnull=True).exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=10), tick=False):
        assert deadlines_fire() == 0


def test_the_chair_extends_a_due_date_and_the_reminders_follow(world):
    due = timezone.localdate() + datetime.timedelta(days=3)
    assign(world, [world.expert1, world.expert2], due)
    review = Review.objects.get(expert=world.expert1)
    new_due = due + datetime.timedelta(days=7)
    document = review.round.document
    response = world.client(world.chair).post(
        reverse("documents:review_extend", args=[document.pk, review.pk]),
        {"due_date": new_due.isoformat()},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.effective_due_date == new_due
    overdue = Deadline.objects.get(review=review, kind=Deadline.Kind.OVERDUE)
    assert timezone.localtime(overdue.due_at).date() == new_due + datetime.timedelta(days=1)
    assert DocumentEvent.objects.filter(
        document=document, kind=EventKind.DUE_DATE_EXTENDED
    ).exists()
    # Not the chair: refused, nothing changes.
    world.client(world.expert2).post(
        reverse("documents:review_extend", args=[document.pk, review.pk]),
        {"due_date": (new_due + datetime.timedelta(days=30)).isoformat()},
    )
    review.refresh_from_db()
    assert review.effective_due_date == new_due


def test_the_chair_replaces_an_expert_and_the_task_moves(world):
    due = timezone.localdate() + datetime.timedelta(days=3)
    assign(world, [world.expert1, world.expert2], due)
    old = Review.objects.get(expert=world.expert2)
    document = old.round.document
    task = the_task(world.expert2, "review")
    world.client(world.chair).post(
        reverse("documents:review_replace", args=[document.pk, old.pk]),
        {"expert": world.expert3.pk},
    )
    task.refresh_from_db()
    assert task.owner == world.expert3
    assert world.client(world.expert2).get(reverse("flows:task", args=[task.pk])).status_code == 404
    old.refresh_from_db()
    assert old.replaced_by.expert == world.expert3
    assert DocumentEvent.objects.filter(document=document, kind=EventKind.EXPERT_REPLACED).exists()
    assert Notification.objects.filter(recipient=world.expert3, kind=Kind.TASK_ASSIGNED).exists()
    for expert in (world.expert1, world.expert3):
        t = the_task(expert, "review")
        world.client(expert).post(reverse("flows:task", args=[t.pk]), review_post("approve", []))
    assert the_task(world.chair, "decide")


def test_a_substitute_gets_the_tasks_of_an_absent_member_and_acts_for_them(world):
    today = timezone.localdate()
    Absence.objects.create(
        user=world.expert1,
        substitute=world.expert3,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=3),
    )
    assign(world, [world.expert1], today + datetime.timedelta(days=5))
    task = Task.objects.get(flow_task_type="HUMAN", status=STATUS.ASSIGNED, owner=world.expert3)
    assert task.data["acting_for"] == world.expert1.pk
    assert not Task.objects.filter(owner=world.expert1, status=STATUS.ASSIGNED).exists()
    notice = Notification.objects.get(recipient=world.expert3, kind=Kind.TASK_ASSIGNED)
    assert notice.params["acting_for"] == world.expert1.get_full_name()
    world.client(world.expert3).post(
        reverse("flows:task", args=[task.pk]), review_post("approve", [])
    )
    review = Review.objects.get(round__document__author=world.author)
    assert (review.expert, review.acting_expert) == (world.expert1, world.expert3)
    page = world.client(world.chair).get(
        reverse("documents:detail", args=[review.round.document_id])
    )
    assert "acting for the expert" in page.content.decode()


def test_a_daily_digest_holds_the_days_items_and_goes_out_once(world, settings):
    settings.NOTIFICATIONS_DIGEST_HOUR = 17
    Preference.objects.create(user=world.expert1, kind=Kind.TASK_ASSIGNED, mode="digest")
    day = timezone.localdate()
    morning = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    with time_machine.travel(morning, tick=False):
        assign(world, [world.expert1], day + datetime.timedelta(days=5))
    assert not Delivery.objects.filter(recipient=world.expert1).exists()
    with time_machine.travel(morning.replace(hour=16), tick=False):
        assert digests_open() == 0
    with time_machine.travel(morning.replace(hour=17, minute=5), tick=False):
        assert digests_open() == 1
        assert digests_open() == 0
        assert send_pending().count("sent") >= 1
    digests = [m for m in mail.outbox if m.to == [world.expert1.email]]
    assert len(digests) == 1 and "Expert review" in digests[0].body
    with time_machine.travel(morning.replace(hour=18), tick=False):
        assert sweep()["digests"] == 0
    assert Notification.objects.get(recipient=world.expert1).digest_delivery is not None


def test_choices_are_respected_but_action_notices_cannot_be_switched_off(world):
    client = world.client(world.author)
    client.post(
        reverse("notifications:preferences"),
        {Kind.DOCUMENT_RECOMMENDED: "off", Kind.TASK_ASSIGNED: "off"},
    )
    modes = dict(Preference.objects.filter(user=world.author).values_list("kind", "mode"))
    assert modes[Kind.DOCUMENT_RECOMMENDED] == "off"
    assert modes[Kind.TASK_ASSIGNED] == "immediate"


class FlakySMTP:
    """An e-mail backend whose server answers with an error."""

    error: Exception = smtplib.SMTPServerDisconnected("connection lost")

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise FlakySMTP.error


def test_a_passing_smtp_error_retries_with_backoff_and_a_permanent_one_fails(world, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_notices.FlakySMTP"
    assign(world, [world.expert1], timezone.localdate() + datetime.timedelta(days=5))
    delivery = Delivery.objects.get(recipient=world.expert1)
    FlakySMTP.error = smtplib.SMTPServerDisconnected("connection lost")
    assert deliver(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    assert deliver(delivery.pk) == "not claimed"  # not before its back-off
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1), tick=False):
        FlakySMTP.error = smtplib.SMTPRecipientsRefused(
            {world.expert1.email: (550, b"no such user")}
        )
        assert deliver(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and "550" in delivery.last_error
    # An admin sees it and retries it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from notifications.services import delivery_retry

    assert delivery_retry(delivery=delivery)
    assert deliver(delivery.pk) == "sent"


def test_council_time_reminds_the_chair_and_sends_agendas_once(world):
    from council.services import session_schedule

    year = world.year
    _q_start, q_end = year.quarter_bounds()[0]
    with time_machine.travel(
        timezone.make_aware(
            datetime.datetime.combine(q_end - datetime.timedelta(days=10), datetime.time(9))
        ),
        tick=False,
    ):
        assert council_reminders()["quarters"] == 2  # both schools' chairs
        assert council_reminders()["quarters"] == 0
        assert (
            Notification.objects.filter(
                recipient=world.chair, kind=Kind.QUARTER_WITHOUT_SESSION
            ).count()
            == 1
        )
        session = session_schedule(
            council=world.council,
            actor=world.chair,
            date=q_end - datetime.timedelta(days=8),
            time=None,
            place="",
            is_year_end=False,
            documents=[],
            free_items=["Маселе"],
        )
        council_reminders()
        council_reminders()
    agendas = Notification.objects.filter(kind=Kind.SESSION_SCHEDULED)
    assert agendas.count() == world.council.members.count()
    with time_machine.travel(
        timezone.make_aware(
            datetime.datetime.combine(session.date + datetime.timedelta(days=7), datetime.time(9))
        ),
        tick=False,
    ):
        assert council_reminders()["protocols"] == 1
        assert council_reminders()["protocols"] == 0
    assert (
        Notification.objects.filter(recipient=world.chair, kind=Kind.PROTOCOL_MISSING).count() == 1
    )
