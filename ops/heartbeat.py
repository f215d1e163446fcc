"""The Celery worker's heartbeat, read by the health checks.

A bootstep on the worker's own timer: it beats while the worker runs its event loop (or
its timer thread, with the file-system transport) and stops when the worker stops. With
the prefork pool a long task does not delay it; it runs in the parent process."""

from __future__ import annotations

import logging
from typing import Any

from celery import bootsteps

logger = logging.getLogger(__name__)


class WorkerHeartbeat(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None

    def start(self, worker: Any) -> None:
        from django.conf import settings

        self.beat(worker)
        self.tref = worker.timer.call_repeatedly(
            settings.HEALTH_WORKER_HEARTBEAT_SECONDS, self.beat, (worker,), priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        from .health import forget_worker

        try:
            forget_worker(worker.hostname)  # a clean stop is failing at once, not in a minute
        except Exception:  # the cache may be what is down
            logger.warning("could not clear the worker heartbeat", exc_info=True)

    def beat(self, worker: Any) -> None:
        from .health import record_worker_heartbeat

        try:
            record_worker_heartbeat(worker.hostname)
        except Exception:  # Redis down: the health check reports the worker as failing
            logger.warning("could not write the worker heartbeat", exc_info=True)
