"""Everything a restore must bring back, as one comparable value: each document, each
version with its file's SHA-256 (recomputed from the bytes in MEDIA_ROOT), the whole
timeline, the people, the reviews and the workflow's own rows.

`python -m tests.project.fingerprint` prints it as JSON for the configured database."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _file_sha256(field: Any) -> str | None:
    if not field:
        return None
    with field.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def fingerprint() -> dict[str, Any]:
    from viewflow.workflow.models import Process, Task

    from accounts.models import User
    from documents.models import (
        Document,
        DocumentEvent,
        DocumentVersion,
        Recommendation,
        Review,
    )
    from notifications.models import Delivery, Notification

    documents = [
        {
            "id": d.pk,
            "title": d.title,
            "stage": d.stage,
            "school": d.school_id,
            "versions": d.version_count,
            "file": d.file.name or None,
            "file_sha256": _file_sha256(d.file),
            "stored_sha256": d.file_sha256,
        }
        for d in Document.objects.order_by("pk")
    ]
    versions = [
        {
            "document": v.document_id,
            "number": v.number,
            "file": v.file.name,
            "sha256": v.sha256,
            "file_sha256": _file_sha256(v.file),
            "size": v.file_size,
        }
        for v in DocumentVersion.objects.order_by("document_id", "number")
    ]
    timeline = [
        {
            "document": e.document_id,
            "actor": e.actor_id,
            "kind": e.kind,
            "version": e.version_number,
            "round": e.round_number,
            "note": e.note,
            "at": e.created_at.isoformat(),
        }
        for e in DocumentEvent.objects.order_by("pk")
    ]
    return {
        "documents": documents,
        "versions": versions,
        "timeline": timeline,
        "users": list(User.objects.order_by("pk").values_list("username", "password", "school_id")),
        "reviews": list(Review.objects.order_by("pk").values_list("pk", "opinion", "comment")),
        "recommendations": list(
            Recommendation.objects.order_by("pk").values_list("pk", "text", "answer")
        ),
        "processes": list(Process.objects.order_by("pk").values_list("pk", "status")),
        "tasks": list(Task.objects.order_by("pk").values_list("pk", "flow_task", "status")),
        "notifications": Notification.objects.count(),
        "deliveries": Delivery.objects.count(),
    }


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    print(json.dumps(fingerprint(), default=str))
