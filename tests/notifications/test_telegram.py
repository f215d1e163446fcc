"""Telegram, the second channel, against a Bot API server on loopback that each test
starts (the methods the project uses: getUpdates and sendMessage), with its faults: 429
with retry_after, 403 (the person blocked the bot), no answer (a timeout)."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.channels import telegram as telegram_channel
from notifications.models import Delivery, Kind, Notification, Preference, TelegramLink
from notifications.services import Notice, notify, notify_bulk
from notifications.tasks import deliver, telegram_updates
from tests.notifications.bot_api import TOKEN, BotApi

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot(settings) -> Iterator[BotApi]:
    api = BotApi()
    api.thread.start()
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_BOT_USERNAME = TOKEN, "council_test_bot"
    settings.TELEGRAM_API_URL, settings.TELEGRAM_TIMEOUT = api.url, 2.0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    telegram_channel._client = None  # a client with this test's timeout
    try:
        yield api
    finally:
        api.server.shutdown()
        api.server.server_close()
        telegram_channel._client = None


def link(world, bot: BotApi, chat_id: int = 777) -> TelegramLink:
    """The expert links their account as a person would: the deep link from the page,
    "/start <code>" to the bot, the periodic poll."""
    client = world.client(world.expert1)
    client.post(reverse("notifications:preferences"), {"action": "telegram_link"})
    page = client.get(reverse("notifications:preferences")).content.decode()
    code = TelegramLink.objects.get(user=world.expert1).code
    assert f"https://t.me/council_test_bot?start={code}" in page
    bot.updates.append(
        {"update_id": 5001, "message": {"chat": {"id": chat_id}, "text": f"/start {code}"}}
    )
    assert telegram_updates() == {"linked": 1}
    assert telegram_updates() == {"linked": 0}  # the offset moved on; the code is spent
    return TelegramLink.objects.get(user=world.expert1)


def telegram_notice(world) -> Notification:
    Preference.objects.update_or_create(
        user=world.expert1, kind=Kind.TASK_ASSIGNED, defaults={"route": "telegram"}
    )
    notice = notify(
        recipient=world.expert1,
        kind=Kind.TASK_ASSIGNED,
        params={"task_msgid": "Expert review", "document": "Өнүгүү программасы"},
        url="/tasks/42/",
    )
    assert notice is not None
    return notice


def test_a_person_links_telegram_and_gets_notices_there_in_their_language(world, bot):
    world.expert1.language = "ru"
    world.expert1.save()
    linked = link(world, bot)
    assert (linked.active, linked.chat_id, linked.code) == (True, 777, None)
    (greeting,) = bot.sent()
    assert greeting["chat_id"] == 777 and "Telegram" not in greeting["text"]

    notice = telegram_notice(world)
    (delivery,) = Delivery.objects.filter(notification=notice)
    assert delivery.channel == Delivery.Channel.TELEGRAM  # Telegram only, as chosen
    assert deliver(delivery.pk) == "sent"
    message = bot.sent()[-1]
    assert message["chat_id"] == 777
    assert message["text"].startswith("Новая задача")
    assert "Өнүгүү программасы" in message["text"]
    assert message["text"].endswith("/tasks/42/")
    assert deliver(delivery.pk) == "not claimed"
    assert len(bot.sent()) == 2


def test_both_channels_when_chosen_and_email_when_not_linked(world, bot):
    Preference.objects.create(user=world.expert1, kind=Kind.TASK_ASSIGNED, route="both")
    notice = notify(recipient=world.expert1, kind=Kind.TASK_ASSIGNED, params={}, url="/")
    # Not linked yet: e-mail only.
    assert [d.channel for d in Delivery.objects.filter(notification=notice)] == ["email"]
    link(world, bot)
    notice = notify(recipient=world.expert1, kind=Kind.TASK_ASSIGNED, params={}, url="/x/")
    assert sorted(d.channel for d in Delivery.objects.filter(notification=notice)) == [
        "email",
        "telegram",
    ]


def test_429_waits_as_long_as_the_bot_api_says(world, bot):
    link(world, bot)
    delivery = Delivery.objects.get(notification=telegram_notice(world))
    bot.answers.append(
        (429, {"ok": False, "description": "Too Many Requests", "parameters": {"retry_after": 90}})
    )
    before = timezone.now()
    assert deliver(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.next_attempt_at >= before + datetime.timedelta(seconds=90)
    assert "429" in delivery.last_error
    assert deliver(delivery.pk) == "not claimed"  # not before retry_after


def test_403_deactivates_the_link_and_falls_back_to_email(world, bot, mailoutbox):
    link(world, bot)
    delivery = Delivery.objects.get(notification=telegram_notice(world))
    bot.answers.append(
        (403, {"ok": False, "description": "Forbidden: bot was blocked by the user"})
    )
    assert deliver(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and "blocked" in delivery.last_error
    link_row = TelegramLink.objects.get(user=world.expert1)
    assert not link_row.active and "blocked" in link_row.deactivated_reason
    fallback = Delivery.objects.get(notification=delivery.notification, channel="email")
    assert deliver(fallback.pk) == "sent"
    assert [m.to for m in mailoutbox] == [[world.expert1.email]]
    # The next notice goes by e-mail straight away, and the page says why.
    notice = notify(recipient=world.expert1, kind=Kind.TASK_ASSIGNED, params={}, url="/y/")
    assert [d.channel for d in Delivery.objects.filter(notification=notice)] == ["email"]
    page = world.client(world.expert1).get(reverse("notifications:preferences"))
    assert "blocked" in page.content.decode()


def test_no_answer_from_the_bot_api_is_sent_unknown_not_resent_at_once(world, bot):
    link(world, bot)
    delivery = Delivery.objects.get(notification=telegram_notice(world))
    bot.answers.append(3.0)  # longer than TELEGRAM_TIMEOUT (2 s)
    assert deliver(delivery.pk) == "unknown"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.UNKNOWN
    assert deliver(delivery.pk) == "not claimed"


def test_only_one_poller_reads_the_updates_at_a_time(world, bot):
    """The Bot API refuses concurrent getUpdates (409); an overlapping run steps aside."""
    from notifications.services import lease_release, lease_take

    assert lease_take(name="telegram-updates", holder="another-run", seconds=30)
    assert telegram_updates() == {"linked": 0}
    assert [method for method, _body in bot.calls] == []
    lease_release(name="telegram-updates", holder="another-run")
    assert telegram_updates() == {"linked": 0}
    assert [method for method, _body in bot.calls] == ["getUpdates"]


def test_a_half_configured_bot_is_reported_by_the_system_check(settings):
    from notifications.checks import check_telegram

    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_BOT_USERNAME = TOKEN, ""
    assert [w.id for w in check_telegram()] == ["notifications.W001"]
    settings.TELEGRAM_BOT_USERNAME = "council_test_bot"
    assert check_telegram() == []
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_BOT_USERNAME = "", ""
    assert check_telegram() == []


def test_the_settings_page_saves_where_each_kind_goes_and_can_unlink(world, bot):
    link(world, bot)
    client = world.client(world.expert1)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert f'name="route-{Kind.TASK_ASSIGNED}"' in page
    response = client.post(
        reverse("notifications:preferences"),
        {
            Kind.TASK_ASSIGNED: "immediate",
            f"route-{Kind.TASK_ASSIGNED}": "both",
            Kind.DOCUMENT_APPROVED: "off",
            f"route-{Kind.DOCUMENT_APPROVED}": "nonsense",
        },
    )
    assert response.status_code == 302
    choices = {p.kind: (p.mode, p.route) for p in Preference.objects.filter(user=world.expert1)}
    assert choices[Kind.TASK_ASSIGNED] == ("immediate", "both")
    assert choices[Kind.DOCUMENT_APPROVED] == ("off", "email")  # a bad value is ignored
    client.post(reverse("notifications:preferences"), {"action": "telegram_unlink"})
    assert not TelegramLink.objects.get(user=world.expert1).active
    notice = notify(recipient=world.expert1, kind=Kind.TASK_ASSIGNED, params={}, url="/z/")
    assert [d.channel for d in Delivery.objects.filter(notification=notice)] == ["email"]


def deliver_everything() -> None:
    """What the worker does with the deliveries written: every pending one is sent."""
    for pk in Delivery.objects.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True):
        deliver(pk)


def test_a_kind_switched_off_sends_no_email_and_no_telegram(world, bot, mailoutbox):
    """Off means nothing goes out: asserted on the mail and the Bot API's messages, on
    both paths that write notices (one by one, and the set-based batch)."""
    link(world, bot)
    greeting_count = len(bot.sent())
    world.client(world.expert1).post(
        reverse("notifications:preferences"),
        {
            Kind.PROTOCOL_CONFIRMED: "off",
            f"route-{Kind.PROTOCOL_CONFIRMED}": "both",
            Kind.SESSION_SCHEDULED: "immediate",
            f"route-{Kind.SESSION_SCHEDULED}": "both",
        },
    )
    params = {"number": 1, "date": "01.10.2026"}
    assert notify(recipient=world.expert1, kind=Kind.PROTOCOL_CONFIRMED, params=params) is None
    # The other kind, left on, goes by both channels, one by one…
    assert notify(recipient=world.expert1, kind=Kind.SESSION_SCHEDULED, params={"date": "1"})
    assert (
        notify_bulk(
            notices=[
                Notice(world.expert1, Kind.PROTOCOL_CONFIRMED, params, "/", "off:bulk"),
                # …and in the same batch.
                Notice(world.expert1, Kind.SESSION_SCHEDULED, {"date": "02.10.2026"}, "/", "on"),
            ]
        )
        == 1
    )
    deliver_everything()

    assert not Notification.objects.filter(kind=Kind.PROTOCOL_CONFIRMED).exists()
    assert not Delivery.objects.filter(notification__kind=Kind.PROTOCOL_CONFIRMED).exists()
    on = Notification.objects.filter(kind=Kind.SESSION_SCHEDULED)
    assert sorted(
        Delivery.objects.filter(notification__in=on).values_list("channel", "status")
    ) == [("email", "sent"), ("email", "sent"), ("telegram", "sent"), ("telegram", "sent")]
    assert [m.to for m in mailoutbox] == [[world.expert1.email]] * 2, "only the kind left on"
    assert len(bot.sent()) == greeting_count + 2, "only the kind left on goes to Telegram"


@pytest.mark.django_db(transaction=True)
def test_two_workers_falling_back_to_email_at_once_make_one_email(world, monkeypatch):
    """Two 403s for one notice handled at the same moment (a redelivered task, a second
    worker): the first fallback's row is not committed yet when the second looks for it.
    The unique (notification, channel) constraint makes the second wait and find it."""
    notice = notify(recipient=world.expert1, kind=Kind.TASK_ASSIGNED, params={}, url="/x/")
    Delivery.objects.filter(notification=notice).delete()
    telegram = Delivery.objects.create(
        notification=notice, recipient=world.expert1, channel=Delivery.Channel.TELEGRAM
    )
    published: list[list[int]] = []
    monkeypatch.setattr(
        "notifications.services.deliveries_publish", lambda ids: published.append(ids)
    )
    first_inserted = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        from django.db import connection, transaction

        try:
            with transaction.atomic():
                telegram_channel.fall_back_to_email(
                    Delivery.objects.get(pk=telegram.pk), "Telegram 403"
                )
                first_inserted.set()
                time.sleep(1.0)  # the second worker runs while this is not committed
        except BaseException as error:
            errors.append(error)
            first_inserted.set()
        finally:
            connection.close()

    def second() -> None:
        from django.db import connection

        try:
            first_inserted.wait(10)
            telegram_channel.fall_back_to_email(
                Delivery.objects.get(pk=telegram.pk), "Telegram 403"
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    emails = Delivery.objects.filter(notification=notice, channel=Delivery.Channel.EMAIL)
    assert emails.count() == 1
    assert published == [[emails.get().pk]]
