"""Delivery of e-mails: at least once from the broker, once in effect.

`deliver` claims its row with a conditional UPDATE (pending → sending) and does nothing if
another run has it. A failure puts the row back to pending with a back-off; a permanent
refusal, or too many attempts, marks it failed for the admins. `sweep` re-enqueues rows
whose commit-time enqueue was lost (Redis down) and frees claims of killed workers."""

from __future__ import annotations

import datetime
import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Delivery, Notification
from .rendering import render_digest, render_message
from .services import DELIVER_TASK, digests_open

logger = logging.getLogger(__name__)


def backoff(attempts: int) -> datetime.timedelta:
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def is_permanent(error: Exception) -> bool:
    """5xx answers are final (bad address, refused content); 4xx and I/O are passing."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


@shared_task(name=DELIVER_TASK, ignore_result=True, acks_late=True)
def deliver(delivery_id: int) -> str:
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return "not claimed"
    delivery = Delivery.objects.select_related("recipient", "notification__recipient").get(
        pk=delivery_id
    )
    try:
        message, items = compose(delivery)
        if message is None:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.SENT, sent_at=timezone.now()
            )
            return "nothing to send"
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.recipient.email],
            headers={
                "Message-ID": f"<delivery-{delivery.pk}@{settings.NOTIFICATIONS_MAIL_DOMAIN}>"
            },
            connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        )
        email.attach_alternative(message.html, "text/html")
        email.send()
    except Exception as error:
        failed = is_permanent(error) or delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.FAILED if failed else Delivery.Status.PENDING,
            next_attempt_at=None if failed else timezone.now() + backoff(delivery.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        logger.warning("delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
        return "failed" if failed else "retry"
    # Only our own claim is marked sent (a sweep may have freed a claim it took for dead).
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    if items:
        Notification.objects.filter(pk__in=items).update(digest_delivery=delivery)
    return "sent"


def compose(delivery: Delivery):
    if delivery.channel == Delivery.Channel.EMAIL:
        return render_message(delivery.notification), []
    notifications = list(
        Notification.objects.filter(
            recipient=delivery.recipient,
            in_digest=True,
            created_at__lt=delivery.created_at,
        )
        .filter(digest_delivery__isnull=True)
        .order_by("created_at")
    )
    if not notifications:
        return None, []
    return render_digest(delivery.recipient, notifications), [n.pk for n in notifications]


@shared_task(name="notifications.tasks.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS)
    # A worker killed mid-send leaves its claim; give the row back.
    freed = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale).update(
        status=Delivery.Status.PENDING, next_attempt_at=now
    )
    grace = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS)
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .exclude(attempts=0, created_at__gt=grace)  # just written: its own enqueue is on the way
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        deliver.delay(pk)
    with transaction.atomic():
        opened = digests_open(now=now)
    return {"freed": freed, "enqueued": len(due), "digests": opened}
