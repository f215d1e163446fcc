"""The public verification page of official papers: no login, one paper per code.

It shows only what the paper record holds (documents/paper_models.py) — never reviews,
recommendations or other people — and answers a malformed, unknown or not yet issued
code alike. Lookups are counted per client address (documents/papers.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from .models import OfficialPaper, PaperStatus
from .papers import (
    code_display,
    code_normalize,
    file_sha256,
    paper_lookup,
    throttle_hit,
)

ROLE_LABELS = {
    "approver": _("Approved the document"),
    "chair": _("Chair of the council"),
    "secretary": _("Secretary of the council"),
}


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=80,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class FileCheckForm(forms.Form):
    file = forms.FileField(label=_("The file you received"))

    @staticmethod
    def too_large() -> str:
        return _("The file is larger than %(mb)s MB.") % {
            "mb": settings.DOCUMENT_MAX_UPLOAD_BYTES // (1024 * 1024)
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.DOCUMENT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(self.too_large())
        return upload


def _client(request: HttpRequest) -> str:
    # axes' notion of the client address, so that a proxy is trusted the same way for
    # login throttling and for this page.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def _private(response: HttpResponse) -> HttpResponse:
    # A paper's page is for whoever holds the paper: not cached on the way, not indexed.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "POST"])
def verify_start(request: HttpRequest) -> HttpResponse:
    """Where a code read from the paper is typed. Every code goes on to the paper's page,
    well-formed or not, so that both answer from one place and alike."""
    form = CodeForm(request.POST or request.GET or None)
    if form.is_bound and form.is_valid():
        typed = form.cleaned_data["code"]
        code = code_normalize(typed) or "".join(ch for ch in typed if ch.isalnum())[:40]
        if code:
            return redirect("verify:paper", code=code)
        form.add_error("code", _("Type the code printed on the paper."))
    return _private(render(request, "documents/verify_start.html", {"form": form}))


# Room for the form's own fields and the multipart boundaries around the file.
UPLOAD_ROOM_EXTRA = 64 * 1024


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt  # checked by `_check_upload`, once the request is known to be small enough
@require_http_methods(["GET", "POST"])
def verify_paper(request: HttpRequest, code: str) -> HttpResponse:
    """Counted first, and an upload over the cap refused by its declared length, both
    before the body is read: the CSRF check would otherwise read (and spool to disk)
    whatever a stranger sends."""
    if not throttle_hit(_client(request)):
        minutes = max(1, settings.PAPERS_VERIFY_RATE_WINDOW_SECONDS // 60)
        response = render(
            request,
            "documents/verify_paper.html",
            {"throttled": True, "minutes": minutes},
            status=429,
        )
        response["Retry-After"] = str(settings.PAPERS_VERIFY_RATE_WINDOW_SECONDS)
        return _private(response)
    paper = paper_lookup(code_normalize(code))
    if paper is None:
        return _private(render(request, "documents/verify_paper.html", {"paper": None}, status=404))
    if (
        request.method == "POST"
        and _declared_length(request) > settings.DOCUMENT_MAX_UPLOAD_BYTES + UPLOAD_ROOM_EXTRA
    ):
        return _private(
            _paper_page(
                request, paper, FileCheckForm(), None, error=FileCheckForm.too_large(), status=413
            )
        )
    return _check_upload(request, paper)


@csrf_protect
def _check_upload(request: HttpRequest, paper: OfficialPaper) -> HttpResponse:
    file_form = FileCheckForm()
    file_matches = None
    if request.method == "POST":
        file_form = FileCheckForm(request.POST, request.FILES)
        if file_form.is_valid():
            digest = file_sha256(file_form.cleaned_data["file"].chunks())
            # The paper's PDF, or the approved document's own file that came with it.
            if digest == paper.pdf_sha256:
                file_matches = "paper"
            elif paper.version_sha256 and digest == paper.version_sha256:
                file_matches = "version"
            else:
                file_matches = "none"
    return _private(_paper_page(request, paper, file_form, file_matches))


def _paper_page(
    request: HttpRequest,
    paper: OfficialPaper,
    file_form: FileCheckForm,
    file_matches: str | None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    signatories = [
        {
            "name": person.get("name", ""),
            "role": ROLE_LABELS.get(person.get("role", ""), ""),
            "position": person.get("position", ""),
        }
        for person in paper.signatories
    ]
    context = {
        "paper": paper,
        "code": code_display(paper.code),
        "signatories": signatories,
        "valid": paper.status == PaperStatus.VALID,
        "file_form": file_form,
        "file_matches": file_matches,
        "upload_error": error,
    }
    return render(request, "documents/verify_paper.html", context, status=status)
