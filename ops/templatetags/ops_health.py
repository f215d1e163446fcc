from __future__ import annotations

from typing import Any

from django import template

from ..health import run_checks

register = template.Library()


@register.inclusion_tag("ops/health_panel.html", takes_context=True)
def health_panel(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    # School admins see ok/failing; the details name hosts and errors (superusers only).
    return {"checks": run_checks(), "details": user.is_superuser}
