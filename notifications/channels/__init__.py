"""The channel seam: one sender per channel, all behind the same outbox.

A sender is opened once per batch (it may keep a connection across batches in the
worker process), prepares every claimed delivery of its share first (rendering: the CPU
work), then is given one at a time with what it prepared and says what became of it.
`tasks.deliver` claims, records each outcome the moment it is known, and retries; a new
channel is a new module here plus its entry in `SENDERS`, nothing outside `notifications/`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..models import Delivery


class Outcome(enum.Enum):
    SENT = "sent"  # the other side took it
    RETRY = "retry"  # passing trouble: try again after a back-off
    FAILED = "failed"  # refused for good (bad address, blocked bot): tell the admins
    UNKNOWN = "unknown"  # sent whole, no answer: it may have arrived (see Delivery.Status)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str = ""
    # The other side asked us to wait this long (Telegram's retry_after), in seconds.
    retry_after: float | None = None
    # Nothing of this batch can go through now (server down): give the rest back.
    stop_batch: bool = False


SENT = Result(Outcome.SENT)


class Sender(Protocol):
    def __enter__(self) -> Sender: ...

    def __exit__(self, *exc: object) -> None: ...

    def prepare(self, delivery: Delivery) -> object: ...

    def send(self, delivery: Delivery, prepared: object) -> Result: ...


# Delivery.Channel value → the sender class (module path, imported when first used).
SENDERS = {
    "email": "notifications.channels.email.EmailSender",
    "digest": "notifications.channels.email.EmailSender",
    "telegram": "notifications.channels.telegram.TelegramSender",
}


def sender_for(channel: str) -> Sender:
    from django.utils.module_loading import import_string

    return import_string(SENDERS[channel])()
