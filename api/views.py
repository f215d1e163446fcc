"""The profile page: who I am, and my personal API tokens (created, listed, revoked by
their owner; a new key is shown once, right after it is created)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name (what the token is for)"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. district e-diary")}),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Valid for, days"),
        min_value=1,
        max_value=services.MAX_TOKEN_DAYS,
        initial=90,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.token_create(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request, _("The token is created. Copy it now: it is shown only once.")
            )
            form = TokenForm()
    return render(
        request,
        "api/profile.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": selectors.tokens_of(request.user),
            "roles": list(request.user.groups.values_list("name", flat=True)),
            "rate": settings.API_TOKEN_RATE_PER_MINUTE,
            "docs_url": reverse("api-1:openapi-view"),
            "schema_url": reverse("api-1:openapi-json"),
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if services.token_revoke(user=request.user, token_id=pk):
        messages.success(request, _("The token is revoked."))
    return redirect("profile")


def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other address under /api/: a problem document, not the HTML 404 page, since
    the caller is a program."""
    from django.utils.translation import pgettext

    from .problems import problem

    return problem(404, pgettext("problem", "Not found"))
