from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .models import ACTION_REQUIRED, Kind, Mode, Route
from .rendering import subject_of


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = selectors.notifications_page(user=request.user, number=request.GET.get("page"))
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
        action = request.POST.get("action", "save")
        if action == "telegram_link":
            services.telegram_link_start(user=request.user)
            messages.success(request, _("Open the link below in Telegram and press Start."))
        elif action == "telegram_unlink":
            services.telegram_unlink(user=request.user)
            messages.success(request, _("Telegram is unlinked; notices come by e-mail."))
        else:
            services.preferences_save(
                user=request.user,
                modes={kind: request.POST.get(kind, "") for kind in Kind.values},
                routes={kind: request.POST.get(f"route-{kind}", "") for kind in Kind.values},
            )
            messages.success(request, _("Your choices are saved."))
        return redirect("notifications:preferences")
    current = selectors.preferences_of(user=request.user)
    link = selectors.telegram_link_of(user=request.user)
    telegram_on = bool(settings.TELEGRAM_BOT_TOKEN and settings.TELEGRAM_BOT_USERNAME)
    rows = [
        {
            "kind": kind,
            "label": label,
            "mode": current.get(kind, (Mode.IMMEDIATE, Route.EMAIL))[0],
            "route": current.get(kind, (Mode.IMMEDIATE, Route.EMAIL))[1],
            "required": kind in ACTION_REQUIRED,
        }
        for kind, label in Kind.choices
    ]
    deep_link = ""
    if telegram_on and link is not None and link.code and not link.active:
        deep_link = f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={link.code}"
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": rows,
            "modes": Mode.choices,
            "routes": Route.choices,
            "telegram_on": telegram_on,
            "link": link,
            "deep_link": deep_link,
        },
    )
