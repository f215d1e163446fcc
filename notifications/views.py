from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .models import ACTION_REQUIRED, Kind, Mode, Notification, Preference
from .rendering import subject_of


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        Notification.objects.filter(recipient=request.user).order_by("-created_at", "-pk"), 30
    ).get_page(request.GET.get("page"))
    rows = [{"n": n, "subject": subject_of(n)} for n in page]
    return render(request, "notifications/list.html", {"page": page, "rows": rows})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    services.mark_read(user=request.user, notification_id=pk)
    target = request.POST.get("next") or ""
    if pk is not None and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        # Not redirect(): it would take "next=-1" for a URL name and fail to reverse it.
        return HttpResponseRedirect(target)
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.preferences_save(
            user=request.user, modes={kind: request.POST.get(kind, "") for kind in Kind.values}
        )
        messages.success(request, _("Your choices are saved."))
        return redirect("notifications:preferences")
    current = dict(Preference.objects.filter(user=request.user).values_list("kind", "mode"))
    rows = [
        {
            "kind": kind,
            "label": label,
            "mode": current.get(kind, Mode.IMMEDIATE),
            "required": kind in ACTION_REQUIRED,
        }
        for kind, label in Kind.choices
    ]
    return render(request, "notifications/preferences.html", {"rows": rows, "modes": Mode.choices})
