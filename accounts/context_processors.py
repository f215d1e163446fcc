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

    # Computed once per request: a page rendered with several templates asks again.
    cached = getattr(request, "_navigation_counts", None)
    if cached is None:
        cached = request._navigation_counts = (
            inbox_count(user),
            Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
            user.school_id is not None
            and (
                user.has_perm("documents.view_school_documents")
                or user.council_memberships.exists()
            ),
        )
    context.update(
        inbox_count=cached[0],
        unread_count=cached[1],
        can_create_documents=user.school_id is not None and user.has_perm("documents.add_document"),
        can_see_school_documents=user.has_perm("documents.view_school_documents"),
        can_see_council=cached[2],
    )
    return context
