"""Who still holds work, asked where accounts decides about a person (deactivating them in
the admin). accounts is the ground of the apps and cannot read their tasks: each app that
gives people work registers, in its AppConfig.ready, how to tell whether someone holds
some and the page where it is handed to someone else (flows: expertise tasks and council
steps, /tasks/unowned/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import User


@dataclass(frozen=True)
class OpenWork:
    holds: Callable[[User], bool]  # whether the person still holds some of this work
    handover_url: Callable[[User], str]  # the page that hands it to someone else


_registered: list[OpenWork] = []


def open_work_register(*, holds: Callable[[User], bool], handover_url: Callable[[User], str]):
    entry = OpenWork(holds=holds, handover_url=handover_url)
    if entry not in _registered:
        _registered.append(entry)


def handover_url_for(person: User) -> str | None:
    """The page where the first kind of work the person still holds is handed over, or
    None when they hold none."""
    for entry in _registered:
        if entry.holds(person):
            return entry.handover_url(person)
    return None
