"""Celery tasks of search: build a document's search text after it is saved, and a sweep
for documents whose content is still unread (their build was lost).

Idempotent: building twice gives the same row; the file is re-read only when the stored
file changed (a new upload has a new random name)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from common.broker import enqueue_on_commit

logger = logging.getLogger(__name__)

TASK_NAME = "reports.tasks.document_text_build"
VERSION_TASK_NAME = "reports.tasks.version_text_build"
# One sweep re-enqueues at most this many; the next sweep takes the rest.
SWEEP_BATCH = 200


@shared_task(name=TASK_NAME, ignore_result=True)
def document_text_build(document_id: int) -> bool:
    from documents.models import Document
    from documents.services import content_read

    from .extraction import extract_text, fold
    from .models import DocumentText

    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return False
    current = DocumentText.objects.filter(document=document).first()
    file_name = document.file.name if document.file else ""
    if current is not None and current.file_name == file_name:
        file_text = current.file_text
    elif file_name:
        try:
            with document.file.open("rb") as handle:
                file_text = extract_text(handle, document.file_kind)
        except FileNotFoundError:
            logger.warning("document %s: file %s is missing", document.pk, file_name)
            file_text = ""
    else:
        file_text = ""
    DocumentText.objects.update_or_create(
        document=document,
        defaults={
            "school_id": document.school_id,
            "file_name": file_name,
            "file_text": file_text,
            "search_text": fold(f"{document.title}\n{document.description}\n{file_text}"),
            "indexed_at": timezone.now(),
        },
    )
    content_read(document=document)
    return True


def documents_to_index():
    """Documents whose title, description or file changed since their search text was
    built (a build is enqueued on every save; the sweep finds those lost to a broker
    outage, however long ago). Read by the partial index of unread documents
    (documents.Document, "doc_content_unread"), which is empty when all is built: the
    sweep costs the same for ten documents as for the country's."""
    from documents.models import Document

    return Document.objects.filter(content_unread_since__isnull=False).order_by("pk")


@shared_task(name=VERSION_TASK_NAME, ignore_result=True)
def version_text_build(version_id: int) -> bool:
    """The paragraphs of a frozen version, for comparing versions. Once per version: a
    second delivery finds the row and does nothing."""
    from documents.models import DocumentVersion

    from .extraction import extract_text, paragraphs_of
    from .models import VersionText, VersionTextOwed

    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None or VersionText.objects.filter(version=version).exists():
        VersionTextOwed.objects.filter(version_id=version_id).delete()
        return False
    try:
        with version.file.open("rb") as handle:
            text = extract_text(handle, version.file_kind)
    except FileNotFoundError:
        logger.warning("version %s: file %s is missing", version.pk, version.file.name)
        text = ""
    with transaction.atomic():
        _row, created = VersionText.objects.get_or_create(
            version=version,
            defaults={"paragraphs": paragraphs_of(text), "extracted_at": timezone.now()},
        )
        VersionTextOwed.objects.filter(version_id=version_id).delete()
    return created


def versions_to_extract():
    """Versions whose paragraphs are still owed (reports.VersionTextOwed, empty when every
    text is built): whatever their age, and without reading the country's versions."""
    from documents.models import DocumentVersion

    from .models import VersionTextOwed

    return DocumentVersion.objects.filter(
        pk__in=VersionTextOwed.objects.values("version_id")
    ).order_by("pk")


@shared_task(name="reports.tasks.document_text_sweep", ignore_result=True)
def document_text_sweep() -> int:
    """Catch up on builds lost to a broker outage (enqueue_on_commit only logs those):
    documents' search text and versions' paragraphs."""
    ids = list(documents_to_index().values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in ids:
        enqueue_on_commit(TASK_NAME, pk)
    version_ids = list(versions_to_extract().values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in version_ids:
        enqueue_on_commit(VERSION_TASK_NAME, pk)
    return len(ids) + len(version_ids)
