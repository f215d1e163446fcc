from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# The length of axes' AccessAttempt.username column.
AXES_USERNAME_MAX = 255


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The user name of a sign-in attempt as django-axes records it, cut to its column:
    a longer name names no account anyway, and must not make the attempt fail with a
    database error instead of "wrong user name or password"."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username")
    if value is None:
        return None
    return str(value)[:AXES_USERNAME_MAX]
