from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import selectors
from .downloads import attachment_response
from .models import Document

PAGE_SIZE = 25


@login_required
def my_documents(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_documents(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "documents/my_documents.html", {"page": page})


def own_document(request: HttpRequest, pk: int) -> Document:
    """The user's own document, in their school; 404 for anyone else's."""
    return get_object_or_404(Document, pk=pk, author=request.user, school_id=request.user.school_id)


@login_required
def draft_file(request: HttpRequest, pk: int) -> FileResponse:
    """The working copy: its author only."""
    document = own_document(request, pk)
    if not document.file:
        raise Http404
    return attachment_response(document.file, document.file_name, document.file_kind)


@login_required
def version_file(request: HttpRequest, pk: int, number: int) -> FileResponse:
    document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
    version = get_object_or_404(document.versions, number=number)
    return attachment_response(version.file, version.file_name, version.file_kind)


@login_required
def approval_sheet(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
    if not document.approval_sheet:
        raise Http404
    return attachment_response(
        document.approval_sheet, f"approval-sheet-{document.registry_number}.pdf", "pdf"
    )
