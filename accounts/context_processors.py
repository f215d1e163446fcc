from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    context: dict[str, Any] = {"LANGUAGE_CHOICES": settings.LANGUAGES}
    if user is None or not user.is_authenticated:
        return context
    from flows.selectors import inbox_count
    from notifications.models import Notification

    context.update(
        inbox_count=inbox_count(user),
        unread_count=Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
        can_create_documents=user.school_id is not None and user.has_perm("documents.add_document"),
        can_see_school_documents=user.has_perm("documents.view_school_documents"),
        can_see_council=user.school_id is not None
        and (user.has_perm("documents.view_school_documents") or user.council_memberships.exists()),
    )
    return context
