"""E-mail delivery against real servers on loopback, with real faults.

Each test runs its own throwaway servers: an SMTP server (aiosmtpd) in this process, a
redis-server without persistence, and Celery worker subprocesses on the test database. The
faults are real too: Redis stopped (or frozen) while the chair assigns, a worker SIGKILLed in
the middle of an SMTP transaction, an SMTP server that refuses for a while (421) or for good
(550).
What must hold (README, "Notifications: what is guaranteed"): the request never fails, nothing is
lost, and every notice arrives once."""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from kombu import pools
from kombu.utils.collections import eqhash

from accounts.models import User
from notifications.models import Delivery, Kind, Notification
from notifications.rendering import render_message
from notifications.tasks import backoff, deliver, sweep
from project.celery import app
from tests.conftest import World, build_world
from tests.helpers import create_and_submit, the_task
from tests.project.support import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = "/usr/bin/redis-server"
MAIL_DOMAIN = "council.local"  # NOTIFICATIONS_MAIL_DOMAIN's default, in the Message-ID
SENT, PENDING, SENDING, FAILED, UNKNOWN = (
    Delivery.Status.SENT,
    Delivery.Status.PENDING,
    Delivery.Status.SENDING,
    Delivery.Status.FAILED,
    Delivery.Status.UNKNOWN,
)


# The SMTP server.


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage


class Mailbox:
    """An aiosmtpd handler that keeps the messages it accepts (250 to DATA). Faults are set
    per recipient, so the chair's own notices go through untouched."""

    def __init__(self) -> None:
        self.port = 0
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.log: list[tuple[float, str, str, str]] = []  # (time, command, recipient, answer)
        self.rcpt_answers: dict[str, list[str]] = {}  # given in turn, then 250
        self.data_answers: dict[str, list[str]] = {}
        self.unknown: set[str] = set()  # 550 at RCPT, every time
        self.slow_once: dict[str, float] = {}  # the next DATA waits this long
        # The next DATA is stored, then answered this late (the reply may come too late).
        self.late_once: dict[str, float] = {}
        # Called right after a message to this address is stored, before the 250 goes out.
        self.after_accept: dict[str, Callable[[], None]] = {}
        self.in_slow_data = threading.Event()
        self.dropped = threading.Event()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received if address in r.recipients]

    def recipients(self) -> list[str]:
        with self.lock:
            return [a for r in self.received for a in r.recipients]

    def tried(self, address: str, command: str) -> list[tuple[float, str]]:
        with self.lock:
            return [(t, answer) for t, c, a, answer in self.log if c == command and a == address]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self.lock:
            if address in self.unknown:
                answer = "550 5.1.1 no such user"
            elif self.rcpt_answers.get(address):
                answer = self.rcpt_answers[address].pop(0)
            else:
                answer = "250 OK"
            self.log.append((time.time(), "RCPT", address, answer))
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server, session, envelope) -> str:
        (address,) = envelope.rcpt_tos  # a notice has one recipient
        with self.lock:
            delay = self.slow_once.pop(address, 0.0)
            answers = self.data_answers.get(address)
            answer = answers.pop(0) if answers else "250 Message accepted for delivery"
            self.log.append((time.time(), "DATA", address, answer))
        if delay:
            self.in_slow_data.set()
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:  # aiosmtpd cancels us when the client goes away
                self.dropped.set()
                raise
            if server.transport is None or server.transport.is_closing():
                self.dropped.set()
                return "451 4.4.2 connection lost"  # nobody hears it: not delivered
        if answer.startswith("250"):
            message = email.message_from_bytes(
                envelope.original_content, policy=email.policy.default
            )
            with self.lock:
                self.received.append(Received(list(envelope.rcpt_tos), message))
                late = self.late_once.pop(address, 0.0)
                hook = self.after_accept.pop(address, None)
            if hook is not None:
                hook()
            if late:
                await asyncio.sleep(late)
        return answer


