"""The notifications bench: e-mail throughput of one Celery worker (prefork, concurrency 2,
as in docker-compose) against Celery's own no-op rate in the same run; a Redis outage
while HTTP clients write notices through gunicorn; random worker kills; review reminders
due at one moment. Each part prints "target met" or "NOT met" for the issue's targets.

    make bench-notifications                                  # everything (≈ 4 min)
    make bench-notifications BENCH_ARGS="--only throughput"   # the rates only (≈ 30 s)
    .venv/bin/python bench/notifications.py --only outage --only kills --rate 150

It starts a throwaway redis-server, an SMTP server on loopback (bench/smtp_sink.py, a
process of its own), the worker (restarted if it stops, as compose's restart policy
would) and, for the outage, gunicorn with 3 workers (bench/notifications_settings.py), in
a PostgreSQL database of its own (dropped and recreated; the name must contain "bench").

- Throughput: N pending deliveries, as after an outage, handed to the broker by the real
  sweep, timed until the last row is marked sent; N `celery.accumulate` no-op tasks,
  timed until the queue is empty. Rounds interleave the two.
- Outage: 4 HTTP clients write `--rate` notices a second through gunicorn; Redis is
  stopped `--outage` seconds, then started again empty; beat's sweep runs every 10 s.
  Timed from Redis back until every e-mail written before that is sent.
- Kills: SIGKILL of a random pool process `--kills` times while backlogs drain at full
  speed; steady-kills: as many under the steady HTTP load of `--rate` notices a second.
  Each duplicate is set beside the nearest kill, and a probe of the bench's own times the
  server's answer to a final dot meanwhile (see `beside_kills`).
- Reminders: `--reminders` review reminders due at one moment, timed until all are sent.

Lost and duplicate counts come from the SMTP server's own count of messages and distinct
Message-IDs. Writes bench/results/notifications-<UTC time>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/council_bench_notif"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=PHASES,
        help="run only this part (repeatable); all of them by default",
    )
    parser.add_argument("--emails", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--outage", type=int, default=60, help="seconds Redis is down")
    parser.add_argument(
        "--rate", type=float, default=100, help="notices a second written over HTTP"
    )
    parser.add_argument("--kills", type=int, default=30, help="random worker kills")
    parser.add_argument("--reminders", type=int, default=6000, help="review reminders due")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_NOTIFICATIONS_DATABASE_URL", DEFAULT_URL)
    )
    return parser.parse_args()


class Services:
    """The bench's servers. The worker is supervised as compose's `restart: unless-stopped`
    would (Celery 5.7's main process may stop when Redis goes away under a running task,
    see the README); any other server dying ends the bench."""

    def __init__(self, start_redis, start_worker) -> None:
        self.start_redis, self.start_worker = start_redis, start_worker
        self.redis = start_redis()
        self.worker = start_worker()
        self.others: list[subprocess.Popen] = []  # the SMTP server, gunicorn
        self.worker_restarts = 0

    def check(self) -> None:
        if self.worker.poll() is not None:
            self.worker_restarts += 1
            self.worker = self.start_worker()
        dead = [p.args for p in [self.redis, *self.others] if p and p.poll() is not None]
        if dead:
            sys.exit(f"bench: {dead} exited")

    def all(self) -> list[subprocess.Popen]:
        return [p for p in [self.worker, *self.others, self.redis] if p is not None]


def sink_counts(path: Path) -> dict[str, int]:
    """Messages and distinct Message-IDs the SMTP server has received so far."""
    time.sleep(0.5)  # it rewrites the file every 0.2 s
    return json.loads(path.read_text())


def received_between(before: dict, after: dict) -> tuple[int, int]:
    """(messages, distinct Message-IDs) received between two readings."""
    messages = after["messages"] - before["messages"]
    return messages, after["message_ids"] - before["message_ids"]


class Load:
    """`threads` HTTP clients POSTing to gunicorn, together `rate` notices a second in
    requests of `per_request`; counts the notices the server acknowledged."""

    def __init__(self, port: int, *, rate: float, threads: int = 4, per_request: int = 5):
        import threading

        self.port, self.rate, self.per_request = port, rate, per_request
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged, self.errors, self.durations = 0, 0, []
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(threads)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def client(self) -> None:
        import http.client

        interval = len(self.threads) * self.per_request / self.rate
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        following = time.monotonic()
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                connection.request("POST", f"/bench/notices/?n={self.per_request}")
                response = connection.getresponse()
                body = response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                ok, body = False, b""
            with self.lock:
                self.durations.append(time.monotonic() - started)
                if ok:
                    self.acknowledged += json.loads(body)["written"]
                else:
                    self.errors += 1
            following += interval
            self.stop.wait(max(0.0, following - time.monotonic()))


def outage_phase(seconds: int, *, services: Services, web_port: int, rate: float, sink) -> dict:
    """Notices written through gunicorn by HTTP clients at `rate` a second, before, while
    and after Redis is stopped for `seconds`; beat's sweep emulated every 10 s. Timed from
    Redis back until every e-mail written before that is sent. Lost: notices the server
    acknowledged whose e-mail never reached the SMTP server."""
    from django.utils import timezone

    from notifications.models import Delivery
    from notifications.tasks import sweep

    before = sink_counts(sink)
    first_id = (Delivery.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0
    load = Load(web_port, rate=rate)
    load.start()
    last_sweep = time.monotonic()

    def tick() -> None:
        nonlocal last_sweep
        services.check()
        if time.monotonic() - last_sweep >= 10:
            sweep()
            last_sweep = time.monotonic()
        time.sleep(0.1)

    warm = time.monotonic()
    while time.monotonic() - warm < 10:
        tick()
    services.redis.terminate()
    services.redis.wait(timeout=10)
    services.redis = None
    down = time.monotonic()
    while time.monotonic() - down < seconds:
        tick()
    services.redis = services.start_redis()
    back, back_at = time.monotonic(), timezone.now()
    after_return = None
    backlog = Delivery.objects.filter(pk__gt=first_id, created_at__lte=back_at)
    progress: dict[int, int] = {}  # seconds after Redis returned → e-mails of before unsent
    while time.monotonic() - back < 600:
        second = int(time.monotonic() - back)
        if second % 5 == 0 and second not in progress and after_return is None:
            progress[second] = backlog.exclude(status=Delivery.Status.SENT).count()
        if after_return is None and not backlog.exclude(status=Delivery.Status.SENT).exists():
            after_return = time.monotonic() - back
        if time.monotonic() - back >= 15 and not load.stop.is_set():
            load.finish()  # the clients go on 15 s after Redis returns
        if load.stop.is_set() and after_return is not None:
            rest = Delivery.objects.filter(pk__gt=first_id).exclude(status=Delivery.Status.SENT)
            if not rest.exists():
                break
        tick()
    load.finish()
    messages, ids = received_between(before, sink_counts(sink))
    durations = sorted(load.durations)
    return {
        "redis_down_seconds": seconds,
        "notices_per_second_asked": rate,
        "notices_acknowledged": load.acknowledged,
        "written_before_redis_returned": backlog.count(),
        "http_errors": load.errors,
        "requests": len(durations),
        "request_seconds_p99": round(durations[int(len(durations) * 0.99) - 1], 3)
        if durations
        else None,
        "request_seconds_max": round(durations[-1], 3) if durations else None,
        "seconds_until_all_sent_after_redis_returned": (
            round(after_return, 1) if after_return is not None else None
        ),
        "unsent_of_the_backlog_by_seconds_after_return": progress,
        "not_sent": Delivery.objects.filter(pk__gt=first_id)
        .exclude(status=Delivery.Status.SENT)
        .count(),
        "lost": load.acknowledged - ids,
        "duplicates": messages - ids,
        "worker_restarts": services.worker_restarts,
    }


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


class AnswerProbe:
    """Times the SMTP server's answer to a message's final dot, from a connection of the
    bench's own, every `every` seconds while the load runs: the instant in which a
    sending process that dies leaves an accepted message it could not mark (the
    server's part of it; the worker's own part, from reading the reply to the UPDATE on
    the wire, is a few tens of microseconds)."""

    def __init__(self, port: int, every: float = 0.1) -> None:
        # Ten a second: at fifty it added a third to the steady load of the server it
        # measures, and lengthened the very instants the kills sample.
        import threading

        self.port, self.every = port, every
        self.answers: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self) -> AnswerProbe:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def run(self) -> None:
        import smtplib

        smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=30)
        smtp.ehlo()
        number = 0
        while not self.stop.wait(self.every):
            number += 1
            smtp.mail("probe@example.org")
            smtp.rcpt("probe@example.org")
            smtp.docmd("data")
            data = f"Message-ID: <probe-{number}@bench>\r\nSubject: probe\r\n\r\nx\r\n.\r\n"
            started = time.monotonic()
            smtp.send(data.encode())  # one write, as the worker does (no Nagle wait)
            code, _reply = smtp.getreply()
            if code == 250:
                self.answers.append(time.monotonic() - started)
        smtp.quit()

    def figures(self) -> dict:
        answers = sorted(self.answers)
        if not answers:
            return {}
        return {
            "probes": len(answers),
            "mean_ms": round(statistics.mean(answers) * 1e3, 3),
            "p50_ms": round(answers[len(answers) // 2] * 1e3, 3),
            "p95_ms": round(answers[int(len(answers) * 0.95)] * 1e3, 3),
        }


def child_alive(pid: int, parent: int) -> bool:
    """`pid` is still a running (not dead, not yet reaped) child of `parent`."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X") and int(fields[1]) == parent


