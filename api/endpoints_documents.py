"""Documents: the list (the school list's filters), the detail (versions, rounds, reviews,
recommendations and answers, timeline), a draft's create/update with its file, submit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from documents import selectors, services
from documents.downloads import CONTENT_TYPES, attachment_response
from documents.forms import DocumentForm
from documents.models import Document, DocumentType
from flows.models import ExpertiseProcess
from flows.selectors import open_task_for, rounds_for, timeline_for
from flows.services import document_submit
from reports.forms import ListFilterForm
from reports.selectors import STAGES_OF_GROUP, school_documents

from . import present
from .pagination import MAX_PAGE_SIZE, ObjectId, paginate
from .problems import ERRORS, FormInvalid, Problem
from .schemas import DocumentDetail, DocumentIn, DocumentPage, DocumentSummary, one_of

router = Router(tags=["documents"])
# The file part of a multipart body; optional (a draft may be saved without its file).
OPTIONAL_FILE = File(None)


class DocumentFilters(Schema):
    year: int | None = Field(None, ge=1, le=2**31 - 1)
    doc_type: str | None = Field(None, max_length=30, **one_of(DocumentType.values))
    association: int | None = Field(None, ge=1, le=2**31 - 1)
    author: int | None = Field(None, ge=1, le=2**31 - 1)
    stage: str | None = Field(
        None, max_length=30, **one_of(list(STAGES_OF_GROUP), "a stage group of the dashboard")
    )
    overdue: bool = False
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


@router.get("", response={200: DocumentPage, ERRORS: Problem}, url_name="documents")
def document_list(request: HttpRequest, filters: Query[DocumentFilters]) -> dict[str, Any]:
    """The documents the caller may see, newest first, with the school list's filters."""
    data = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in filters.dict().items()
        if v not in (None, False) and k not in ("page", "page_size")
    }
    form = ListFilterForm(data, school_id=request.user.school_id)
    if data and not form.is_valid():
        raise FormInvalid(form.errors)
    rows = school_documents(request.user, filters=form.filters())
    return paginate(
        rows,
        page=filters.page,
        page_size=filters.page_size,
        present=lambda items: [present.document_summary(d) for d in items],
    )


def visible_document(request: HttpRequest, document_id: ObjectId) -> Document:
    return get_object_or_404(
        selectors.documents_visible_to(request.user).select_related(
            "author", "academic_year", "methodical_association", "school", "approved_by"
        ),
        pk=document_id,
    )


def document_detail_data(request: HttpRequest, document: Document) -> dict[str, Any]:
    user = request.user
    my_task = open_task_for(user, document.pk)
    # The blind-expertise rule of the pages (flows.selectors.reviews_visible_to).
    rounds = rounds_for(user, document)
    data = present.document_summary(document)
    is_author = document.author_id == user.pk
    data.update(
        {
            "description": document.description,
            "file_name": document.file_name if is_author else "",
            "file_size": document.file_size if is_author else 0,
            "pedagogical_protocol_number": document.pedagogical_protocol_number,
            "pedagogical_reviewed_on": document.pedagogical_reviewed_on,
            "approved_by": present.user_ref(document.approved_by),
            "approved_at": document.approved_at,
            "versions": [
                {
                    "number": v.number,
                    "title": v.title,
                    "file_name": v.file_name,
                    "file_size": v.file_size,
                    "file_kind": v.file_kind,
                    "sha256": v.sha256,
                    "submitted_by": present.user_ref(v.submitted_by),
                    "submitted_at": v.submitted_at,
                    "file_url": present.version_url(document.pk, v.number),
                }
                for v in selectors.document_versions(document)
            ],
            "rounds": present.rounds(rounds),
            "timeline": [
                present.event(e, hide_opinion=e.note_hidden)
                for e in timeline_for(user, document, rounds)
            ],
            "my_task": (
                {
                    "id": my_task.pk,
                    "step": my_task.flow_task.name,
                    "title": present.task_title(my_task),
                }
                if my_task
                else None
            ),
        }
    )
    return data


