"""Telegram: the Bot API's sendMessage, through httpx with one kept client per worker
process (keep-alive, separate connect/read timeouts, and the error classes tell "never
reached the server" from "sent, no answer" — the same distinction the e-mail sender makes).

429 carries `retry_after`: the row waits at least that long, and the rest of the batch
with it (flood control is per bot). 403 means the person blocked the bot: the link is
deactivated and the notice goes by e-mail instead. The token and the API's base URL come
from the environment, so a self-hosted Bot API server works the same."""

from __future__ import annotations

import logging

import httpx
from django.conf import settings
from django.utils import timezone

from ..models import Delivery, TelegramLink
from ..rendering import render_telegram
from . import SENT, Outcome, Result

logger = logging.getLogger(__name__)

_client: httpx.Client | None = None


def client() -> httpx.Client:
    global _client
    if _client is None:
        timeout = settings.TELEGRAM_TIMEOUT
        _client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
    return _client


def api(method: str) -> str:
    return f"{settings.TELEGRAM_API_URL}/bot{settings.TELEGRAM_BOT_TOKEN}/{method}"


def call(method: str, payload: dict) -> httpx.Response:
    return client().post(api(method), json=payload)


def fall_back_to_email(delivery: Delivery, reason: str) -> None:
    """The notice goes by e-mail (once), since Telegram cannot carry it. Two workers doing
    this at once meet at the unique (notification, channel) constraint: get_or_create's
    insert fails for the second, which then reads the first one's row and publishes
    nothing."""
    from ..services import deliveries_publish

    if not delivery.recipient.email or delivery.notification_id is None:
        return
    fallback, created = Delivery.objects.get_or_create(
        notification_id=delivery.notification_id,
        channel=Delivery.Channel.EMAIL,
        defaults={"recipient_id": delivery.recipient_id, "next_attempt_at": timezone.now()},
    )
    if created:
        logger.info("delivery %s: %s; e-mail %s instead", delivery.pk, reason, fallback.pk)
        deliveries_publish([fallback.pk])


class TelegramSender:
    def __enter__(self) -> TelegramSender:
        return self

    def __exit__(self, *exc: object) -> None:
        pass  # the client stays open for the next task of this process

    def prepare(self, delivery: Delivery) -> None:
        return None  # a short text, rendered when sent (the link is read then too)

    def send(self, delivery: Delivery, prepared: None) -> Result:
        link = TelegramLink.objects.filter(user_id=delivery.recipient_id, active=True).first()
        if link is None or not settings.TELEGRAM_BOT_TOKEN:
            fall_back_to_email(delivery, "no Telegram link")
            return Result(Outcome.FAILED, "no active Telegram link (sent by e-mail)")
        text = render_telegram(delivery.notification)
        try:
            response = call(
                "sendMessage",
                {
                    "chat_id": link.chat_id,
                    "text": text,
                    "link_preview_options": {"is_disabled": True},
                },
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.WriteError) as error:
            # Nothing reached the Bot API: safe to retry, and the rest of the batch with it.
            return Result(Outcome.RETRY, f"{type(error).__name__}: {error}", stop_batch=True)
        except httpx.TransportError as error:
            # Sent, and no (complete) answer: it may have been delivered.
            return Result(Outcome.UNKNOWN, f"{type(error).__name__}: {error}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        description = str(body.get("description", response.reason_phrase))[:500]
        error = f"Telegram {response.status_code}: {description}"
        if response.status_code == 200 and body.get("ok"):
            return SENT
        if response.status_code == 429:
            retry_after = float((body.get("parameters") or {}).get("retry_after", 1))
            return Result(Outcome.RETRY, error, retry_after=retry_after, stop_batch=True)
        if response.status_code in (400, 403):
            # Blocked by the person, or the chat is gone: no point in trying Telegram again.
            from ..services import telegram_deactivate

            telegram_deactivate(chat_id=link.chat_id, reason=error)
            fall_back_to_email(delivery, error)
            return Result(Outcome.FAILED, f"{error} (link deactivated, sent by e-mail)")
        if response.status_code == 401:
            return Result(Outcome.RETRY, error, stop_batch=True)  # a wrong token: admins fix it
        return Result(Outcome.RETRY, error)
