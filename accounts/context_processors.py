"""What every page's navigation needs from accounts: the languages and what the person's
roles let them open. The other apps add their own counts and links (flows: the inbox,
notifications: the bell, council: the council's pages), each in its own
context_processors module, listed in settings.TEMPLATES."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def signed_in_user(request: HttpRequest) -> Any:
    """The person behind the request, or None (anonymous, or an error page without one)."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def per_request(request: HttpRequest, name: str, compute: Any) -> Any:
    """A value computed once per request: a page rendered with several templates asks the
    context processors again."""
    attribute = f"_navigation_{name}"
    if not hasattr(request, attribute):
        setattr(request, attribute, compute())
    return getattr(request, attribute)


def navigation(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"LANGUAGE_CHOICES": settings.LANGUAGES}
    user = signed_in_user(request)
    if user is None:
        return context
    context.update(
        can_create_documents=user.school_id is not None and user.has_perm("documents.add_document"),
        can_see_school_documents=user.has_perm("documents.view_school_documents"),
    )
    return context
