"""Writes of notifications. `notify` is called inside the transaction of the change that
causes it; the e-mail goes out after the commit, and the sweep sends whatever the commit
hook could not hand to the broker."""

from __future__ import annotations

import datetime
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from common.broker import breaker, publish

from .models import (
    ACTION_REQUIRED,
    Delivery,
    Kind,
    Lease,
    Mode,
    Notification,
    Preference,
    Route,
    TelegramLink,
)

DELIVER_TASK = "notifications.tasks.deliver"
# After an outage the web process' breaker replays its skipped deliveries merged into full
# batches, not one small task per request.
breaker.batched[DELIVER_TASK] = settings.NOTIFICATIONS_BATCH_SIZE


def choice_for(user: User, kind: str) -> tuple[str, str]:
    """(mode, route) the person chose for this kind; action notices cannot be off."""
    mode, route = Preference.objects.filter(user=user, kind=kind).values_list(
        "mode", "route"
    ).first() or (Mode.IMMEDIATE, Route.EMAIL)
    if mode == Mode.OFF and kind in ACTION_REQUIRED:
        mode = Mode.IMMEDIATE
    return mode, route


def mode_for(user: User, kind: str) -> str:
    return choice_for(user, kind)[0]


def channels_for(user: User, route: str, telegram_active: bool) -> list[str]:
    """The channels of an immediate notice. Telegram without a working link falls back to
    e-mail, so a blocked bot never silences an action notice."""
    channels = []
    if route in (Route.TELEGRAM, Route.BOTH) and telegram_active:
        channels.append(Delivery.Channel.TELEGRAM)
    if (route != Route.TELEGRAM or not telegram_active) and user.email:
        channels.append(Delivery.Channel.EMAIL)
    return channels


def telegram_active(user: User) -> bool:
    return TelegramLink.objects.filter(user=user, active=True).exists()


def notify(
    *,
    recipient: User,
    kind: str,
    params: dict[str, Any] | None = None,
    url: str = "",
    dedupe_key: str | None = None,
) -> Notification | None:
    """Tell `recipient` about something, in the app and by e-mail/Telegram as they chose.

    Returns None when they switched this kind off or when `dedupe_key` was already used
    (a reminder asked for twice is one reminder), and inside `notices_gathered()`, where
    the notice is written at the end of the step (callers there do not count)."""
    if not recipient.is_active:
        return None
    gathered = getattr(_gathering, "notices", None)
    if gathered is not None:
        # Inside `notices_gathered()`: written with the step's other notices at its end.
        gathered.append(Notice(recipient, kind, params or {}, url, dedupe_key))
        return None
    mode, route = choice_for(recipient, kind)
    if mode == Mode.OFF:
        return None
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                school_id=recipient.school_id,
                kind=kind,
                params=params or {},
                url=url,
                dedupe_key=dedupe_key,
                in_digest=mode == Mode.DIGEST,
            )
    except IntegrityError:  # the same dedupe_key, written concurrently
        return None
    if mode == Mode.IMMEDIATE:
        linked = route != Route.EMAIL and telegram_active(recipient)
        now = timezone.now()
        for channel in channels_for(recipient, route, linked):
            delivery = Delivery.objects.create(
                notification=notification,
                recipient=recipient,
                channel=channel,
                next_attempt_at=now,
                enqueued_at=now,
            )
            deliveries_enqueue_on_commit(delivery.pk)
    return notification


def notify_many(*, recipients: list[User], kind: str, params: dict, url: str, key: str) -> int:
    sent = 0
    for user in {u.pk: u for u in recipients}.values():
        if notify(recipient=user, kind=kind, params=params, url=url, dedupe_key=f"{key}:{user.pk}"):
            sent += 1
    return sent


@dataclass(frozen=True)
class Notice:
    recipient: User
    kind: str
    params: dict[str, Any]
    url: str
    dedupe_key: str | None = None


_gathering = threading.local()


@contextmanager
def notices_gathered() -> Iterator[None]:
    """Within one step (a transition of a document, say): every `notify` is kept and the
    lot written by `notify_bulk` when the block ends without an error, in its constant
    number of statements instead of five or six per notice. An error drops them with the
    rest of the step. Nested blocks join the outermost."""
    if getattr(_gathering, "notices", None) is not None:
        yield
        return
    _gathering.notices = []
    try:
        yield
        notices, _gathering.notices = _gathering.notices, None
        notify_bulk(notices=notices)
    finally:
        _gathering.notices = None


