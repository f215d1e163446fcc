"""Delivery: at least once from the broker, once in effect, several per task.

`deliver` takes a list of delivery ids, claims the pending ones with one conditional
UPDATE (pending → sending; a row another run has is skipped), sends each through its
channel's sender and records each outcome the moment it is known — "sent" right after the
server's reply to the message, before the next one is started. A passing failure puts the
row back to pending with a back-off; a permanent refusal, or too many attempts, marks it
failed for the admins; no answer after the whole message was written marks it "unknown".

On PostgreSQL each claim also takes a session advisory lock, held by the worker process
while it works on the row. A worker that dies (SIGKILL, OOM, a crash) drops its database
connection and with it the locks, so its claims
are seen as dead at once — by the sweep, or by the redelivered task — and sent again
promptly, with the same Message-ID. Elsewhere (SQLite, one machine) each claim names its
process (host, pid, start time): a claim whose process is gone is freed just as promptly.
A claim of another machine's process, or one older than
NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS, is freed after that timeout.

A pool process Celery terminates (SIGTERM: a task cancelled on a lost broker connection,
a cold shutdown) does not die mid-message: it records the message in hand, gives the rest
back and then exits (`worker.stopping_gently`).

`sweep` frees dead claims, re-sends unanswered rows after a long hold, and hands every due
row to the broker in batches — no cap, so a backlog drains at full speed."""

from __future__ import annotations

import concurrent.futures
import datetime
import logging
import os
import socket
import threading
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, Q
from django.utils import timezone

from . import worker
from .channels import Outcome, Result, sender_for
from .channels.email import SMTP_BACKEND
from .models import Delivery
from .services import DELIVER_TASK, deliveries_publish, digests_open

logger = logging.getLogger(__name__)

# The first key of our advisory locks ("noti"), so they never meet another user's.
LOCK_NAMESPACE = 0x6E6F7469
TABLE = Delivery._meta.db_table
S = Delivery.Status


def backoff(attempts: int) -> datetime.timedelta:
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def at(moment: datetime.datetime) -> object:
    """A datetime as raw SQL must be given it (SQLite stores text in Django's format)."""
    return connection.ops.adapt_datetimefield_value(moment)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def lock_key() -> str:
    return f"{LOCK_NAMESPACE}, mod(id, 2147483647)::int"


def process_start(pid: int) -> str:
    """The process' start time in clock ticks since boot (Linux), "" where unknown: with
    the pid it names one process, even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def claimant() -> str:
    """This process as the holder of a claim: "host:pid:start"."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start(pid)}"


def claimant_gone(holder: str) -> bool:
    """True when `holder` is a process of this machine that no longer runs. A process of
    another machine cannot be checked from here (its claim waits for the timeout)."""
    host, _sep, rest = holder.partition(":")
    pid, _sep, start = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it runs, as another user
    return bool(start) and process_start(int(pid)) not in ("", start)


def claim(ids: list[int], now: datetime.datetime) -> list[int]:
    """pending → sending for those of `ids` that are due; returns the ids this run holds."""
    if not ids:
        return []
    revive_dead_claims(ids, now)
    marks = ", ".join(["%s"] * len(ids))
    locking = f", pg_advisory_lock({lock_key()})" if on_postgres() else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {TABLE}
            SET status = %s, claimed_at = %s, claimed_by = %s, attempts = attempts + 1
            WHERE id IN ({marks}) AND status = %s AND next_attempt_at <= %s
            RETURNING id{locking}
            """,
            [S.SENDING, at(now), claimant(), *ids, S.PENDING, at(now)],
        )
        return [row[0] for row in cursor.fetchall()]


def revive_dead_claims(ids: list[int] | None, now: datetime.datetime) -> int:
    """Claims whose worker is gone go back to pending at once (of `ids`, or all); a claim
    older than the claim timeout is taken as dead too. On PostgreSQL a claim is dead when
    its advisory lock is free; elsewhere when its process is gone from this machine."""
    stale = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS)
    if not on_postgres():
        return revive_orphans(ids, now, stale)
    where_ids = ""
    params: list = [S.PENDING, at(now), S.SENDING, at(stale)]
    if ids is not None:
        where_ids = f"AND id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    with connection.cursor() as cursor:
        # The xact lock is taken only to test that nobody holds the session lock; it is
        # released when this statement commits.
        cursor.execute(
            f"""
            UPDATE {TABLE} SET status = %s, next_attempt_at = %s, enqueued_at = NULL
            WHERE status = %s
              AND (claimed_at < %s OR pg_try_advisory_xact_lock({lock_key()}))
              {where_ids}
            RETURNING id
            """,
            params,
        )
        return len(cursor.fetchall())


def revive_orphans(ids: list[int] | None, now: datetime.datetime, stale: datetime.datetime) -> int:
    """revive_dead_claims without advisory locks (SQLite): by the claim's process."""
    claims = Delivery.objects.filter(status=S.SENDING)
    if ids is not None:
        claims = claims.filter(pk__in=ids)
    holders = set(claims.values_list("claimed_by", flat=True).distinct())
    gone = [holder for holder in holders if holder and claimant_gone(holder)]
    if not holders:
        return 0
    return claims.filter(Q(claimed_at__lt=stale) | Q(claimed_by__in=gone)).update(
        status=S.PENDING, next_attempt_at=now, enqueued_at=None
    )


