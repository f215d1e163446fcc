"""Each message is three templates (subject, text, HTML), rendered in the recipient's
language at the moment it is shown or sent (as healthchecks renders its e-mails)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from .models import Notification


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def context_for(notification: Notification) -> dict:
    params = dict(notification.params)
    # Parameters named *_msgid hold source strings (a task's title) to show translated.
    for key in [k for k in params if k.endswith("_msgid")]:
        params[key[: -len("_msgid")]] = gettext(params[key])
    url = notification.url
    return {
        "n": notification,
        "p": params,
        "url": f"{settings.SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url,
        "recipient": notification.recipient,
    }


def subject_of(notification: Notification) -> str:
    name = f"notifications/email/{notification.kind}_subject.txt"
    return " ".join(render_to_string(name, context_for(notification)).split())


def render_message(notification: Notification) -> Message:
    language = notification.recipient.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = context_for(notification)
        base = f"notifications/email/{notification.kind}"
        return Message(
            subject=" ".join(render_to_string(f"{base}_subject.txt", context).split()),
            text=render_to_string(f"{base}.txt", context),
            html=render_to_string(f"{base}.html", context),
        )


def render_digest(recipient, notifications: list[Notification]) -> Message:
    language = recipient.language or settings.LANGUAGE_CODE
    with translation.override(language):
        items = [
            {"subject": subject_of(n), "url": context_for(n)["url"], "created_at": n.created_at}
            for n in notifications
        ]
        context = {"items": items, "recipient": recipient, "site": settings.SITE_URL}
        return Message(
            subject=" ".join(
                render_to_string("notifications/email/digest_subject.txt", context).split()
            ),
            text=render_to_string("notifications/email/digest.txt", context),
            html=render_to_string("notifications/email/digest.html", context),
        )


def render_telegram(notification: Notification) -> str:
    """A Telegram message: the subject and the link, in the recipient's language."""
    language = notification.recipient.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = context_for(notification)
        subject = subject_of(notification)
        return f"{subject}\n\n{context['url']}" if context["url"] else subject
