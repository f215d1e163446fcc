"""``/health/`` for orchestrators and monitoring: 200 when every component asked for is
ok, 503 otherwise. The body says only ok/failing per component: it is public, and error
texts would tell a stranger about hosts, ports and versions."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import COMPONENTS, run_checks


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    only = request.GET.get("only", "")
    components = [name for name in only.split(",") if name] or None
    unknown = sorted(set(components or []) - set(COMPONENTS))
    if unknown:
        return JsonResponse(
            {"error": "unknown component", "unknown": unknown, "components": list(COMPONENTS)},
            status=400,
        )
    checks = run_checks(components)
    healthy = all(check.ok for check in checks)
    return JsonResponse(
        {
            "status": "ok" if healthy else "failing",
            "checks": {check.component: "ok" if check.ok else "failing" for check in checks},
        },
        status=200 if healthy else 503,
    )
