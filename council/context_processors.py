"""The council's link in every page's navigation: for whoever reads the school's documents
and for the council's members."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.context_processors import per_request, signed_in_user


def council_link(request: HttpRequest) -> dict[str, Any]:
    user = signed_in_user(request)
    if user is None:
        return {}

    def visible() -> bool:
        return user.school_id is not None and (
            user.has_perm("documents.view_school_documents") or user.council_memberships.exists()
        )

    return {"can_see_council": per_request(request, "can_see_council", visible)}
