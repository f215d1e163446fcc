"""One behaviour per test of the notification services that no story covers alone
(healthchecks' style: the name says what broke)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from notifications.models import (
    Delivery,
    Kind,
    Mode,
    Notification,
    Preference,
    Route,
    TelegramLink,
)
from notifications.services import (
    channels_for,
    choice_for,
    mark_read,
    notify,
    notify_many,
    telegram_deactivate,
    telegram_link_confirm,
    telegram_link_start,
)

pytestmark = pytest.mark.django_db


def approved(user, **extra) -> Notification | None:
    return notify(recipient=user, kind=Kind.DOCUMENT_APPROVED, params={"document": "План"}, **extra)


def test_it_sends_immediately_by_e_mail_when_nothing_was_chosen(world):
    assert choice_for(world.author, Kind.DOCUMENT_APPROVED) == (Mode.IMMEDIATE, Route.EMAIL)


def test_it_keeps_an_action_notice_on_even_when_its_saved_choice_is_off(world):
    Preference.objects.create(user=world.expert1, kind=Kind.TASK_ASSIGNED, mode=Mode.OFF)
    assert choice_for(world.expert1, Kind.TASK_ASSIGNED)[0] == Mode.IMMEDIATE


def test_it_falls_back_to_e_mail_when_telegram_is_chosen_but_not_linked(world):
    assert channels_for(world.author, Route.TELEGRAM, telegram_active=False) == ["email"]


def test_it_sends_on_both_channels_when_both_are_chosen_and_linked(world):
    assert channels_for(world.author, Route.BOTH, telegram_active=True) == ["telegram", "email"]


def test_it_has_no_channel_for_a_person_without_an_e_mail_address(world):
    world.author.email = ""
    assert channels_for(world.author, Route.EMAIL, telegram_active=False) == []


def test_it_tells_a_deactivated_person_nothing(world):
    world.author.is_active = False
    world.author.save(update_fields=["is_active"])
    assert approved(world.author) is None
    assert not Notification.objects.exists() and not Delivery.objects.exists()


def test_it_puts_a_digest_choice_in_the_digest_without_an_e_mail_of_its_own(world):
    Preference.objects.create(user=world.author, kind=Kind.DOCUMENT_APPROVED, mode=Mode.DIGEST)
    notice = approved(world.author)
    assert notice.in_digest
    assert not Delivery.objects.filter(notification=notice).exists()


def test_it_writes_a_notice_once_per_dedupe_key(world):
    assert approved(world.author, dedupe_key="approved:1") is not None
    assert approved(world.author, dedupe_key="approved:1") is None
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_it_tells_each_of_many_recipients_once_however_often_listed_or_asked(world):
    people = [world.expert1, world.expert2, world.expert1]
    kwargs = {"kind": Kind.PROTOCOL_CONFIRMED, "params": {"number": 1}, "url": "/", "key": "p:1"}
    assert notify_many(recipients=people, **kwargs) == 2
    assert notify_many(recipients=people, **kwargs) == 0
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "expert1",
        "expert2",
    ]


def test_it_marks_one_notice_read_and_leaves_the_others_unread(world):
    first, second = approved(world.author), approved(world.author)
    assert mark_read(user=world.author, notification_id=first.pk) == 1
    assert Notification.objects.filter(read_at__isnull=True).get() == second


def test_it_never_marks_another_persons_notice_read(world):
    theirs = approved(world.expert1)
    assert mark_read(user=world.author, notification_id=theirs.pk) == 0
    assert mark_read(user=world.author) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_refuses_an_expired_telegram_link_code(world):
    link = telegram_link_start(user=world.author)
    link.code_expires_at = timezone.now() - datetime.timedelta(seconds=1)
    link.save(update_fields=["code_expires_at"])
    assert telegram_link_confirm(code=link.code, chat_id=555) is None
    link.refresh_from_db()
    assert (link.active, link.chat_id) == (False, None)


def test_it_links_a_telegram_code_only_once(world):
    code = telegram_link_start(user=world.author).code
    assert telegram_link_confirm(code=code, chat_id=555).chat_id == 555
    assert telegram_link_confirm(code=code, chat_id=666) is None


def test_it_deactivates_only_the_chat_that_blocked_the_bot(world):
    for user, chat_id in [(world.author, 555), (world.expert1, 666)]:
        telegram_link_confirm(code=telegram_link_start(user=user).code, chat_id=chat_id)
    assert telegram_deactivate(chat_id=555, reason="Forbidden: bot was blocked by the user") == 1
    active = dict(TelegramLink.objects.values_list("user__username", "active"))
    assert active == {"author": False, "expert1": True}
