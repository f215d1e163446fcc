"""Writes of accounts. Keyword-only, typed; views call these, never the ORM."""

from __future__ import annotations

import datetime

from .models import Absence, User


def absence_record(
    *, user: User, substitute: User, starts_on: datetime.date, ends_on: datetime.date
) -> Absence:
    return Absence.objects.create(
        user=user, substitute=substitute, starts_on=starts_on, ends_on=ends_on
    )


def absence_remove(*, user: User, absence_id: int) -> bool:
    """Remove one of the user's own absences; False when there is no such absence."""
    deleted, _rows = Absence.objects.filter(pk=absence_id, user=user).delete()
    return bool(deleted)
