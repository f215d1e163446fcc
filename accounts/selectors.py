"""Reads of people and schools for pages."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import RoleChange, User


def role_changes_visible_to(user: User) -> QuerySet[RoleChange]:
    """The role record a person may read: a superuser all of it, a director their school's,
    a district administrator their district's; nobody else any."""
    rows = RoleChange.objects.select_related("actor", "user", "school").order_by(
        "-created_at", "-pk"
    )
    if not user.is_authenticated:
        return rows.none()
    if user.is_superuser:
        return rows
    if not user.has_perm("accounts.view_rolechange"):
        return rows.none()
    if user.school_id is not None:
        return rows.filter(school_id=user.school_id)
    if user.district_id is not None:
        return rows.filter(district_id=user.district_id)
    return rows.none()
