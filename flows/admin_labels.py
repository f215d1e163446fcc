"""Labels in the admin for fields that were declared without a verbose_name.

Django then shows the field's Python name ("Seed object id", "Dedupe key") in English
whatever the language. viewflow's process and task models are not ours to change, and a
verbose_name on our own models would need a migration for a label only, so the labels are
set once at start; they do not touch migrations (a field's deconstruction keeps the name
it was declared with).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

WORKFLOW_FIELDS = {
    "data": _("process data"),
    "parent_task": _("parent task"),
    "seed_content_type": _("type of the object that started it"),
    "seed_object_id": _("object that started it"),
    "artifact_content_type": _("type of the resulting object"),
    "artifact_object_id": _("resulting object"),
    "owner_permission_content_type": _("type of the permission's object"),
    "owner_permission_obj_pk": _("object of the permission"),
}

LABELS: dict[str, dict[str, Any]] = {
    "viewflow.Process": WORKFLOW_FIELDS,
    "viewflow.Task": WORKFLOW_FIELDS,
    "documents.Document": {"file_sha256": _("checksum of the file (SHA-256)")},
    "notifications.Delivery": {
        "claimed_at": _("taken for sending at"),
        "claimed_by": _("taken for sending by"),
        "enqueued_at": _("queued for sending at"),
    },
    "notifications.Notification": {
        "school": _("school"),
        "params": _("parameters"),
        "url": _("link"),
        "dedupe_key": _("key against repeats"),
        "in_digest": _("in a digest"),
        "digest_delivery": _("digest e-mail"),
    },
}


def install() -> None:
    from django.apps import apps
    from django.contrib import admin
    from django.core.exceptions import FieldDoesNotExist

    for label, fields in LABELS.items():
        model = apps.get_model(label)
        for name, text in fields.items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:  # a task's fields that a process has not
                continue
            if field.verbose_name == name.replace("_", " "):  # still the Python name
                field.verbose_name = text
    # viewflow's own admin: its columns "Pk" and "Brief" are method names, not labels.
    from viewflow.workflow.models import Process, Task

    for model in (Process, Task):
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            continue
        model_admin.list_display = ["id" if c == "pk" else c for c in model_admin.list_display]
        model_admin.list_display_links = [
            "id" if c == "pk" else c for c in model_admin.list_display_links or ()
        ]
        for name, text in (("participants", _("participants")), ("brief", _("summary"))):
            attribute = getattr(type(model_admin), name, None)
            if callable(attribute):
                attribute.short_description = text
    brief = getattr(Process, "brief", None)
    if isinstance(brief, property) and brief.fget is not None:
        brief.fget.short_description = _("summary")
