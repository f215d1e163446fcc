"""Writes of notifications. `notify` is called inside the transaction of the change that
causes it; the e-mail goes out after the commit, and the sweep sends whatever the commit
hook could not hand to the broker."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from project.celery import enqueue_on_commit

from .models import ACTION_REQUIRED, Delivery, Kind, Mode, Notification, Preference

DELIVER_TASK = "notifications.tasks.deliver"


def mode_for(user: User, kind: str) -> str:
    mode = (
        Preference.objects.filter(user=user, kind=kind).values_list("mode", flat=True).first()
        or Mode.IMMEDIATE
    )
    if mode == Mode.OFF and kind in ACTION_REQUIRED:
        return Mode.IMMEDIATE
    return mode


def notify(
    *,
    recipient: User,
    kind: str,
    params: dict[str, Any] | None = None,
    url: str = "",
    dedupe_key: str | None = None,
) -> Notification | None:
    """Tell `recipient` about something, in the app and by e-mail as they chose.

    Returns None when they switched this kind off or when `dedupe_key` was already used
    (a reminder asked for twice is one reminder)."""
    if not recipient.is_active:
        return None
    mode = mode_for(recipient, kind)
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
    if mode == Mode.IMMEDIATE and recipient.email:
        delivery = Delivery.objects.create(
            notification=notification,
            recipient=recipient,
            channel=Delivery.Channel.EMAIL,
            next_attempt_at=timezone.now(),
        )
        enqueue_on_commit(DELIVER_TASK, delivery.pk)
    return notification


def notify_many(*, recipients: list[User], kind: str, params: dict, url: str, key: str) -> int:
    sent = 0
    for user in {u.pk: u for u in recipients}.values():
        if notify(recipient=user, kind=kind, params=params, url=url, dedupe_key=f"{key}:{user.pk}"):
            sent += 1
    return sent


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def preferences_save(*, user: User, modes: dict[str, str]) -> None:
    for kind, mode in modes.items():
        if kind not in Kind.values or mode not in Mode.values:
            continue
        if mode == Mode.OFF and kind in ACTION_REQUIRED:
            mode = Mode.IMMEDIATE
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})


def delivery_retry(*, delivery: Delivery) -> bool:
    """An admin's "retry" of a failed delivery."""
    updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0, last_error=""
    )
    if updated:
        enqueue_on_commit(DELIVER_TASK, delivery.pk)
    return bool(updated)


def digests_open(*, now: datetime.datetime | None = None) -> int:
    """Once a day, at the set hour, one digest delivery per person with digest items."""
    now = timezone.localtime(now or timezone.now())
    if now.hour < settings.NOTIFICATIONS_DIGEST_HOUR:
        return 0
    today = now.date()
    recipients = (
        Notification.objects.filter(in_digest=True, digest_delivery__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    opened = 0
    for recipient_id in recipients:
        delivery, created = Delivery.objects.get_or_create(
            recipient_id=recipient_id,
            channel=Delivery.Channel.DIGEST,
            digest_date=today,
            defaults={"next_attempt_at": now},
        )
        if created:
            opened += 1
            enqueue_on_commit(DELIVER_TASK, delivery.pk)
    return opened
