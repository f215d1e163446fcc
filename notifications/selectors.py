"""Reads of notifications for pages, in a fixed number of queries."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from accounts.models import User

from .models import Notification, Preference, TelegramLink


def notifications_page(*, user: User, number: str | None, per_page: int = 30) -> Page:
    """The person's notifications, newest first (index notification_list). Each row's
    recipient is the person: set, not read again row by row."""
    page = Paginator(
        Notification.objects.filter(recipient=user).order_by("-created_at", "-pk"), per_page
    ).get_page(number)
    for notification in page:
        notification.recipient = user
    return page


def preferences_of(*, user: User) -> dict[str, tuple[str, str]]:
    return {
        kind: (mode, route)
        for kind, mode, route in Preference.objects.filter(user=user).values_list(
            "kind", "mode", "route"
        )
    }


def telegram_link_of(*, user: User) -> TelegramLink | None:
    return TelegramLink.objects.filter(user=user).first()
