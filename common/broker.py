"""Handing tasks to the broker from any app: by name, after the commit, never failing the
request that caused the work (see `enqueue_on_commit`).

The Celery application itself is `project.celery.app`; this module reaches it through
celery's `current_app`, so that no app has to import `project`. Every process that uses
Django loads it first: DJANGO_SETTINGS_MODULE is `project.settings`, importing it imports
the `project` package, whose `__init__` creates the app (configured from the settings) and
makes it the default of every thread (tests/project/test_common.py checks both)."""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable

from celery import Celery, current_app

logger = logging.getLogger(__name__)


def celery_app() -> Celery:
    """The project's Celery application (the current one)."""
    return current_app._get_current_object()


class Breaker:
    """After a failed publish, this process stops publishing until the broker answers
    again: a request that causes ten tasks must not wait ten broker timeouts. A thread
    probes the broker every PROBE_SECONDS (never a request), and as soon as a probe
    succeeds the breaker closes and the tasks skipped meanwhile are published — they do
    not wait for a sweep. (Their work is committed rows, so the sweeps would find them
    anyway; the replay only makes it prompt.)"""

    PROBE_SECONDS = 1.0
    REPLAY_LIMIT = 10_000  # beyond this, the sweeps catch up

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.is_open = False
        self.skipped: collections.deque[tuple[str, list]] = collections.deque(
            maxlen=self.REPLAY_LIMIT
        )
        self.prober: threading.Thread | None = None
        # Tasks whose only argument is a list of ids, by name → the most ids per task: their
        # skipped calls are replayed merged (a request's 5 ids, an outage's thousands).
        self.batched: dict[str, int] = {}

    def trip(self) -> None:
        with self.lock:
            self.is_open = True
            if self.prober is None:
                self.prober = threading.Thread(target=self.probe, name="broker-probe", daemon=True)
                self.prober.start()

    def probe(self) -> None:
        while True:
            time.sleep(self.PROBE_SECONDS)
            with self.lock:
                if not self.is_open:
                    self.prober = None
                    return
            try:
                with celery_app().connection_for_write() as connection:
                    connection.ensure_connection(max_retries=0, timeout=2)
                    _ = connection.default_channel  # the Redis transport PINGs here
            except Exception as error:
                logger.debug("broker probe: %s", error)
                continue
            with self.lock:
                self.is_open = False
                self.prober = None
                replay = list(self.skipped)
                self.skipped.clear()
            replay = self.merged(replay)
            logger.warning("the broker answers again; publishing %s skipped tasks", len(replay))
            for task_name, args in replay:
                if not publish(task_name, args):
                    break
            return

    def merged(self, calls: list[tuple[str, list]]) -> list[tuple[str, list]]:
        """`calls` with those of a batched task merged into as few as its size allows."""
        ids: dict[str, list] = collections.defaultdict(list)
        rest = []
        for task_name, args in calls:
            if task_name in self.batched and len(args) == 1 and isinstance(args[0], list):
                ids[task_name].extend(args[0])
            else:
                rest.append((task_name, args))
        for task_name, pks in ids.items():
            size = self.batched[task_name]
            rest += [(task_name, [pks[i : i + size]]) for i in range(0, len(pks), size)]
        return rest

    def reset(self) -> None:
        with self.lock:
            self.is_open = False
            self.skipped.clear()


breaker = Breaker()


def publish(task_name: str, args: list) -> bool:
    """Send a task now; False (logged, never raised) when the broker cannot take it."""
    if breaker.is_open:
        breaker.skipped.append((task_name, args))
        return False
    try:
        celery_app().send_task(task_name, args=args)
    except Exception:  # any broker error; the sweeps catch up
        breaker.skipped.append((task_name, args))
        breaker.trip()
        logger.warning("could not enqueue %s%r; the sweep will retry", task_name, tuple(args))
        return False
    return True


def enqueue_on_commit(
    task_name: str, *args: object, on_failure: Callable[[], None] | None = None
) -> None:
    """Send a task by name once the transaction commits. A broker outage is logged, not
    raised: the request that caused the work must not fail, and a periodic sweep finds
    the work still undone (every task sent this way has one). `on_failure` runs when the
    task could not be handed over (e.g. to let the sweep take the row at once)."""
    from django.db import transaction

    def send() -> None:
        if not publish(task_name, list(args)) and on_failure is not None:
            on_failure()

    transaction.on_commit(send)
