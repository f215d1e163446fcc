from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import selectors
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


def _file_response(file_field, file_name: str, kind: str) -> FileResponse:
    content_types = {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt": "application/vnd.oasis.opendocument.text",
    }
    try:
        handle = file_field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=file_name,
        content_type=content_types.get(kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def draft_file(request: HttpRequest, pk: int) -> FileResponse:
    """The working copy: its author only."""
    document = own_document(request, pk)
    if not document.file:
        raise Http404
    return _file_response(document.file, document.file_name, document.file_kind)


@login_required
def version_file(request: HttpRequest, pk: int, number: int) -> FileResponse:
    document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
    version = get_object_or_404(document.versions, number=number)
    return _file_response(version.file, version.file_name, version.file_kind)


@login_required
def approval_sheet(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
    if not document.approval_sheet:
        raise Http404
    return _file_response(
        document.approval_sheet, f"approval-sheet-{document.registry_number}.pdf", "pdf"
    )
