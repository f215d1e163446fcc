"""What documents announces, each pinned alone (reports listens: the search text and a
version's paragraphs), and the unread mark its save sets for a listener that missed one."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from documents.models import Document, DocumentType, Stage
from documents.services import document_create, document_set_stage, document_update
from documents.signals import document_content_changed, version_frozen
from documents.uploads import validate_document_upload
from tests.conftest import pdf_upload

pytestmark = pytest.mark.django_db


@contextmanager
def heard(signal, key: str):
    items = []

    def listen(sender, **kwargs):
        items.append(kwargs[key])

    signal.connect(listen, dispatch_uid="test.heard")
    try:
        yield items
    finally:
        signal.disconnect(dispatch_uid="test.heard")


def a_document(world) -> Document:
    upload = pdf_upload()
    return document_create(
        author=world.author,
        doc_type=DocumentType.DEVELOPMENT_PROGRAM,
        title="Өнүгүү программасы",
        academic_year=world.year,
        methodical_association=None,
        description="",
        upload=upload,
        upload_info=validate_document_upload(upload),
    )


def test_it_announces_a_new_document_and_marks_its_content_unread(world):
    with heard(document_content_changed, "document") as documents:
        document = a_document(world)
    assert documents == [document]
    assert Document.objects.get(pk=document.pk).content_unread_since is not None


def test_it_announces_a_saved_title_and_marks_it_unread_again(world):
    document = a_document(world)
    Document.objects.filter(pk=document.pk).update(content_unread_since=None)  # read
    with heard(document_content_changed, "document") as documents:
        document_update(
            document=Document.objects.get(pk=document.pk),
            actor=world.author,
            doc_type=DocumentType.DEVELOPMENT_PROGRAM,
            title="Жаңы аталыш",
            academic_year=world.year,
            methodical_association=None,
            description="",
        )
    assert [d.title for d in documents] == ["Жаңы аталыш"]
    assert Document.objects.get(pk=document.pk).content_unread_since is not None


def test_a_stage_change_announces_nothing_and_leaves_the_content_read(world):
    document = a_document(world)
    Document.objects.filter(pk=document.pk).update(content_unread_since=None)
    document.content_unread_since = None
    with heard(document_content_changed, "document") as documents:
        document_set_stage(document=document, stage=Stage.SCREENING)
    assert documents == []
    assert Document.objects.get(pk=document.pk).content_unread_since is None


def test_it_announces_each_frozen_version(world):
    from django.db import transaction

    from documents.services import version_freeze

    document = a_document(world)
    with heard(version_frozen, "version") as versions, transaction.atomic():
        version = version_freeze(document=document, actor=world.author)
    assert versions == [version] and version.number == 1
