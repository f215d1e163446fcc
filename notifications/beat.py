"""One beat, however many are started.

Two `celery beat` processes (a second compose replica, a deploy that overlaps the old
one) would each send every periodic job. The scheduler below schedules only while it
holds the database lease "beat", renewed every few seconds; the others stand by and take
over when the holder stops renewing (killed, host gone) — within BEAT_LEASE_SECONDS.
The lease is in the database rather than Redis because the schedule already is, and a
beat that cannot reach the database cannot schedule anyway."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django_celery_beat.schedulers import DatabaseScheduler

from .services import lease_release, lease_take

logger = logging.getLogger(__name__)

LEASE_NAME = "beat"


class LeasedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading = False
        super().__init__(*args, **kwargs)

    @property
    def lease_seconds(self) -> float:
        return float(settings.NOTIFICATIONS_BEAT_LEASE_SECONDS)

    def holds_lease(self) -> bool:
        try:
            close_old_connections()
            return lease_take(name=LEASE_NAME, holder=self.holder, seconds=self.lease_seconds)
        except DatabaseError:
            logger.warning("beat: the database does not answer; not scheduling")
            return False

    def tick(self, *args, **kwargs) -> float:
        renew_every = self.lease_seconds / 3
        if not self.holds_lease():
            if self.leading:
                logger.warning("beat %s: lost the lease, standing by", self.holder)
            self.leading = False
            return renew_every
        if not self.leading:
            logger.warning("beat %s: holds the lease, scheduling", self.holder)
            self.leading = True
            # Read the schedule afresh: the previous holder's last runs are in the
            # database (beat_sync_every = 1), so nothing runs twice at the hand-over.
            self._initial_read = True
            self._heap = None
        return min(super().tick(*args, **kwargs), renew_every)

    def close(self) -> None:
        super().close()
        if self.leading:
            with contextlib.suppress(DatabaseError):
                lease_release(name=LEASE_NAME, holder=self.holder)
