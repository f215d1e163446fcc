from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

SUPPORTED = {code for code, _name in settings.LANGUAGES}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("flows:inbox")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language: saved on the user, and in a cookie before sign-in."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in SUPPORTED:
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    return response


@login_required
def absence(request: HttpRequest) -> HttpResponse:
    """A person names a substitute for a period of absence; tasks that would be assigned
    to them in that period go to the substitute, who acts for them."""
    import datetime

    from django.contrib import messages
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    from .models import Absence, User

    if request.user.school_id is None:
        return redirect("home")
    colleagues = User.objects.filter(school_id=request.user.school_id, is_active=True).exclude(
        pk=request.user.pk
    )
    if request.method == "POST":
        if request.POST.get("delete"):
            Absence.objects.filter(pk=request.POST["delete"], user=request.user).delete()
            messages.success(request, _("The absence is removed."))
            return redirect("absence")
        try:
            starts = datetime.date.fromisoformat(request.POST.get("starts_on", ""))
            ends = datetime.date.fromisoformat(request.POST.get("ends_on", ""))
        except ValueError:
            messages.error(request, _("Enter valid dates."))
            return redirect("absence")
        substitute = colleagues.filter(pk=request.POST.get("substitute") or 0).first()
        if substitute is None:
            messages.error(request, _("Choose a substitute from your school."))
        elif ends < starts:
            messages.error(request, _("The end cannot be before the start."))
        else:
            Absence.objects.create(
                user=request.user, substitute=substitute, starts_on=starts, ends_on=ends
            )
            messages.success(request, _("Your substitute is recorded."))
        return redirect("absence")
    return render(
        request,
        "accounts/absence.html",
        {
            "absences": Absence.objects.filter(user=request.user).select_related("substitute"),
            "colleagues": colleagues.order_by("last_name", "first_name"),
        },
    )


@login_required
@permission_required("accounts.view_rolechange", raise_exception=True)
def role_changes(request: HttpRequest) -> HttpResponse:
    """The record of role changes: the director reads their school's, the district
    administrator their district's."""
    from django.shortcuts import render

    from .selectors import role_changes_visible_to

    page = Paginator(role_changes_visible_to(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/role_changes.html", {"page": page})
