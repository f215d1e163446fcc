"""notifications listens to what lower apps announce and writes the notices (connected in
NotificationsConfig.ready)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.staff_import import welcome_notice

from .services import Notice, notify_bulk


def people_welcome(sender: Any, people: list[User], **kwargs: Any) -> None:
    """A set-password e-mail to each new person with an address, through the outbox: one
    bulk write for the whole file (2,000 people: a handful of statements, not thousands),
    the same outbox rows as `notify` writes one by one."""
    notify_bulk(
        notices=[
            Notice(recipient=person, **welcome_notice(person)) for person in people if person.email
        ]
    )
