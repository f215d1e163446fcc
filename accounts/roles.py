"""Roles are Django groups with a fixed set of permissions, created after every migrate.

The group names are stable codes; `Role.label` is what people read.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TEACHER = "teacher", _("Teacher")
    COUNCIL_MEMBER = "council_member", _("Council member")
    CHAIR = "chair", _("Chair of the council")
    SECRETARY = "secretary", _("Secretary of the council")
    DIRECTOR = "director", _("Director")
    SCHOOL_ADMIN = "school_admin", _("School administrator")
    DISTRICT_ADMIN = "district_admin", _("District administrator")


# "app_label.codename" per role. Custom permissions are declared on the models' Meta.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.TEACHER: ["documents.add_document"],
    # The status dashboard (reports/): the chair, the director and the administrators.
    Role.DISTRICT_ADMIN: ["reports.view_district", "accounts.view_rolechange"],
    Role.COUNCIL_MEMBER: [
        "documents.add_document",
        "flows.review_expertiseprocess",
    ],
    Role.CHAIR: [
        "documents.add_document",
        "documents.view_school_documents",
        "flows.chair_expertiseprocess",
        "flows.review_expertiseprocess",
        "reports.view_dashboard",
    ],
    Role.SECRETARY: ["documents.add_document", "documents.view_school_documents"],
    Role.DIRECTOR: [
        "documents.view_school_documents",
        "flows.approve_expertiseprocess",
        "reports.view_dashboard",
        # Who gave whom which role (accounts.RoleChange).
        "accounts.view_rolechange",
    ],
    Role.SCHOOL_ADMIN: [
        "documents.view_school_documents",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_methodicalassociation",
        "accounts.add_methodicalassociation",
        "accounts.change_methodicalassociation",
        "accounts.view_creativegroup",
        "accounts.add_creativegroup",
        "accounts.change_creativegroup",
        "accounts.view_academicyear",
        "council.view_council",
        "council.add_council",
        "council.change_council",
        "council.view_councilmember",
        "council.add_councilmember",
        "council.change_councilmember",
        "council.delete_councilmember",
        "documents.view_document",
        "reports.view_dashboard",
        # Official papers: seen, and revoked when issued in error (documents/papers.py).
        "documents.view_officialpaper",
        "documents.change_officialpaper",
    ],
}


def ensure_role_groups(**kwargs: Any) -> None:
    """Create the role groups and (re)attach their permissions. Idempotent."""
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:  # the app's own post_migrate may not have run yet
                wanted.append(perm)
        group.permissions.add(*wanted)