def record(delivery: Delivery, result: Result) -> str:
    """Write what became of one claimed delivery (only if the claim is still ours)."""
    now = timezone.now()
    if result.outcome is Outcome.SENT:
        # The statement that runs once per message: raw, not compiled by the ORM each time.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET status = %s, sent_at = %s, last_error = '' "
                "WHERE id = %s AND status = %s",
                [S.SENT, at(now), delivery.pk, S.SENDING],
            )
        return "sent"
    mine = Delivery.objects.filter(pk=delivery.pk, status=S.SENDING)
    if result.outcome is Outcome.UNKNOWN:
        mine.update(status=S.UNKNOWN, last_error=result.error[:2000])
        logger.warning("delivery %s: no answer after the message: %s", delivery.pk, result.error)
        return "unknown"
    failed = (
        result.outcome is Outcome.FAILED or delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    )
    wait = backoff(delivery.attempts)
    if result.retry_after is not None:
        wait = max(wait, datetime.timedelta(seconds=result.retry_after))
    mine.update(
        status=S.FAILED if failed else S.PENDING,
        next_attempt_at=None if failed else now + wait,
        enqueued_at=None,
        last_error=result.error[:2000],
    )
    logger.warning("delivery %s attempt %s: %s", delivery.pk, delivery.attempts, result.error)
    return "failed" if failed else "retry"


def prepare_all(channel: str, deliveries: list[Delivery]) -> dict[int, object]:
    """Each delivery rendered and serialised (the CPU work), by delivery id."""
    prepared: dict[int, object] = {}
    with sender_for(channel) as sender:
        for delivery in deliveries:
            try:
                prepared[delivery.pk] = sender.prepare(delivery)
            except Exception as error:  # a template or data error: this one waits
                logger.exception("delivery %s", delivery.pk)
                prepared[delivery.pk] = Result(Outcome.RETRY, f"{type(error).__name__}: {error}")
    return prepared


def send_all(
    channel: str,
    deliveries: list[Delivery],
    stop: threading.Event,
    prepared: dict[int, object] | None = None,
) -> Tally:
    """Send `deliveries` in turn through one sender, recording each outcome at once."""
    tally = Tally()
    if prepared is None:
        prepared = prepare_all(channel, deliveries)
    with sender_for(channel) as sender:
        for index, delivery in enumerate(deliveries):
            if stop.is_set() or worker.terminating.is_set():
                return tally
            try:
                result = sender.send(delivery, prepared[delivery.pk])
            except Exception as error:  # a bug or an unexpected library error
                logger.exception("delivery %s", delivery.pk)
                result = Result(Outcome.RETRY, f"{type(error).__name__}: {error}")
            tally.counts[record(delivery, result)] += 1
            tally.done.add(delivery.pk)
            if result.stop_batch:
                # The server is unreachable or closing: the others would only wait their
                # timeouts. They go back untried (no attempt counted) to wait as long.
                rest = [d.pk for d in deliveries[index + 1 :]]
                wait = max(backoff(delivery.attempts).total_seconds(), result.retry_after or 0)
                Delivery.objects.filter(pk__in=rest, status=S.SENDING).update(
                    status=S.PENDING,
                    next_attempt_at=timezone.now() + datetime.timedelta(seconds=wait),
                    enqueued_at=None,
                    attempts=F("attempts") - 1,
                )
                tally.done.update(rest)
                tally.counts["retry"] += len(rest)
                return tally
    return tally


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    done: set[int] = field(default_factory=set)

    def add(self, other: Tally) -> None:
        self.counts.update(other.counts)
        self.done |= other.done


