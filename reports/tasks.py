"""Celery tasks of search: build a document's search text after it is saved, and a sweep
for documents whose text was never built or is older than the document.

Idempotent: building twice gives the same row; the file is re-read only when the stored
file changed (a new upload has a new random name)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.db.models import F, Q
from django.utils import timezone

from common.broker import enqueue_on_commit

logger = logging.getLogger(__name__)

TASK_NAME = "reports.tasks.document_text_build"
VERSION_TASK_NAME = "reports.tasks.version_text_build"
# One sweep re-enqueues at most this many; the next sweep takes the rest.
SWEEP_BATCH = 200
# How far back the sweep looks for saves whose text build was lost (see documents_to_index).
SWEEP_DAYS = 7


@shared_task(name=TASK_NAME, ignore_result=True)
def document_text_build(document_id: int) -> bool:
    from documents.models import Document

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
    return True


def documents_to_index(now=None):
    """Documents saved in the last SWEEP_DAYS without a search text, or saved since theirs
    was built. Only recent saves can have lost their build (a build is enqueued on every
    save), so the sweep reads the newest documents by an index on updated_at instead of
    joining every document in the country with its text every five minutes. A build lost
    longer ago than that (an outage of more than SWEEP_DAYS) waits for the next save."""
    from documents.models import Document

    since = (now or timezone.now()) - datetime.timedelta(days=SWEEP_DAYS)
    return (
        Document.objects.filter(updated_at__gte=since)
        .filter(Q(search__isnull=True) | Q(search__indexed_at__lt=F("updated_at")))
        .order_by("pk")
    )


@shared_task(name=VERSION_TASK_NAME, ignore_result=True)
def version_text_build(version_id: int) -> bool:
    """The paragraphs of a frozen version, for comparing versions. Once per version: a
    second delivery finds the row and does nothing."""
    from documents.models import DocumentVersion

    from .extraction import extract_text, paragraphs_of
    from .models import VersionText

    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None or VersionText.objects.filter(version=version).exists():
        return False
    try:
        with version.file.open("rb") as handle:
            text = extract_text(handle, version.file_kind)
    except FileNotFoundError:
        logger.warning("version %s: file %s is missing", version.pk, version.file.name)
        text = ""
    _row, created = VersionText.objects.get_or_create(
        version=version,
        defaults={"paragraphs": paragraphs_of(text), "extracted_at": timezone.now()},
    )
    return created


def versions_to_extract(now=None):
    """Versions submitted in the last SWEEP_DAYS whose paragraphs were never extracted:
    like the search text, only a recent submission can have lost its build, and the
    submitted_at index keeps the sweep from reading every version in the country."""
    from documents.models import DocumentVersion

    since = (now or timezone.now()) - datetime.timedelta(days=SWEEP_DAYS)
    return DocumentVersion.objects.filter(submitted_at__gte=since, text__isnull=True).order_by("pk")


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