@pytest.fixture
def smtp(settings) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, ready_timeout=30)
    controller.start()
    chatter = logging.getLogger("mail.log")  # aiosmtpd logs every command at INFO
    level = chatter.level
    chatter.setLevel(logging.WARNING)
    # This process sends too if a test calls `deliver` in-process: to the same server, so a
    # wrong second send would be counted.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mailbox.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    try:
        yield mailbox
    finally:
        controller.stop()
        chatter.setLevel(level)


# The broker.


class RedisServer:
    """A throwaway redis-server on loopback without persistence; stopped and started again
    on the same port at will. (Never the machine's shared Redis on 6379.)"""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "redis.log"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    REDIS_SERVER,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.answers, f"redis-server on {self.port} answers", 30, self.log)

    def answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log()
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and the kernel still accepts new ones, but nothing
        answers (a Redis swapping, paused in a VM, or behind a dead NAT entry)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None:
            return
        self.thaw()  # a frozen redis-server would not act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def drop_cached_producers() -> None:
    """Celery keeps its connection pool and producer pool for the broker it first used;
    without this, a changed `broker_url` is silently ignored by `send_task`."""
    app._pool = None
    app.amqp._producer_pool = None


def forget_pools_of(url: str) -> None:
    """Close and unregister kombu's global pools for `url` (our throwaway broker), so that
    a later test that happens to get the same port starts with fresh ones."""
    key = eqhash(app.connection_for_write(url))
    for group in (pools.producers, pools.connections):
        pool = group.pop(key, None)
        if pool is not None:
            pool.force_close_all()


