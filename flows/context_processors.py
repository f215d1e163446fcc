"""The inbox count in every page's navigation: open expertise tasks and council steps."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.context_processors import per_request, signed_in_user


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = signed_in_user(request)
    if user is None:
        return {}
    from .selectors import inbox_count

    return {"inbox_count": per_request(request, "inbox_count", lambda: inbox_count(user))}