def kill_one(rng, services: Services) -> float | None:
    """SIGKILL a random pool process after a random pause of 0.2–0.8 s; when it died, or
    None if there was none to kill. The victim is chosen before the pause and killed right
    after it: scanning /proc at the moment of the kill took CPU from the senders exactly
    then, and lengthened the instants it is meant to sample."""
    import signal

    children = children_of(services.worker.pid)
    victim = rng.choice(children) if children else None
    time.sleep(rng.uniform(0.2, 0.8))
    if victim is None or not child_alive(victim, services.worker.pid):
        return None
    try:
        os.kill(victim, signal.SIGKILL)
    except ProcessLookupError:
        return None
    return time.monotonic()


def kill_phase(kills: int, *, make_backlog, services: Services, sink, smtp_port: int) -> dict:
    """SIGKILL a busy pool process `kills` times at random moments while a backlog drains
    (Celery replaces it; the task is redelivered); then count what was lost and doubled.
    Every delivery has its own Message-ID, so copies of one message share theirs:
    duplicates are messages received beyond the distinct Message-IDs. Each duplicate's
    first copy is set beside the nearest kill: arriving after the kill means the worker
    had written the whole message before it died and the server took it afterwards."""
    import random

    from notifications.models import Delivery
    from notifications.tasks import sweep

    rng = random.Random(94)
    before = sink_counts(sink)
    total, done = 0, 0
    kill_times: list[float] = []
    draining = 0.0
    started = time.monotonic()
    with AnswerProbe(smtp_port) as probe:
        while done < kills:
            make_backlog(1500)
            total += 1500
            sweep()
            drain_started = time.monotonic()
            while done < kills and Delivery.objects.exclude(status=Delivery.Status.SENT).exists():
                services.check()
                killed_at = kill_one(rng, services)
                if killed_at is not None:
                    kill_times.append(killed_at)
                    done += 1
            while Delivery.objects.exclude(status=Delivery.Status.SENT).exists():
                time.sleep(0.05)
                if time.monotonic() - drain_started > 120:
                    break
            draining += time.monotonic() - drain_started
    deadline = time.monotonic() + 300
    while Delivery.objects.exclude(status=Delivery.Status.SENT).exists():
        services.check()
        if time.monotonic() > deadline:
            break
        sweep()
        time.sleep(1)
    after = sink_counts(sink)
    messages, ids = received_between(before, after)
    rate = total / draining if draining else 0.0
    return {
        "kills": done,
        "deliveries": total,
        "seconds": round(time.monotonic() - started, 1),
        "not_sent": Delivery.objects.exclude(status=Delivery.Status.SENT).count(),
        "lost": total - ids,
        "duplicates": messages - ids,
        "emails_per_second_while_sending": round(rate, 1),
        **beside_kills(before, after, kill_times, probe, rate),
    }