@pytest.fixture
def broker(tmp_path, monkeypatch) -> Iterator[RedisServer]:
    """A private Redis, and this process's Celery app publishing to it, on a queue of its
    own, for the length of the test."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)  # these win over app.conf
    previous = app.conf.broker_url, app.conf.task_default_queue
    app.conf.broker_url, app.conf.task_default_queue = server.url, server.queue
    drop_cached_producers()
    try:
        # It really publishes there: a probe lands in the private Redis.
        probe = f"probe-{uuid.uuid4().hex[:8]}"
        app.send_task("tests.probe", queue=probe)
        with server.client() as client:
            assert client.llen(probe) == 1
            client.delete(probe)
        yield server
    finally:
        forget_pools_of(server.url)
        app.conf.broker_url, app.conf.task_default_queue = previous
        drop_cached_producers()
        server.stop()


# Celery workers.


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        # --pool=solo: the celery process itself runs the task.
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def worker_database_url() -> str:
    """The test database, for a worker process."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def start_worker(broker, smtp, settings, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start Celery workers on the private broker's queue, the test database and the SMTP
    server; each is stopped at the end, also when the test fails."""
    started: list[Worker] = []

    def start(pool: str = "solo", **env: str) -> Worker:
        log_path = tmp_path / f"worker-{len(started) + 1}.log"
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in ("CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL")
        }
        environment.update(
            {
                "DATABASE_URL": worker_database_url(),
                "REDIS_URL": broker.url,
                "CELERY_BROKER_URL": broker.url,
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(smtp.port),
                "EMAIL_USE_TLS": "0",
                "EMAIL_HOST_USER": "",
                "EMAIL_HOST_PASSWORD": "",
                "EMAIL_TIMEOUT": "15",
                "MEDIA_ROOT": str(settings.MEDIA_ROOT),
                "DJANGO_DEBUG": "0",
                "LOG_LEVEL": "INFO",
                **env,
            }
        )
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "project",
                    "worker",
                    "-Q",
                    broker.queue,
                    "-n",
                    f"faults-{uuid.uuid4().hex[:6]}@%h",
                    f"--concurrency={1 if pool == 'solo' else 2}",
                    f"--pool={pool}",
                    "--loglevel=INFO",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, log_path)
        started.append(worker)
        wait_for(
            lambda: " ready." in worker.log() or not worker.alive(),
            "the worker consumes",
            60,
            worker.log,
        )
        assert worker.alive(), worker.log()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


# The story's steps.


def submitted_and_chair_told(world: World, smtp: Mailbox) -> None:
    """The author submits; the chair's own notice goes out first, so the pipeline is known to
    work (and the worker is idle) before the fault."""
    create_and_submit(world)
    wait_for(
        lambda: (
            Delivery.objects.filter(recipient=world.chair, status=SENT).exists()
            and smtp.to(world.chair.email)
        ),
        "the chair's notice is delivered",
    )


def chair_assigns(world: World, experts: list[User]) -> float:
    """The chair accepts the document and assigns `experts` through the task's HTTP endpoint;
    returns how long the request took."""
    screen = the_task(world.chair, "screen")
    due = timezone.localdate() + datetime.timedelta(days=7)
    started = time.monotonic()
    response = world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [e.pk for e in experts], "due_date": due.isoformat()},
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    return elapsed


def delivery_of(user: User) -> Delivery:
    return Delivery.objects.get(recipient=user, channel=Delivery.Channel.EMAIL)


def status_of(pk: int) -> str:
    return Delivery.objects.values_list("status", flat=True).get(pk=pk)


def message_id(delivery: Delivery) -> str:
    return f"<delivery-{delivery.pk}@{MAIL_DOMAIN}>"


@pytest.mark.django_db(transaction=True)
def test_an_assignment_is_one_email_at_the_smtp_server_and_one_notice(smtp, start_worker, settings):
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    world = build_world()
    world.expert1.language = "ky"
    world.expert1.save(update_fields=["language"])
    worker = start_worker()
    submitted_and_chair_told(world, smtp)

    chair_assigns(world, [world.expert1])

    delivery = delivery_of(world.expert1)
    wait_for(lambda: status_of(delivery.pk) == SENT, "the expert's e-mail is sent", 60, worker.log)
    (message,) = smtp.to(world.expert1.email)
    assert message["To"] == world.expert1.email
    assert message["Message-ID"] == message_id(delivery)
    # The Kyrgyz subject as rendered: no leading space from a folded first line.
    subject = render_message(delivery.notification).subject
    assert subject.startswith("Жаңы тапшырма")
    assert message["Subject"] == subject
    task = the_task(world.expert1, "review")
    assert f"/tasks/{task.pk}/" in message.get_body(("plain",)).get_content()
    notices = Notification.objects.filter(recipient=world.expert1)
    assert [n.kind for n in notices] == [Kind.TASK_ASSIGNED]

    # The periodic sweep finds nothing left to do, and nothing more arrives.
    assert sweep() == {"freed": 0, "resent": 0, "enqueued": 0, "digests": 0}
    assert len(smtp.to(world.expert1.email)) == 1
    assert Notification.objects.filter(recipient=world.expert1).count() == 1
    assert sorted(smtp.recipients()) == sorted([world.chair.email, world.expert1.email])


@pytest.mark.django_db(transaction=True)
def test_redis_down_while_the_chair_assigns_loses_nothing(
    smtp, broker, start_worker, settings, caplog
):
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    world = build_world()
    worker = start_worker()
    submitted_and_chair_told(world, smtp)

    broker.stop()
    with caplog.at_level(logging.WARNING, logger="common.broker"):
        elapsed = chair_assigns(world, world.experts)
    assert elapsed < 10, f"the chair waited {elapsed:.1f} s for a broker that is down"
    lost = [r for r in caplog.records if "could not enqueue" in r.getMessage()]
    lost = [r for r in lost if "notifications.tasks.deliver" in r.getMessage()]
    # The fault was real: the first publish failed, and the breaker in enqueue_on_commit
    # spared the request the other two timeouts (the rows wait for the sweep).
    assert len(lost) == 1
    deliveries = [delivery_of(expert) for expert in world.experts]
    assert [(d.status, d.attempts) for d in deliveries] == [(PENDING, 0)] * 3
    assert not any(smtp.to(expert.email) for expert in world.experts)

    broker.start()  # the same port, empty: nothing was kept
    returned = time.monotonic()
    # No sweep: the web process' breaker probes the broker, closes as soon as it answers
    # and publishes what it had to skip.
    wait_for(
        lambda: all(status_of(d.pk) == SENT for d in deliveries),
        "the three e-mails are sent after Redis is back",
        60,
        worker.log,
    )
    assert time.monotonic() - returned < 15
    assert sweep()["enqueued"] == 0
    for expert, delivery in zip(world.experts, deliveries, strict=True):
        (message,) = smtp.to(expert.email)
        assert message["Message-ID"] == message_id(delivery)
    expert_mail = [a for a in smtp.recipients() if a != world.chair.email]
    assert sorted(expert_mail) == sorted(e.email for e in world.experts)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_still_delivers_once(smtp, start_worker, settings):
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    world = build_world()
    first = start_worker()
    submitted_and_chair_told(world, smtp)
    smtp.slow_once[world.expert1.email] = 5.0  # the server sits on the first DATA

    chair_assigns(world, [world.expert1])
    delivery = delivery_of(world.expert1)
    wait_for(smtp.in_slow_data.is_set, "the worker is inside DATA", 60, first.log)
    assert status_of(delivery.pk) == SENDING
    first.kill()

    # The SMTP transaction did not complete: the server saw the client go.
    wait_for(smtp.dropped.is_set, "the server sees the connection drop", 10)
    assert smtp.to(world.expert1.email) == []
    assert status_of(delivery.pk) == SENDING  # a claim nobody will finish

    # The claim timeout is 10 minutes; the dead worker's claim is seen at once, because
    # its advisory lock went with its database connection.
    second = start_worker()
    wait_for(lambda: sweep()["freed"] == 1, "the sweep frees the dead claim", 10)
    wait_for(lambda: status_of(delivery.pk) == SENT, "the retry is sent", 60, second.log)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    (message,) = smtp.to(world.expert1.email)
    assert message["Message-ID"] == message_id(delivery)

    # The broker redelivering the old message later (acks_late, visibility timeout) is a
    # no-op: in this process, and through the broker to the live worker.
    assert deliver(delivery.pk) == "not claimed"
    duplicate = deliver.delay(delivery.pk)
    wait_for(
        lambda: f"[{duplicate.id}] succeeded" in second.log(),
        "the worker runs the duplicate",
        30,
        second.log,
    )
    assert "'not claimed'" in second.log().split(f"[{duplicate.id}] succeeded", 1)[1][:100]
    assert len(smtp.to(world.expert1.email)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (SENT, 2)


@pytest.mark.django_db(transaction=True)
def test_smtp_refusing_for_a_while_retries_then_delivers_and_a_permanent_failure_shows_to_admins(
    smtp, start_worker, settings
):
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 1  # as the worker's, for `backoff` below
    world = build_world()
    worker = start_worker(NOTIFICATIONS_RETRY_BASE_SECONDS="1")
    submitted_and_chair_told(world, smtp)
    busy, gone = world.expert1.email, world.expert2.email
    smtp.rcpt_answers[busy] = ["421 4.7.0 try later"]  # attempt 1 fails at RCPT,
    smtp.data_answers[busy] = ["421 4.3.2 try later"]  # attempt 2 at DATA, 3 goes through
    smtp.unknown.add(gone)

    chair_assigns(world, [world.expert1, world.expert2])
    retried, refused = delivery_of(world.expert1), delivery_of(world.expert2)

    seen: dict[int, datetime.datetime] = {}  # attempts → next_attempt_at, while waiting to retry
    last_sweep = 0.0

    def settled() -> bool:
        nonlocal last_sweep
        if time.monotonic() - last_sweep > 0.5:  # beat's sweep, sped up
            sweep()
            last_sweep = time.monotonic()
        row = Delivery.objects.get(pk=retried.pk)
        if row.status == PENDING and row.attempts:
            seen.setdefault(row.attempts, row.next_attempt_at)
        return row.status == SENT and status_of(refused.pk) == FAILED

    wait_for(settled, "one delivered after retries, one failed", 60, worker.log)

    retried.refresh_from_db()
    assert (retried.status, retried.attempts, retried.last_error) == (SENT, 3, "")
    (message,) = smtp.to(busy)
    assert message["Message-ID"] == message_id(retried)
    rcpt = smtp.tried(busy, "RCPT")
    assert [answer[:3] for _t, answer in rcpt] == ["421", "250", "250"]
    assert [answer[:3] for _t, answer in smtp.tried(busy, "DATA")] == ["421", "250"]
    # The back-off was respected: each retry came no sooner than it said, and the next
    # attempt moved forward each time.
    for attempt in (1, 2):
        gap = rcpt[attempt][0] - rcpt[attempt - 1][0]
        assert gap >= backoff(attempt).total_seconds(), (attempt, gap)
    assert sorted(seen) == [1, 2], seen
    assert seen[1] < seen[2]
    for attempt in (1, 2):
        assert seen[attempt].timestamp() >= rcpt[attempt - 1][0] + backoff(attempt).total_seconds()

    # 550: failed at once, never retried, and the admins see why.
    refused.refresh_from_db()
    assert (refused.status, refused.attempts, refused.next_attempt_at) == (FAILED, 1, None)
    assert "550" in refused.last_error and "no such user" in refused.last_error
    assert len(smtp.tried(gone, "RCPT")) == 1
    assert smtp.to(gone) == []

    root = User.objects.create_superuser("root", "root@example.org", "x", language="en")
    admin = Client()
    admin.force_login(root)
    changelist = reverse("admin:notifications_delivery_changelist")
    page = admin.get(changelist, {"status__exact": FAILED})
    assert page.status_code == 200
    assert [d.pk for d in page.context["cl"].result_list] == [refused.pk]
    assert escape(refused.last_error[:80]) in page.content.decode()  # the error column

    # The mailbox is created; the admin retries. With the worker stopped, the row is seen
    # back to pending; the next worker sends it once.
    worker.stop()
    smtp.unknown.discard(gone)
    response = admin.post(changelist, {"action": "retry", "_selected_action": [refused.pk]})
    assert response.status_code == 302
    refused.refresh_from_db()
    assert (refused.status, refused.attempts, refused.last_error) == (PENDING, 0, "")
    again = start_worker(NOTIFICATIONS_RETRY_BASE_SECONDS="1")
    wait_for(lambda: status_of(refused.pk) == SENT, "the retried e-mail is sent", 60, again.log)
    (message,) = smtp.to(gone)
    assert message["Message-ID"] == message_id(refused)
    assert len(smtp.to(busy)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_frozen_redis_while_the_chair_assigns_holds_the_request_only_briefly(
    smtp, broker, start_worker, settings, caplog
):
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    world = build_world()
    worker = start_worker()
    submitted_and_chair_told(world, smtp)

    broker.freeze()
    # Without socket timeouts the publish would wait for Redis as long as it is frozen:
    # thaw it after a while, so that such a run fails on the time instead of hanging.
    watchdog = threading.Timer(45, broker.thaw)
    watchdog.start()
    try:
        with caplog.at_level(logging.WARNING, logger="common.broker"):
            elapsed = chair_assigns(world, world.experts)
        # One socket timeout (2 s), no retry inside the request.
        assert elapsed < 5, f"the chair waited {elapsed:.1f} s for a frozen broker"
        # Still frozen: nothing can have been taken yet.
        deliveries = [delivery_of(expert) for expert in world.experts]
        assert [(d.status, d.attempts) for d in deliveries] == [(PENDING, 0)] * 3
    finally:
        watchdog.cancel()
        broker.thaw()
    lost = [r for r in caplog.records if "could not enqueue" in r.getMessage()]
    lost = [r for r in lost if "notifications.tasks.deliver" in r.getMessage()]
    assert len(lost) == 1  # one timeout, then the breaker

    # A publish given up on may still be in the frozen server's socket buffer and run when
    # it thaws: that duplicate and the sweep's meet at the claim.
    sweep()
    wait_for(
        lambda: all(status_of(d.pk) == SENT for d in deliveries),
        "the three e-mails are sent after Redis thaws",
        60,
        worker.log,
    )
    for expert, delivery in zip(world.experts, deliveries, strict=True):
        (message,) = smtp.to(expert.email)
        assert message["Message-ID"] == message_id(delivery)


def message_ids(smtp: Mailbox, address: str) -> list[str]:
    return [m["Message-ID"] for m in smtp.to(address)]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_right_after_the_server_accepted_sends_one_copy_more_with_the_same_id(
    smtp, start_worker, settings
):
    """The one duplicate SMTP cannot prevent: the server has the message, the worker dies
    before it hears the 250. Its claim is freed at once (its advisory lock went with it) and
    the copy carries the same Message-ID."""
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    world = build_world()
    first = start_worker()
    submitted_and_chair_told(world, smtp)
    smtp.after_accept[world.expert1.email] = first.kill

    chair_assigns(world, [world.expert1])
    delivery = delivery_of(world.expert1)
    wait_for(lambda: not first.alive(), "the worker is killed after the server accepted", 30)
    assert status_of(delivery.pk) == SENDING
    assert len(smtp.to(world.expert1.email)) == 1

    second = start_worker()
    started = time.monotonic()
    wait_for(lambda: sweep()["freed"] == 1, "the dead claim is freed", 10)
    wait_for(lambda: status_of(delivery.pk) == SENT, "the copy is sent", 30, second.log)
    assert time.monotonic() - started < 30  # not the 10-minute claim timeout
    assert message_ids(smtp, world.expert1.email) == [message_id(delivery)] * 2


@pytest.mark.django_db(transaction=True)
def test_a_reply_after_the_data_timeout_is_sent_unknown_and_resent_only_after_the_hold(
    smtp, start_worker, settings
):
    """The server stores the message but answers after NOTIFICATIONS_SMTP_DATA_TIMEOUT:
    the row is "sent?" (unknown), not retried as if nothing had gone; after the hold it is
    re-sent once, with the same Message-ID."""
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    world = build_world()
    worker = start_worker(NOTIFICATIONS_SMTP_DATA_TIMEOUT="1")
    submitted_and_chair_told(world, smtp)
    smtp.late_once[world.expert1.email] = 3.0

    chair_assigns(world, [world.expert1])
    delivery = delivery_of(world.expert1)
    wait_for(lambda: status_of(delivery.pk) == UNKNOWN, "the row is unknown", 30, worker.log)
    delivery.refresh_from_db()
    assert "SMTPServerDisconnected" in delivery.last_error or "timed out" in delivery.last_error
    time.sleep(3)  # the late 250 arrives at nobody
    assert sweep()["resent"] == 0  # within the hold: nothing goes again
    assert len(smtp.to(world.expert1.email)) == 1
    # The admins see it as "sent?".
    root = User.objects.create_superuser("root", "root@example.org", "x", language="en")
    admin = Client()
    admin.force_login(root)
    page = admin.get(reverse("admin:notifications_delivery_changelist"), {"status__exact": UNKNOWN})
    assert [d.pk for d in page.context["cl"].result_list] == [delivery.pk]

    settings.NOTIFICATIONS_UNKNOWN_RESEND_SECONDS = 0  # the hold is over
    assert sweep()["resent"] == 1
    wait_for(lambda: status_of(delivery.pk) == SENT, "re-sent after the hold", 30, worker.log)
    assert message_ids(smtp, world.expert1.email) == [message_id(delivery)] * 2


@pytest.mark.django_db(transaction=True)
def test_broker_lost_during_a_send_with_the_prefork_pool_delivers_once(
    smtp, broker, start_worker, settings
):
    """Redis goes away while a prefork child is inside DATA. What Celery 5.7 does then:
    the main process tries to put the unacknowledged message back on a connection it has
    just closed, fails (AttributeError in kombu's restore) and shuts down once the child's
    task is done — the worker needs its supervisor (compose's restart policy). Whatever
    of this happens, the e-mail goes out once and no claim is left for the claim timeout."""
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    world = build_world()
    worker = start_worker(pool="prefork")
    submitted_and_chair_told(world, smtp)
    smtp.slow_once[world.expert1.email] = 4.0

    chair_assigns(world, [world.expert1])
    delivery = delivery_of(world.expert1)
    wait_for(smtp.in_slow_data.is_set, "the child is inside DATA", 60, worker.log)
    broker.stop()
    time.sleep(3)
    broker.start()
    started = time.monotonic()
    workers = [worker]

    def delivered() -> bool:
        if not workers[-1].alive():
            workers.append(start_worker(pool="prefork"))  # the supervisor's restart
        sweep()
        return status_of(delivery.pk) == SENT

    wait_for(delivered, "sent after the broker returns", 60, lambda: workers[-1].log())
    assert time.monotonic() - started < 60
    assert message_ids(smtp, world.expert1.email) == [message_id(delivery)]
    assert not Delivery.objects.filter(status=SENDING).exists()


@pytest.mark.django_db(transaction=True)
def test_a_backlog_after_an_outage_drains_at_full_speed(smtp, broker, start_worker, settings):
    """1,200 e-mails written while Redis was down (their publishes failed) go out, once
    each, soon after it returns: no per-minute cap. (bench/notifications.py measures the
    rate precisely.)"""
    world = build_world()
    worker = start_worker(pool="prefork")
    school, now = world.school, timezone.now()
    people = User.objects.bulk_create(
        [
            User(username=f"backlog{i}", email=f"backlog{i}@example.org", school=school)
            for i in range(40)
        ]
    )
    notices = Notification.objects.bulk_create(
        [
            Notification(
                recipient=people[i % 40],
                school=school,
                kind=Kind.PROTOCOL_CONFIRMED,
                params={"number": i, "date": "01.09.2026"},
                url="/",
            )
            for i in range(1200)
        ]
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                notification=n,
                recipient_id=n.recipient_id,
                channel=Delivery.Channel.EMAIL,
                next_attempt_at=now,
                enqueued_at=None,  # what a failed publish leaves
            )
            for n in notices
        ]
    )
    started = time.monotonic()
    assert sweep()["enqueued"] == 1200
    wait_for(
        lambda: not Delivery.objects.exclude(status=SENT).exists(),
        "the backlog is sent",
        120,
        worker.log,
    )
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"1,200 e-mails took {elapsed:.0f} s"
    addresses = [a for a in smtp.recipients() if a.startswith("backlog")]
    assert len(addresses) == 1200
    ids = [m["Message-ID"] for p in people for m in smtp.to(p.email)]
    assert len(ids) == len(set(ids)) == 1200


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_run_each_job_once_per_interval(broker, tmp_path, settings):
    """Two real `celery beat` processes on one database: only the lease holder sends; when
    it is killed, the other takes over within the lease."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    probe_queue = f"beat-probe-{uuid.uuid4().hex[:6]}"
    PeriodicTask.objects.create(
        name="beat-probe",
        task="tests.beat_probe",
        interval=every_second,
        queue=probe_queue,
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CELERY_BROKER_")},
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": broker.url,
        "CELERY_BROKER_URL": broker.url,
        "NOTIFICATIONS_BEAT_LEASE_SECONDS": "3",
        "DJANGO_DEBUG": "0",
    }
    beats: list[Worker] = []
    try:
        for number in (1, 2):
            log_path = tmp_path / f"beat-{number}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "project",
                        "beat",
                        "--loglevel=INFO",
                        f"--schedule={tmp_path / f'beat-{number}.db'}",
                        "--pidfile=",
                    ],
                    cwd=ROOT,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            beats.append(Worker(process, log_path))

        def sent() -> int:
            with broker.client() as client:
                return client.llen(probe_queue)

        def explain() -> str:
            return "\n".join(b.log() for b in beats)

        wait_for(lambda: sent() >= 2, "the probe job runs", 60, explain)
        first = sent()
        time.sleep(8)
        runs = sent() - first
        assert 5 <= runs <= 10, f"{runs} runs in 8 s with two beats\n{explain()}"
        holders = [b for b in beats if "holds the lease" in b.log()]
        assert len(holders) == 1, explain()

        holders[0].kill()
        standby = next(b for b in beats if b is not holders[0])
        wait_for(lambda: "holds the lease" in standby.log(), "the other beat takes over", 15)
        before = sent()
        time.sleep(5)
        assert 3 <= sent() - before <= 7, explain()
    finally:
        for beat in beats:
            beat.stop()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_the_bot_api_has_not_answered_sends_the_telegram_message_once(
    smtp, start_worker, settings
):
    from notifications.models import Preference, TelegramLink
    from tests.notifications.bot_api import TOKEN, BotApi

    bot = BotApi()
    bot.thread.start()
    try:
        world = build_world()
        TelegramLink.objects.create(user=world.expert1, chat_id=777, active=True)
        Preference.objects.create(user=world.expert1, kind=Kind.TASK_ASSIGNED, route="telegram")
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BOT_USERNAME": "council_test_bot",
            "TELEGRAM_API_URL": bot.url,
            "TELEGRAM_TIMEOUT": "20",
        }
        settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
        first = start_worker(**env)
        submitted_and_chair_told(world, smtp)
        bot.answers.append(5.0)  # the Bot API sits on the first sendMessage

        chair_assigns(world, [world.expert1])
        delivery = Delivery.objects.get(recipient=world.expert1)
        assert delivery.channel == Delivery.Channel.TELEGRAM
        wait_for(bot.waiting.is_set, "the worker waits for the Bot API", 60, first.log)
        first.kill()

        second = start_worker(**env)
        wait_for(lambda: sweep()["freed"] == 1, "the dead claim is freed at once", 10)
        wait_for(lambda: status_of(delivery.pk) == SENT, "sent by the next worker", 30, second.log)
        time.sleep(5)  # the held request has finished by now, one way or the other
        assert [m["chat_id"] for m in bot.delivered] == [777]
        assert smtp.to(world.expert1.email) == []  # Telegram only, as chosen
    finally:
        bot.server.shutdown()
        bot.server.server_close()