@router.get(
    "/{document_id}",
    response={200: DocumentDetail, ERRORS: Problem},
    url_name="document",
)
def document_detail(request: HttpRequest, document_id: ObjectId) -> dict[str, Any]:
    """A document with its versions, rounds (reviews stay blind to an expert of the round
    until they have given their own opinion), recommendations and answers, and timeline."""
    return document_detail_data(request, visible_document(request, document_id))


FILE_RESPONSE = {
    200: {
        "description": "The frozen version's file, as an attachment.",
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}}
            for kind in CONTENT_TYPES.values()
        },
    }
}


@router.get(
    "/{document_id}/versions/{number}/file",
    response={ERRORS: Problem},
    url_name="version_file",
    openapi_extra={"responses": FILE_RESPONSE},
)
def version_file(request: HttpRequest, document_id: ObjectId, number: ObjectId) -> FileResponse:
    document = visible_document(request, document_id)
    version = get_object_or_404(document.versions, number=number)
    return attachment_response(version.file, version.file_name, version.file_kind)


def _form(request: HttpRequest, payload: DocumentIn, upload: UploadedFile | None, instance=None):
    data = {k: ("" if v is None else str(v)) for k, v in payload.dict().items()}
    files = {"upload": upload} if upload is not None else {}
    form = DocumentForm(data, files, instance=instance, user=request.user)
    if not form.is_valid():
        raise FormInvalid(form.errors)
    return form


def _reload(document_id: ObjectId) -> Document:
    return Document.objects.select_related(
        "author", "academic_year", "methodical_association", "school", "approved_by"
    ).get(pk=document_id)


@router.post("", response={201: DocumentSummary, ERRORS: Problem}, url_name="document_create")
def document_create(
    request: HttpRequest, payload: Form[DocumentIn], upload: UploadedFile | None = OPTIONAL_FILE
) -> Status:
    """A new draft, with its file (.docx, .odt or .pdf, checked by content as on the page)."""
    if request.user.school_id is None or not request.user.has_perm("documents.add_document"):
        raise PermissionDenied
    form = _form(request, payload, upload)
    document = services.document_create(author=request.user, **form.service_kwargs())
    return Status(201, present.document_summary(_reload(document.pk)))


# POST, not PUT: a multipart body with a file is parsed by Django for POST only.
@router.post(
    "/{document_id}",
    response={200: DocumentSummary, ERRORS: Problem},
    url_name="document_update",
)
def document_update(
    request: HttpRequest,
    document_id: ObjectId,
    payload: Form[DocumentIn],
    upload: UploadedFile | None = OPTIONAL_FILE,
) -> dict[str, Any]:
    """Save the author's working copy (a draft, or a document returned to them). A new
    file replaces the working file; frozen versions never change."""
    document = get_object_or_404(
        Document, pk=document_id, author=request.user, school_id=request.user.school_id
    )
    form = _form(request, payload, upload, instance=document)
    process = ExpertiseProcess.objects.filter(document=document).only("pk").first()
    if process is None:
        services.document_update(document=document, actor=request.user, **form.service_kwargs())
    else:
        # In revision the page saves under the flow lock (its task's lock); so does this.
        from flows.flows import ExpertiseFlow

        with ExpertiseFlow.lock(process.pk), transaction.atomic():
            services.document_update(document=document, actor=request.user, **form.service_kwargs())
    return present.document_summary(_reload(document.pk))


@router.post(
    "/{document_id}/submit",
    response={200: DocumentSummary, ERRORS: Problem},
    url_name="document_submit",
)
def submit(request: HttpRequest, document_id: ObjectId) -> dict[str, Any]:
    """Submit a draft for expertise: version 1 is frozen and the chair gets the screening."""
    document = get_object_or_404(
        Document, pk=document_id, author=request.user, school_id=request.user.school_id
    )
    document_submit(document=document, actor=request.user)
    return present.document_summary(_reload(document.pk))
