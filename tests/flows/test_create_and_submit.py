""" "Save and submit" on the new-document form is one transaction: a failure part-way
leaves nothing behind (no draft the author does not know about, no stored file)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

# Imported before any test patches flows.services, so that its own `from .services import`
# binds the real functions.
import flows.document_views
import flows.services
from documents.models import Document, DocumentEvent, DocumentVersion, Stage
from flows.models import ExpertiseProcess
from notifications.models import Notification
from tests.conftest import pdf_upload
from tests.helpers import document_fields

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_save_and_submit(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.author)
    response = client.post(
        reverse("documents:create"),
        {**document_fields(world), "upload": pdf_upload(), "submit": "1"},
    )
    return client, response


def assert_nothing_left(settings):
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()
    assert not DocumentEvent.objects.exists()
    assert not ExpertiseProcess.objects.exists()
    assert not Notification.objects.exists()
    assert stored_files(settings) == []


def test_a_failure_between_creating_and_submitting_leaves_nothing(world, settings, monkeypatch):
    created = []

    def failing_submit(*, document, actor):
        created.append(Document.objects.filter(pk=document.pk).exists())
        raise DatabaseError("the connection dropped")

    monkeypatch.setattr(flows.services, "document_submit", failing_submit)
    _client, response = post_save_and_submit(world)
    assert response.status_code == 500
    assert created == [True]  # the draft did exist when the failure struck
    assert_nothing_left(settings)


def test_a_failure_inside_the_submission_leaves_nothing(world, settings, monkeypatch):
    def failing_stage(*, document, stage):
        raise DatabaseError("deadlock detected")

    # After the version is frozen, before the flow starts.
    monkeypatch.setattr(flows.services, "document_set_stage", failing_stage)
    _client, response = post_save_and_submit(world)
    assert response.status_code == 500
    assert_nothing_left(settings)


def test_save_and_submit_commits_both(world, settings):
    client, response = post_save_and_submit(world)
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.stage, document.version_count) == (Stage.SCREENING, 1)
    assert ExpertiseProcess.objects.filter(document=document).exists()
    assert len(stored_files(settings)) == 1
    page = client.get(response["Location"])
    assert "submitted for expertise (version 1)" in page.content.decode()
