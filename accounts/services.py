"""Writes of accounts. Keyword-only, typed, each atomic by itself; views call these, never
the ORM."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Absence, User


def user_language_set(*, user: User, language: str) -> User:
    """The person's UI language (and that of their notifications). The page offers only
    settings.LANGUAGES; anything else is a caller's bug."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValueError(f"not a language of this site: {language!r}")
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def absence_record(
    *, user: User, substitute: User, starts_on: datetime.date, ends_on: datetime.date
) -> Absence:
    """`user` will be away from `starts_on` to `ends_on`; `substitute`, an active colleague
    of their school, takes the tasks assigned to them meanwhile."""
    if ends_on < starts_on:
        raise ValidationError(_("The end cannot be before the start."))
    if (
        substitute.pk == user.pk
        or not substitute.is_active
        or user.school_id is None
        or substitute.school_id != user.school_id
    ):
        raise ValidationError(_("Choose a substitute from your school."))
    return Absence.objects.create(
        user=user, substitute=substitute, starts_on=starts_on, ends_on=ends_on
    )


@transaction.atomic
def absence_remove(*, user: User, absence_id: int) -> bool:
    """Remove one of the user's own absences; False when there is no such absence."""
    deleted, _rows = Absence.objects.filter(pk=absence_id, user=user).delete()
    return bool(deleted)