def pool_processes(worker: Worker) -> list[int]:
    """The prefork pool's processes of `worker` (its children)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == worker.process.pid:
                children.append(int(entry.name))
    return children


@pytest.mark.django_db(transaction=True)
def test_a_pool_process_terminated_mid_data_finishes_the_message_and_records_it(
    smtp, start_worker, settings
):
    """What Celery does to a running late-ack task when the broker connection is lost (and
    a cold shutdown too): SIGTERM to its pool process. The process finishes the message it
    is in, marks it sent, and only then exits: no second copy, no claim left behind."""
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    world = build_world()
    worker = start_worker(pool="prefork")
    submitted_and_chair_told(world, smtp)
    smtp.slow_once[world.expert1.email] = 3.0

    chair_assigns(world, [world.expert1])
    delivery = delivery_of(world.expert1)
    wait_for(smtp.in_slow_data.is_set, "the pool process is inside DATA", 60, worker.log)
    holders = [
        pid
        for pid in pool_processes(worker)
        if f":{pid}:" in Delivery.objects.get(pk=delivery.pk).claimed_by
    ]
    assert len(holders) == 1, worker.log()
    os.kill(holders[0], signal.SIGTERM)

    wait_for(
        lambda: status_of(delivery.pk) == SENT, "recorded by the stopping process", 30, worker.log
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert not smtp.dropped.is_set()  # the server was not left mid-DATA
    wait_for(lambda: holders[0] not in pool_processes(worker), "the process exits", 30, worker.log)
    assert worker.alive()  # Celery replaces it
    time.sleep(2)
    assert message_ids(smtp, world.expert1.email) == [message_id(delivery)]