def beside_kills(before: dict, after: dict, kill_times: list[float], probe, rate: float) -> dict:
    """Each new duplicate's first copy beside the nearest kill (ms; ≥ 0: it reached the
    server after the process that wrote it had died), the server's answer time, and the
    duplicates that answer time predicts: by Little's law a process sending r messages a
    second with T seconds from final dot to mark has r × T messages in that instant, so
    each kill finds about that many."""
    offsets = []
    for message_id, arrivals in after["doubled"].items():
        if message_id in before["doubled"] or not kill_times:
            continue
        nearest = min(kill_times, key=lambda k: abs(arrivals[0] - k))
        offsets.append(round((arrivals[0] - nearest) * 1e3, 2))
    answer = probe.figures()
    return {
        "duplicate_first_copy_ms_from_kill": sorted(offsets),
        "duplicates_arrived_after_the_kill": sum(1 for o in offsets if o >= 0),
        "server_answer_to_final_dot": answer,
        # A process sends about half of the rate (concurrency 2).
        "expected_duplicates_from_answer_time": round(
            len(kill_times) * rate / 2 * answer.get("mean_ms", 0) / 1e3, 1
        ),
    }


def steady_kill_phase(
    kills: int, *, services: Services, web_port: int, rate: float, sink, smtp_port: int
) -> dict:
    """The kills under the steady load of HTTP clients writing `rate` notices a second
    through gunicorn (no backlog: each e-mail goes out as its notice is written), beat's
    sweep every 10 s; then every notice acknowledged is waited for and counted."""
    import random

    from notifications.models import Delivery
    from notifications.tasks import sweep

    rng = random.Random(1047)
    before = sink_counts(sink)
    first_id = (Delivery.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0
    load = Load(web_port, rate=rate)
    load.start()
    time.sleep(5)
    done, kill_times = 0, []
    started = last_sweep = time.monotonic()
    with AnswerProbe(smtp_port) as probe:
        while done < kills:
            services.check()
            if time.monotonic() - last_sweep >= 10:
                sweep()
                last_sweep = time.monotonic()
            killed_at = kill_one(rng, services)
            if killed_at is not None:
                kill_times.append(killed_at)
                done += 1
        load.finish()
        killing = time.monotonic() - started
    mine = Delivery.objects.filter(pk__gt=first_id)
    deadline = time.monotonic() + 300
    while mine.exclude(status=Delivery.Status.SENT).exists() and time.monotonic() < deadline:
        services.check()
        sweep()
        time.sleep(1)
    after = sink_counts(sink)
    messages, ids = received_between(before, after)
    return {
        "kills": done,
        "notices_per_second_asked": rate,
        "notices_acknowledged": load.acknowledged,
        "http_errors": load.errors,
        "seconds_killing": round(killing, 1),
        "not_sent": mine.exclude(status=Delivery.Status.SENT).count(),
        "lost": load.acknowledged - ids,
        "duplicates": messages - ids,
        **beside_kills(before, after, kill_times, probe, load.acknowledged / killing),
    }


def reminders_phase(wanted: int, *, services: Services) -> dict:
    """Schools generated as in `make bench` until `wanted` reviews are open, one due-soon
    reminder each due at this moment; deadlines_fire() creates the notices and deliveries
    and hands them to the broker. Timed, with its statement count."""
    from django.db import connection
    from django.db.models import Value
    from django.db.models.functions import Concat
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from run import Generator

    from accounts.models import User
    from documents.models import Review
    from flows.models import Deadline
    from flows.notices import deadlines_fire
    from notifications.models import Delivery, Notification

    generator = Generator(94, 200)
    number = 0
    started = time.monotonic()
    while Review.objects.filter(submitted_at__isnull=True).count() < wanted:
        number += 1
        generator.school(number)
    generation = time.monotonic() - started
    # The generated people have no address; give them one so each reminder is an e-mail.
    User.objects.filter(email="").update(email=Concat("username", Value("@example.org")))
    now = timezone.now()
    open_reviews = Review.objects.filter(submitted_at__isnull=True).values_list("pk", flat=True)
    Deadline.objects.bulk_create(
        [Deadline(review_id=pk, kind=Deadline.Kind.DUE_SOON, due_at=now) for pk in open_reviews]
    )
    notes_before = Notification.objects.count()
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        fired = deadlines_fire()
    elapsed = time.monotonic() - started
    due = Delivery.objects.filter(notification__kind="task_due_soon")
    while due.exclude(status=Delivery.Status.SENT).exists() and time.monotonic() - started < 600:
        services.check()
        time.sleep(0.2)
    out = time.monotonic() - started
    return {
        "schools": number,
        "generation_seconds": round(generation, 1),
        "reminders_fired": fired,
        "notifications": Notification.objects.count() - notes_before,
        "deliveries": Delivery.objects.filter(notification__kind="task_due_soon").count(),
        "seconds_to_create_and_enqueue": round(elapsed, 2),
        "statements": len(queries),
        "seconds_until_all_sent": round(out, 1),
        "not_sent": due.exclude(status=Delivery.Status.SENT).count(),
    }


PHASES = ("throughput", "outage", "kills", "steady-kills", "reminders")


def targets(result: dict) -> list[tuple[str, bool]]:
    """Each target of the issue this run measured, met or not."""
    checks = []
    if "throughput" in result:
        t = result["throughput"]
        checks.append(
            (
                f"e-mails/s ≥ 300 (median {t['median_emails_per_second']})",
                t["median_emails_per_second"] >= 300,
            )
        )
        checks.append((f"e-mails/s ≥ 0.5 × no-op tasks/s (ratio {t['ratio']})", t["ratio"] >= 0.5))
    if "outage" in result:
        o = result["outage"]
        after = o["seconds_until_all_sent_after_redis_returned"]
        checks.append(
            (
                f"outage: 0 lost ({o['lost']}, {o['not_sent']} not sent)",
                o["lost"] == 0 and o["not_sent"] == 0,
            )
        )
        checks.append(
            (
                f"outage: all out ≤ 60 s after Redis returned ({after} s)",
                after is not None and after <= 60,
            )
        )
        checks.append((f"outage: no failed request ({o['http_errors']})", o["http_errors"] == 0))
    for key, label in (("kills", "kills"), ("steady_kills", "kills under steady load")):
        if key not in result:
            continue
        k = result[key]
        checks.append(
            (
                f"{label}: 0 lost ({k['lost']}, {k['not_sent']} not sent)",
                k["lost"] == 0 and k["not_sent"] == 0,
            )
        )
        checks.append(
            (
                f"{label}: ≤ 1 duplicate in 30 kills ({k['duplicates']} in {k['kills']})",
                k["duplicates"] <= max(1, k["kills"] // 30),
            )
        )
    if "reminders" in result:
        r = result["reminders"]
        checks.append(
            (
                f"reminders: {r['reminders_fired']} out within 60 s "
                f"({r['seconds_until_all_sent']} s)",
                r["not_sent"] == 0 and r["seconds_until_all_sent"] <= 60,
            )
        )
    return checks


def main() -> None:
    args = parse_args()
    phases = args.only or list(PHASES)
    from run import recreate_database

    recreate_database(args.database_url)
    tmp = Path(tempfile.mkdtemp(prefix="bench-notif-"))
    import socket

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    redis_port, web_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    sink_out = tmp / "sink.json"
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(sink_out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    smtp_port = int(sink.stdout.readline())
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-notifications-only",
            "DJANGO_SECURE_SSL": "0",
            "DJANGO_STATIC_MANIFEST": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "0",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import School, User
    from notifications.models import Delivery, Kind, Notification
    from notifications.tasks import sweep
    from project.celery import app

    def start_redis() -> subprocess.Popen:
        return subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp),
            ],
            stdout=subprocess.DEVNULL,
        )

    def start_worker() -> subprocess.Popen:
        with (tmp / "worker.log").open("ab") as log:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "project",
                    "worker",
                    "--concurrency=2",
                    "--loglevel=WARNING",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    services = Services(start_redis, start_worker)
    services.others.append(sink)
    if "outage" in phases or "steady-kills" in phases:
        with (tmp / "gunicorn.log").open("ab") as log:
            services.others.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "project.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{web_port}",
                        "--workers",
                        "3",
                        "--timeout",
                        "60",
                    ],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.notifications_settings"},
                )
            )
    broker = redis.Redis(port=redis_port)

    def wait(condition, timeout: float, what: str, step: float = 0.05) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            services.check()
            if time.monotonic() > deadline:
                sys.exit(f"bench: {what} not within {timeout} s")
            time.sleep(step)

    result: dict = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "batch_size": settings.NOTIFICATIONS_BATCH_SIZE,
        "send_threads": settings.NOTIFICATIONS_SEND_THREADS,
    }
    try:
        school = School.objects.create(name="Bench school ңөү")
        users = User.objects.bulk_create(
            [
                User(
                    username=f"bench{i}",
                    email=f"bench{i}@example.org",
                    school=school,
                    language=("ky", "ru")[i % 2],
                    first_name="Айгүл",
                    last_name=f"Бенч{i}",
                )
                for i in range(500)
            ]
        )

        def make_backlog(n: int) -> None:
            now = timezone.now()
            notes = Notification.objects.bulk_create(
                [
                    Notification(
                        recipient=users[i % len(users)],
                        school=school,
                        kind=Kind.PROTOCOL_CONFIRMED,
                        url="/council/",
                        params={"number": i, "date": "01.09.2026"},
                    )
                    for i in range(n)
                ]
            )
            Delivery.objects.bulk_create(
                [
                    Delivery(
                        notification=note,
                        recipient_id=note.recipient_id,
                        channel=Delivery.Channel.EMAIL,
                        next_attempt_at=now,
                    )
                    for note in notes
                ]
            )

        def email_round(n: int) -> float:
            make_backlog(n)
            started = time.monotonic()
            sweep()
            wait(
                lambda: not Delivery.objects.exclude(status=Delivery.Status.SENT).exists(),
                600,
                "the e-mails are sent",
            )
            return time.monotonic() - started

        def noop_round(n: int) -> float:
            queue = app.conf.task_default_queue
            started = time.monotonic()
            with app.producer_or_acquire() as producer:
                for _ in range(n):
                    app.send_task("celery.accumulate", args=[1], producer=producer)
            # Empty queue: at most the two prefetched tasks are still running (ms).
            wait(lambda: broker.llen(queue) == 0, 600, "the no-ops are done", 0.02)
            return time.monotonic() - started

        wait(lambda: broker.ping(), 30, "redis answers")
        # Warm both: the worker's processes, connections and templates.
        email_round(100)
        noop_round(200)
        if "throughput" in phases:
            before = sink_counts(sink_out)
            emails, noops = [], []
            for _ in range(args.rounds):
                emails.append(args.emails / email_round(args.emails))
                noops.append(args.emails / noop_round(args.emails))
            messages, ids = received_between(before, sink_counts(sink_out))
            email_rate, noop_rate = statistics.median(emails), statistics.median(noops)
            result["throughput"] = {
                "emails_per_round": args.emails,
                "rounds": args.rounds,
                "emails_per_second": [round(r, 1) for r in emails],
                "noop_tasks_per_second": [round(r, 1) for r in noops],
                "median_emails_per_second": round(email_rate, 1),
                "median_noop_tasks_per_second": round(noop_rate, 1),
                "ratio": round(email_rate / noop_rate, 3),
                "smtp_messages": messages,
                "smtp_distinct_message_ids": ids,
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        if "outage" in phases:
            wait(web_answers(web_port), 60, "gunicorn answers")
            result["outage"] = outage_phase(
                args.outage, services=services, web_port=web_port, rate=args.rate, sink=sink_out
            )
            result["outage"]["load_average"] = [round(x, 2) for x in os.getloadavg()]
        if "kills" in phases:
            result["kills"] = kill_phase(
                args.kills,
                make_backlog=make_backlog,
                services=services,
                sink=sink_out,
                smtp_port=smtp_port,
            )
            result["kills"]["load_average"] = [round(x, 2) for x in os.getloadavg()]
        if "steady-kills" in phases:
            wait(web_answers(web_port), 60, "gunicorn answers")
            result["steady_kills"] = steady_kill_phase(
                args.kills,
                services=services,
                web_port=web_port,
                rate=args.rate,
                sink=sink_out,
                smtp_port=smtp_port,
            )
            result["steady_kills"]["load_average"] = [round(x, 2) for x in os.getloadavg()]
        if "reminders" in phases:
            result["reminders"] = reminders_phase(args.reminders, services=services)
            result["reminders"]["load_average"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        for process in services.all():
            process.terminate()
        for process in services.all():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    checks = targets(result)
    result["targets"] = dict(checks)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    for what, met in checks:
        print(f"{'target met' if met else 'NOT met   '}  {what}")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"notifications-{stamp}"
    out.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    out.with_suffix(".md").write_text(report(result, checks))
    print(f"written {out.with_suffix('.json')} and .md")


def web_answers(port: int):
    def answers() -> bool:
        import http.client

        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            return connection.getresponse().status < 500
        except OSError:
            return False

    return answers


def report(result: dict, checks: list[tuple[str, bool]]) -> str:
    lines = [
        "# Notifications bench",
        "",
        f"{result['when']}, one worker (prefork, concurrency 2) on {result['cpus']} CPUs, "
        f"batches of {result['batch_size']}, {result['send_threads']} threads per task.",
        "",
        "| target | |",
        "|---|---|",
        *[f"| {what} | {'met' if met else '**NOT met**'} |" for what, met in checks],
        "",
    ]
    if "throughput" in result:
        t = result["throughput"]
        lines += [
            f"Throughput, {t['emails_per_round']} e-mails and as many no-op tasks per round, "
            f"{t['rounds']} rounds interleaved, load average {t['load_average']}:",
            "",
            "| measure | per round | median |",
            "|---|---|---|",
            f"| e-mails/s | {t['emails_per_second']} | {t['median_emails_per_second']} |",
            f"| no-op tasks/s | {t['noop_tasks_per_second']} | "
            f"{t['median_noop_tasks_per_second']} |",
            f"| ratio | | {t['ratio']} |",
            "",
            f"SMTP server received {t['smtp_messages']} messages with "
            f"{t['smtp_distinct_message_ids']} distinct Message-IDs.",
            "",
        ]
    titles = {
        "outage": "Redis stopped while HTTP clients write notices through gunicorn",
        "kills": "Random SIGKILLs of pool processes while a backlog drains",
        "steady_kills": "Random SIGKILLs of pool processes under steady HTTP load",
        "reminders": "Review reminders due at one moment",
    }
    for key, title in titles.items():
        if key in result:
            lines += [f"{title}:", "", "```", json.dumps(result[key], indent=2), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
