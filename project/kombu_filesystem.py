"""Celery's file-system transport (the embedded default, `make run`), with atomic writes.

kombu's own transport creates each message file under its final name and writes it
afterwards; a worker listing the folder in between moves and reads an empty file, and
stops with "Unrecoverable error: JSONDecodeError" (seen with web, worker and beat busy
together). Here a message is written under a name the reader skips (its queue suffix does
not match) and renamed into place, which is atomic within one folder."""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f"{name}.part")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
