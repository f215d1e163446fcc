"""The embedded default's broker: two processes publish while a consumer reads, as web,
beat and the worker do under `make run`. kombu's own file-system transport hands the
consumer files still being written (the worker then stops with "Unrecoverable error:
JSONDecodeError"); project/kombu_filesystem.py's never does."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from kombu import Connection
from kombu.transport import filesystem

from project.kombu_filesystem import Transport as AtomicTransport

PER_WRITER = 200
BODY = "x" * 200_000  # a long write widens kombu's window


def _options(folder: Path) -> dict:
    return {"data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False}


def _publish(transport: type, folder: Path) -> None:
    with Connection("filesystem://", transport=transport, transport_options=_options(folder)) as c:
        channel = c.channel()
        for i in range(PER_WRITER):
            channel._put("q", {"body": BODY, "i": i})


def race(transport: type, folder: Path) -> tuple[int, int]:
    """(messages read whole, messages read broken)."""
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_publish, args=(transport, folder)) for _ in range(2)]
    for writer in writers:
        writer.start()
    whole = broken = 0
    with Connection("filesystem://", transport=transport, transport_options=_options(folder)) as c:
        channel = c.channel()
        while whole + broken < 2 * PER_WRITER:
            try:
                message = channel._get("q")
            except filesystem.Empty:
                continue
            except ValueError:  # JSONDecodeError: an empty or half-written file
                broken += 1
                continue
            assert message["body"] == BODY
            whole += 1
    for writer in writers:
        writer.join(timeout=60)
    return whole, broken


def test_a_consumer_never_reads_a_half_written_message(tmp_path):
    assert race(AtomicTransport, tmp_path) == (2 * PER_WRITER, 0)


def test_the_same_race_breaks_kombus_own_transport(tmp_path):
    """The control: the harness does catch the race (when kombu fixes it, this fails and
    project/kombu_filesystem.py can go)."""
    broken = 0
    for attempt in range(5):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        broken += race(filesystem.Transport, folder)[1]
        if broken:
            break
    assert broken > 0
