"""An SMTP server on loopback that accepts every message and counts them (for the
notifications bench). Prints its port, then runs until killed; on SIGTERM it writes the
count of messages and of distinct Message-IDs to the file given as its argument, and
rewrites that file every 0.2 s meanwhile (the bench reads it between phases).

For each Message-ID received more than once it also writes when each copy arrived
(`time.monotonic()`, one clock for every process of the machine), so the bench can set a
duplicate beside the kill that caused it. Messages whose Message-ID starts with "<probe-"
are the bench's own timing probes: answered, not counted."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.first: dict[str, float] = {}  # Message-ID → arrival of its first copy
        self.doubled: dict[str, list[float]] = {}  # Message-ID → arrivals, if > 1

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.monotonic()
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
                break
            if not line:
                message_id = ""
                break
        else:
            message_id = ""
        if message_id.startswith("<probe-"):
            return "250 OK"
        self.messages += 1
        if message_id in self.first:
            self.doubled.setdefault(message_id, [self.first[message_id]]).append(now)
        else:
            self.first[message_id] = now
        return "250 OK"


def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    print(port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    while not done.wait(0.2):
        dump(counter, sys.argv[1])
    controller.stop()
    dump(counter, sys.argv[1])


def dump(counter: Counter, path: str) -> None:
    with open(f"{path}.tmp", "w") as out:
        json.dump(
            {
                "messages": counter.messages,
                "message_ids": len(counter.first),
                "doubled": dict(counter.doubled),
            },
            out,
        )
    os.replace(f"{path}.tmp", path)


if __name__ == "__main__":
    main()
