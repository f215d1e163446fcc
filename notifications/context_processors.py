"""The bell's unread count in every page's navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.context_processors import per_request, signed_in_user


def unread(request: HttpRequest) -> dict[str, Any]:
    user = signed_in_user(request)
    if user is None:
        return {}
    from .models import Notification

    def count() -> int:
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    return {"unread_count": per_request(request, "unread_count", count)}