def notify_bulk(*, notices: list[Notice]) -> int:
    """`notify` for many at once, in a constant number of statements: the choices and
    Telegram links read in sets, the notifications inserted with ON CONFLICT DO NOTHING
    on their dedupe keys (a notice already written is skipped, however often asked for),
    the deliveries in one bulk insert, handed to the broker after the commit in batches.
    Returns how many notifications were written."""
    notices = [n for n in notices if n.recipient.is_active]
    if not notices:
        return 0
    users = {n.recipient.pk for n in notices}
    kinds = {n.kind for n in notices}
    choices = {
        (user_id, kind): (mode, route)
        for user_id, kind, mode, route in Preference.objects.filter(
            user_id__in=users, kind__in=kinds
        ).values_list("user_id", "kind", "mode", "route")
    }
    # Links are read only for the people who chose Telegram for one of these kinds.
    wants_telegram = {
        user_id for (user_id, _kind), (_mode, route) in choices.items() if route != Route.EMAIL
    }
    linked = (
        set(
            TelegramLink.objects.filter(user_id__in=wants_telegram, active=True).values_list(
                "user_id", flat=True
            )
        )
        if wants_telegram
        else set()
    )
    now = timezone.now()
    table = Notification._meta.db_table
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    modes: dict[str, tuple[Notice, str, str]] = {}
    unkeyed: list[tuple[Notice, str, str]] = []
    rows = []
    # A key asked for twice is one notice; notices without a key are each written.
    keyed = {n.dedupe_key: n for n in notices if n.dedupe_key is not None}
    for notice in [*keyed.values(), *(n for n in notices if n.dedupe_key is None)]:
        mode, route = choices.get((notice.recipient.pk, notice.kind), (Mode.IMMEDIATE, Route.EMAIL))
        if mode == Mode.OFF and notice.kind in ACTION_REQUIRED:
            mode = Mode.IMMEDIATE
        if mode == Mode.OFF:
            continue
        if notice.dedupe_key is None:
            unkeyed.append((notice, mode, route))
        else:
            modes[notice.dedupe_key] = (notice, mode, route)
        rows.append(
            [
                notice.recipient.pk,
                notice.recipient.school_id,
                notice.kind,
                json.dumps(notice.params),
                notice.url,
                notice.dedupe_key,
                mode == Mode.DIGEST,
                connection.ops.adapt_datetimefield_value(now),
            ]
        )
    created: list[tuple[int, str]] = []
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        values = ", ".join([f"(%s, %s, %s, %s{jsonb}, %s, %s, %s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table}
                    (recipient_id, school_id, kind, params, url, dedupe_key, in_digest,
                     created_at)
                VALUES {values}
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING id, dedupe_key
                """,
                [value for row in chunk for value in row],
            )
            created += cursor.fetchall()
    deliveries = []
    # RETURNING gives the inserted rows in the order of VALUES (what Django's bulk_create
    # relies on too); a row without a key never conflicts, so those come back in order.
    unkeyed_left = iter(unkeyed)
    for pk, key in created:
        notice, mode, route = modes[key] if key is not None else next(unkeyed_left)
        if mode != Mode.IMMEDIATE:
            continue
        for channel in channels_for(notice.recipient, route, notice.recipient.pk in linked):
            deliveries.append(
                Delivery(
                    notification_id=pk,
                    recipient_id=notice.recipient.pk,
                    channel=channel,
                    next_attempt_at=now,
                    enqueued_at=now,
                    created_at=now,
                )
            )
    deliveries_enqueue_on_commit(*[d.pk for d in Delivery.objects.bulk_create(deliveries)])
    return len(created)


# Hand-over to the broker: the deliveries written in one transaction go as one task (in
# batches of NOTIFICATIONS_BATCH_SIZE), sent on one kept SMTP connection.

_pending = threading.local()


def deliveries_enqueue_on_commit(*pks: int) -> None:
    if not pks:
        return
    ids = getattr(_pending, "ids", None)
    if ids is None:
        ids = _pending.ids = []
    ids.extend(pks)
    # Registered once per delivery: the first hook after the commit sends them all, the
    # others find nothing. (Ids of a rolled-back transaction may ride along; their task
    # finds no row to claim.)
    transaction.on_commit(_deliveries_flush)


def _deliveries_flush() -> None:
    ids = list(dict.fromkeys(getattr(_pending, "ids", None) or []))
    _pending.ids = []
    deliveries_publish(ids)


def deliveries_publish(ids: list[int]) -> int:
    """Publish `ids` in batches; a batch the broker refused gets `enqueued_at` cleared, so
    the sweep takes it at its next run instead of after the grace period."""
    size = settings.NOTIFICATIONS_BATCH_SIZE
    published = 0
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        # After a first failure the breaker is open and the next batches are only kept
        # for its replay (no wait), so every batch is tried.
        if publish(DELIVER_TASK, [batch]):
            published += len(batch)
        else:
            Delivery.objects.filter(pk__in=batch).update(enqueued_at=None)
    return published


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def preferences_save(
    *, user: User, modes: dict[str, str], routes: dict[str, str] | None = None
) -> None:
    routes = routes or {}
    for kind, mode in modes.items():
        if kind not in Kind.values or mode not in Mode.values:
            continue
        if mode == Mode.OFF and kind in ACTION_REQUIRED:
            mode = Mode.IMMEDIATE
        route = routes.get(kind)
        defaults = {"mode": mode}
        if route in Route.values:
            defaults["route"] = route
        Preference.objects.update_or_create(user=user, kind=kind, defaults=defaults)


def delivery_retry(*, delivery: Delivery) -> bool:
    """An admin's "retry" of a failed (or unanswered) delivery."""
    updated = Delivery.objects.filter(
        pk=delivery.pk, status__in=[Delivery.Status.FAILED, Delivery.Status.UNKNOWN]
    ).update(
        status=Delivery.Status.PENDING,
        next_attempt_at=timezone.now(),
        enqueued_at=timezone.now(),
        attempts=0,
        last_error="",
    )
    if updated:
        deliveries_enqueue_on_commit(delivery.pk)
    return bool(updated)


def digests_open(*, now: datetime.datetime | None = None) -> int:
    """Once a day, at the set hour, one digest delivery per person with digest items: one
    INSERT … SELECT, served by the partial index of waiting digest items."""
    now = timezone.localtime(now or timezone.now())
    if now.hour < settings.NOTIFICATIONS_DIGEST_HOUR:
        return 0
    today = now.date()
    delivery, notification = Delivery._meta.db_table, Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {delivery}
                (recipient_id, channel, digest_date, status, attempts, next_attempt_at,
                 last_error, created_at)
            SELECT DISTINCT n.recipient_id, %s, %s, %s, 0, %s, '', %s
            FROM {notification} n
            WHERE n.in_digest AND n.digest_delivery_id IS NULL
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            [
                Delivery.Channel.DIGEST,
                connection.ops.adapt_datefield_value(today),
                Delivery.Status.PENDING,
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        ids = [row[0] for row in cursor.fetchall()]
    # Not enqueued here: the sweep that opened them sends them (enqueued_at is NULL).
    return len(ids)


# Telegram links.


def telegram_link_start(*, user: User) -> TelegramLink:
    """A fresh one-time code for the deep link t.me/<bot>?start=<code>."""
    link, _created = TelegramLink.objects.get_or_create(user=user)
    link.code = secrets.token_urlsafe(24)
    link.code_expires_at = timezone.now() + datetime.timedelta(
        seconds=settings.TELEGRAM_LINK_CODE_SECONDS
    )
    link.save(update_fields=["code", "code_expires_at"])
    return link


def telegram_link_confirm(*, code: str, chat_id: int) -> TelegramLink | None:
    """The bot received "/start <code>" from `chat_id`: link that chat, once."""
    now = timezone.now()
    with transaction.atomic():
        link = (
            TelegramLink.objects.select_for_update()
            .filter(code=code, code_expires_at__gt=now)
            .first()
        )
        if link is None:
            return None
        link.chat_id, link.linked_at, link.active = chat_id, now, True
        link.code, link.code_expires_at, link.deactivated_reason = None, None, ""
        link.save()
    return link


def telegram_unlink(*, user: User) -> int:
    return TelegramLink.objects.filter(user=user).update(
        active=False, chat_id=None, code=None, code_expires_at=None
    )


def telegram_deactivate(*, chat_id: int, reason: str) -> int:
    return TelegramLink.objects.filter(chat_id=chat_id, active=True).update(
        active=False, deactivated_reason=reason[:200]
    )


# One beat.


def lease_take(*, name: str, holder: str, seconds: float) -> bool:
    """Take or renew the lease `name` for `holder`; False while someone else holds it."""
    now = timezone.now()
    until = now + datetime.timedelta(seconds=seconds)
    _lease, created = Lease.objects.get_or_create(
        name=name, defaults={"holder": holder, "expires_at": until}
    )
    if created:
        return True
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(expires_at__lt=now))
        .update(holder=holder, expires_at=until)
    )
    return taken == 1


def lease_release(*, name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).update(holder="", expires_at=timezone.now())
