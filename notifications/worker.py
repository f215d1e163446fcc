"""What the delivery task needs of the Celery worker process (CELERY_WORKER_CONSUMER).

- **Back to work within two seconds of the broker's return.** kombu's default reconnect
  back-off is 2, 4, 6 … 30 s: after a 60 s Redis outage the worker may sleep 12 s more
  before it consumes again, and the backlog waits. This consumer tries every 1–2 s.
- **A pool process told to stop finishes the message in hand.** Celery cancels a running
  late-ack task when the broker connection is lost
  (`worker_cancel_long_running_tasks_on_connection_loss`) by SIGTERM to its pool process,
  and a cold shutdown does the same. Killed outright, a process that has just heard the
  server's 250 dies before marking the row sent, and the message goes twice. Here a pool
  process running `deliver` takes SIGTERM as "stop": each sending thread finishes and
  records the message it is in, the rest of the batch is given back, then the process
  exits. Outside `deliver` SIGTERM keeps its effect (billiard's: exit at once)."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import threading
from collections.abc import Iterator

from celery.signals import worker_process_init
from celery.worker.consumer import Consumer as CeleryConsumer

logger = logging.getLogger(__name__)

# Set in Celery's pool processes; `terminating` once SIGTERM came during a batch.
pool_process = False
terminating = threading.Event()


class Consumer(CeleryConsumer):
    def ensure_connected(self, conn):
        conn.ensure_connection = functools.partial(
            conn.ensure_connection, interval_start=1, interval_step=1, interval_max=2
        )
        return super().ensure_connected(conn)


@worker_process_init.connect
def mark_pool_process(**kwargs: object) -> None:
    global pool_process
    pool_process = True


@contextlib.contextmanager
def stopping_gently() -> Iterator[None]:
    """Around a batch in a pool process: SIGTERM only sets `terminating` (the senders stop
    after the message in hand), and the process exits once the batch is recorded. (Billiard
    installs its own SIGTERM handler after worker_process_init, which raises SystemExit
    wherever the main thread is — mid-SMTP — so ours is put in place for the batch.)"""
    if not pool_process or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: terminating.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if terminating.is_set():
            logger.warning("pool process %s stops (SIGTERM) after its batch", os.getpid())
            logging.shutdown()
            os._exit(0)
