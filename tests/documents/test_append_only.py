from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from documents.models import DocumentEvent, DocumentVersion
from tests.helpers import create_and_submit

pytestmark = pytest.mark.django_db


def test_a_frozen_version_cannot_be_changed_even_by_a_bulk_update(world):
    document = create_and_submit(world)
    version = DocumentVersion.objects.get(document=document)
    with pytest.raises(ValueError):
        version.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk).update(title="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk).delete()
    assert DocumentVersion.objects.get(pk=version.pk).title == version.title


def test_the_timeline_is_append_only(world):
    document = create_and_submit(world)
    event = DocumentEvent.objects.filter(document=document).first()
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentEvent.objects.filter(document=document).delete()
    assert DocumentEvent.objects.filter(document=document).count() == 2
