from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}


def attachment_response(field: FieldFile, filename: str, kind: str) -> FileResponse:
    """A stored file as a download: never shown inline, never sniffed, never cached.
    Callers check permission first; a missing file is a 404, not a 500."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
