"""The record of role changes.

Roles are group memberships, and they change along many paths: the admin's user form, the
council's set-up (the chair, the secretary and the members get their roles), the demo
loader, a shell. The record is written from `m2m_changed` on `User.groups` so that no path
can change a role without leaving a row; the person responsible is whoever the surrounding
code declared with `acting_as()` (none for commands and the demo).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import Group

from .models import RoleChange, User

_actor: contextvars.ContextVar[User | None] = contextvars.ContextVar("role_actor", default=None)


@contextlib.contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Role changes inside this block are recorded as made by `user`."""
    token = _actor.set(user if user is not None and user.is_authenticated else None)
    try:
        yield
    finally:
        _actor.reset(token)


def _record(user_ids: Iterable[int], group_ids: Iterable[int], action: str) -> None:
    user_ids, group_ids = list(user_ids), list(group_ids)
    if not user_ids or not group_ids:
        return
    names = dict(Group.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    people = User.objects.filter(pk__in=user_ids).select_related("school")
    actor = _actor.get()
    RoleChange.objects.bulk_create(
        [
            RoleChange(
                actor=actor,
                user=person,
                school_id=person.school_id,
                district_id=(person.school.district_id if person.school else person.district_id),
                role=names[group_id],
                action=action,
            )
            for person in people
            for group_id in group_ids
            if group_id in names
        ]
    )


def _members(instance: Any, reverse: bool, ids: set[int] | None) -> tuple[set[int], set[int]]:
    """(user ids, group ids) of the memberships that exist now among the ones named."""
    through = User.groups.through
    rows = through.objects.all()
    if reverse:  # group.user_set.…
        rows = rows.filter(group_id=instance.pk)
        if ids is not None:
            rows = rows.filter(user_id__in=ids)
    else:  # user.groups.…
        rows = rows.filter(user_id=instance.pk)
        if ids is not None:
            rows = rows.filter(group_id__in=ids)
    pairs = list(rows.values_list("user_id", "group_id"))
    return {u for u, _g in pairs}, {g for _u, g in pairs}


def groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    # Django runs these signals inside the same atomic block as the membership rows, so a
    # record and its change commit or roll back together.
    if action == "post_add":
        ids = pk_set or set()
        if reverse:
            _record(ids, [instance.pk], RoleChange.Action.ADDED)
        else:
            _record([instance.pk], ids, RoleChange.Action.ADDED)
    elif action in ("pre_remove", "pre_clear"):
        # Only memberships that exist are taken away: remove() of a role someone does not
        # have changes nothing and records nothing.
        users, groups = _members(instance, reverse, pk_set if action == "pre_remove" else None)
        if reverse:
            _record(users, [instance.pk], RoleChange.Action.REMOVED)
        else:
            _record([instance.pk], groups, RoleChange.Action.REMOVED)