_pool: ThreadPoolExecutor | None = None


def in_thread(
    channel: str, deliveries: list[Delivery], stop: threading.Event, prepared: dict[int, object]
) -> Tally:
    close_old_connections()  # this thread's own connection, kept between tasks
    ready_to_record()
    return send_all(channel, deliveries, stop, prepared)


def ready_to_record() -> None:
    """This thread's database connection checked and open before its first SMTP
    conversation. Django checks a kept connection (a SELECT 1 round trip, or a reconnect
    after CONN_MAX_AGE) on its first cursor after close_old_connections — here that
    would be the first "sent" UPDATE, in the very instant between the server's 250 and
    the mark in which a killed worker leaves a message to go twice. Under the steady
    load of small batches it was most messages' first statement: 1.0 ms mean, 16 ms at
    p99, against 0.3 ms from the server's store to that point."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()


def parallelism(channel: str, count: int) -> int:
    """Threads for one channel's share of a batch. Each waits on its own connection (the
    SMTP replies, the database's), so a batch's waits overlap; a batch of fewer than
    2 × PER_THREAD goes in the task's own thread, one message after another; in-memory
    e-mail backends (tests, `make run`) stay in the task's thread and transaction."""
    if channel != Delivery.Channel.TELEGRAM and settings.EMAIL_BACKEND != SMTP_BACKEND:
        return 1
    return max(1, min(settings.NOTIFICATIONS_SEND_THREADS, count // PER_THREAD))


# Messages per sending thread before another is worth starting: a small batch (the steady
# flow of a school day) goes one message after another, a backlog's batches of 50 in 4.
# Sent in parallel, a handful of messages only queue at the server together, each waiting
# longer between its final dot and its mark — the instant in which a killed worker leaves
# a message to go twice (30 kills under steady load: 3.3 duplicates on average over 8 runs
# with 4 threads for every batch, 1.6 over 5 runs with this).
PER_THREAD = 10


@shared_task(name=DELIVER_TASK, ignore_result=True, acks_late=True)
def deliver(delivery_ids: int | list[int]) -> str | dict[str, int]:
    single = isinstance(delivery_ids, int)
    ids = [delivery_ids] if single else [int(pk) for pk in delivery_ids]
    claimed = claim(ids, timezone.now())
    if not claimed:
        return "not claimed" if single else {"not claimed": len(ids)}
    with worker.stopping_gently():
        tally = send_claimed(claimed)
    if single:
        return next(iter(tally.counts))
    return dict(tally.counts)


def send_claimed(claimed: list[int]) -> Tally:
    global _pool
    tally = Tally()
    stop = threading.Event()
    running: list[concurrent.futures.Future] = []  # threads whose tallies are not added yet
    try:
        rows = Delivery.objects.select_related("recipient", "notification").in_bulk(claimed)
        for row in rows.values():
            # The notice's recipient is the delivery's: one User object, not two per row.
            if row.notification is not None and row.notification.recipient_id == row.recipient_id:
                row.notification.recipient = row.recipient
        by_channel: dict[str, list[Delivery]] = defaultdict(list)
        for pk in claimed:
            by_channel[rows[pk].channel].append(rows[pk])
        for channel, deliveries in by_channel.items():
            threads = parallelism(channel, len(deliveries))
            if threads == 1:
                tally.add(send_all(channel, deliveries, stop))
                continue
            if _pool is None:  # made in the worker's child process, after the fork
                _pool = ThreadPoolExecutor(settings.NOTIFICATIONS_SEND_THREADS, "deliver")
            # All the CPU work (templates, MIME) here first, the conversations after: a
            # sending thread that hears a server's 250 then finds the interpreter free and
            # marks its row at once, instead of waiting for another thread's rendering —
            # the instant in which a killed worker leaves an accepted message unmarked
            # (and so a duplicate) stays as short as it can be.
            prepared = prepare_all(channel, deliveries)
            running = [
                _pool.submit(in_thread, channel, deliveries[part::threads], stop, prepared)
                for part in range(threads)
            ]
            concurrent.futures.wait(running)
            futures, running = running, []
            errors = [f.exception() for f in futures if f.exception() is not None]
            for future in futures:
                if future.exception() is None:
                    tally.add(future.result())
            if errors:
                raise errors[0]
    finally:
        # Interrupted (time limit, shutdown): what was not attempted is given back now —
        # after every thread has finished the message in hand (a row still in a thread's
        # hands must not be released under it).
        stop.set()
        concurrent.futures.wait(running)
        for future in running:
            if future.exception() is None:
                tally.add(future.result())
        left = [pk for pk in claimed if pk not in tally.done]
        if left:
            Delivery.objects.filter(pk__in=left, status=S.SENDING).update(
                status=S.PENDING,
                next_attempt_at=timezone.now(),
                enqueued_at=None,
                attempts=F("attempts") - 1,
            )
        if on_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock_all()")
    return tally


def enqueue_due(now: datetime.datetime) -> int:
    """Hand every due pending row to the broker, in batches, chunk by chunk. A row handed
    over within the grace period is left to its own task (a second one would be a no-op,
    but a queue of no-ops slows the catching up)."""
    grace = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS)
    total = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {TABLE} SET enqueued_at = %s
                WHERE id IN (
                    SELECT id FROM {TABLE}
                    WHERE status = %s AND next_attempt_at <= %s
                      AND (enqueued_at IS NULL OR enqueued_at < %s)
                    ORDER BY next_attempt_at
                    LIMIT 5000
                )
                RETURNING id
                """,
                [at(now), S.PENDING, at(now), at(grace)],
            )
            ids = sorted(row[0] for row in cursor.fetchall())
        if not ids:
            return total
        published = deliveries_publish(ids)
        total += published
        if published < len(ids):  # the broker is down again: the next sweep goes on
            return total


@shared_task(name="notifications.tasks.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    now = timezone.now()
    freed = revive_dead_claims(None, now)
    # An unanswered message is re-sent (same Message-ID) only after a long hold: if the
    # server did take it, the copy is late and recognisable; if it did not, the notice is
    # not lost. The admins see "sent?" meanwhile and may re-send at once.
    hold = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_UNKNOWN_RESEND_SECONDS)
    resent = Delivery.objects.filter(status=S.UNKNOWN, claimed_at__lt=hold).update(
        status=S.PENDING, next_attempt_at=now, enqueued_at=None
    )
    opened = digests_open(now=now)
    enqueued = enqueue_due(now)
    return {"freed": freed, "resent": resent, "enqueued": enqueued, "digests": opened}


@shared_task(name="notifications.tasks.telegram_updates", ignore_result=True)
def telegram_updates() -> dict[str, int]:
    """Read what people sent the bot (getUpdates, the offset kept in the database) and link
    the chats that sent "/start <code>". Polling rather than a webhook: it needs no public
    HTTPS address and no secret route, which a school's server behind NAT may not have;
    the price is a request every few seconds and a link made within them."""
    import httpx

    from .channels.telegram import call
    from .models import Cursor
    from .services import lease_take, telegram_link_confirm

    if not settings.TELEGRAM_BOT_TOKEN:
        return {"linked": 0}
    # One poller at a time (the Bot API answers 409 to concurrent getUpdates).
    holder = uuid.uuid4().hex
    if not lease_take(name="telegram-updates", holder=holder, seconds=30):
        return {"linked": 0}
    cursor, _created = Cursor.objects.get_or_create(name="telegram-updates")
    try:
        response = call(
            "getUpdates",
            {"offset": cursor.position, "timeout": 0, "allowed_updates": ["message"]},
        )
        updates = response.json().get("result", []) if response.status_code == 200 else []
    except (httpx.HTTPError, ValueError) as error:
        logger.warning("telegram getUpdates: %s", error)
        return {"linked": 0}
    finally:
        from .services import lease_release

        lease_release(name="telegram-updates", holder=holder)
    linked = 0
    for update in updates:
        message = update.get("message") or {}
        text = str(message.get("text") or "")
        chat_id = (message.get("chat") or {}).get("id")
        if chat_id is not None and text.startswith("/start "):
            link = telegram_link_confirm(code=text.split(" ", 1)[1].strip(), chat_id=chat_id)
            if link is not None:
                linked += 1
                telegram_greet(link)
    if updates:
        Cursor.objects.filter(name="telegram-updates").update(
            position=max(u["update_id"] for u in updates) + 1
        )
    return {"linked": linked}


def telegram_greet(link) -> None:
    import httpx
    from django.utils import translation
    from django.utils.translation import gettext

    from .channels.telegram import call

    with translation.override(link.user.language or settings.LANGUAGE_CODE):
        text = gettext("Your account is linked. Notices you choose will come here.")
    try:
        call("sendMessage", {"chat_id": link.chat_id, "text": text})
    except httpx.HTTPError as error:
        logger.warning("telegram greeting: %s", error)
