from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

SUPPORTED = {code for code, _name in settings.LANGUAGES}


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
            from .services import user_language_set

            user_language_set(user=request.user, language=language)
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
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    from common.params import parse_id

    from .forms import AbsenceForm
    from .models import Absence, User
    from .services import absence_record, absence_remove

    if request.user.school_id is None:
        return redirect("home")
    colleagues = User.objects.filter(school_id=request.user.school_id, is_active=True).exclude(
        pk=request.user.pk
    )
    if request.method == "POST":
        if "delete" in request.POST:
            absence_id = parse_id(request.POST["delete"])
            if absence_id is not None and absence_remove(user=request.user, absence_id=absence_id):
                messages.success(request, _("The absence is removed."))
            else:
                messages.error(request, _("There is no such absence."))
            return redirect("absence")
        form = AbsenceForm(request.POST, colleagues=colleagues)
        if form.is_valid():
            try:
                absence_record(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Your substitute is recorded."))
        else:
            for message in dict.fromkeys(m for ms in form.errors.values() for m in ms):
                messages.error(request, message)
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
