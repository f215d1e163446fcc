"""E-mail throughput of one Celery worker (prefork, concurrency 2, as in docker-compose),
against Celery's own no-op rate on the same broker, measured in the same run.

    make bench-notifications                 # 3,000 e-mails, 3,000 no-op tasks, 2 rounds
    .venv/bin/python bench/notifications.py --emails 6000 --rounds 3

It starts a throwaway redis-server, an SMTP server on loopback (bench/smtp_sink.py, a
process of its own) and the worker, in a PostgreSQL database of its own (dropped and
recreated; the name must contain "bench"). E-mails: N pending deliveries, as after an
outage, handed to the broker by the real sweep (batches of NOTIFICATIONS_BATCH_SIZE),
timed until the last row is marked sent. No-ops: N `celery.accumulate` tasks, timed until
the queue is empty and the worker idle. Rounds interleave the two. Prints both rates and
the ratio, with the load average, and writes bench/results/notifications-<timestamp>.json
(and .md).
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
    parser.add_argument("--emails", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--outage", type=int, default=60, help="seconds Redis is down (0: skip)")
    parser.add_argument("--kills", type=int, default=30, help="random worker kills (0: skip)")
    parser.add_argument(
        "--reminders", type=int, default=6000, help="review reminders due at once (0: skip)"
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_NOTIFICATIONS_DATABASE_URL", DEFAULT_URL)
    )
    return parser.parse_args()


WATCHED: list[subprocess.Popen] = []  # redis-server, the SMTP server, the worker


def wait(condition, timeout: float, what: str, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        dead = [p.args[0] for p in WATCHED if p.poll() is not None]
        if dead:
            sys.exit(f"bench: {dead} exited while waiting for: {what}")
        if time.monotonic() > deadline:
            sys.exit(f"bench: {what} not within {timeout} s")
        time.sleep(step)


def outage_phase(seconds: int, *, users, stop: subprocess.Popen, start) -> dict:
    """Redis stopped for `seconds` while notices are written through `notify` (their
    publishes fail: this process is the web process); then Redis returns. Timed until the
    last e-mail is sent, with beat's sweep emulated every 10 s."""
    from django.db import transaction

    from notifications.models import Delivery, Kind
    from notifications.services import notify
    from notifications.tasks import sweep

    WATCHED.remove(stop)
    stop.terminate()
    stop.wait(timeout=10)
    down = time.monotonic()
    written = 0
    while time.monotonic() - down < seconds:
        if written < 3000:
            with transaction.atomic():
                for user in users[:100]:
                    notify(
                        recipient=user,
                        kind=Kind.PROTOCOL_CONFIRMED,
                        params={"number": written, "date": "01.09.2026"},
                        url="/council/",
                    )
            written += 100
        else:
            time.sleep(0.5)
    start()
    back = time.monotonic()
    last_sweep = back
    while Delivery.objects.exclude(status=Delivery.Status.SENT).exists():
        wait(lambda: True, 0, "the outage's backlog")  # fails if a server died
        if time.monotonic() - back > 600:
            break
        if time.monotonic() - last_sweep >= 10:
            sweep()
            last_sweep = time.monotonic()
        time.sleep(0.1)
    return {
        "down_seconds": seconds,
        "written_while_down": written,
        "seconds_until_all_sent_after_redis_returned": round(time.monotonic() - back, 1),
        "not_sent": Delivery.objects.exclude(status=Delivery.Status.SENT).count(),
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


def kill_phase(kills: int, *, email_round_start, worker: subprocess.Popen) -> dict:
    """SIGKILL a busy pool process `kills` times at random moments while a backlog drains
    (Celery replaces it; the task is redelivered); then count what was lost and doubled.
    Duplicates are read from the SMTP server's Message-IDs at the end of the run."""
    import random
    import signal

    from notifications.models import Delivery
    from notifications.tasks import sweep

    if not kills:
        return {}
    rng = random.Random(94)
    total, done = 0, 0
    started = time.monotonic()
    while done < kills:
        email_round_start(1500)
        total += 1500
        sweep()
        while done < kills and Delivery.objects.exclude(status=Delivery.Status.SENT).exists():
            wait(lambda: True, 0, "the kills")  # fails if a server died
            time.sleep(rng.uniform(0.2, 0.8))
            children = children_of(worker.pid)
            if children:
                try:
                    os.kill(rng.choice(children), signal.SIGKILL)
                    done += 1
                except ProcessLookupError:
                    pass
    deadline = time.monotonic() + 300
    while Delivery.objects.exclude(status=Delivery.Status.SENT).exists():
        wait(lambda: True, 0, "the kills' backlog")
        if time.monotonic() > deadline:
            break
        sweep()
        time.sleep(1)
    return {
        "kills": done,
        "deliveries": total,
        "not_sent": Delivery.objects.exclude(status=Delivery.Status.SENT).count(),
        "seconds": round(time.monotonic() - started, 1),
    }


def reminders_phase(wanted: int) -> dict:
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
    return {
        "schools": number,
        "generation_seconds": round(generation, 1),
        "reminders_fired": fired,
        "notifications": Notification.objects.count() - notes_before,
        "deliveries": Delivery.objects.filter(notification__kind="task_due_soon").count(),
        "seconds_to_create_and_enqueue": round(elapsed, 2),
        "statements": len(queries),
    }


def main() -> None:
    args = parse_args()
    from run import recreate_database

    recreate_database(args.database_url)
    tmp = Path(tempfile.mkdtemp(prefix="bench-notif-"))
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        redis_port = sock.getsockname()[1]
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    processes: list[subprocess.Popen] = []

    def start_redis() -> subprocess.Popen:
        server = subprocess.Popen(
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
        processes.append(server)
        WATCHED[:] = [p for p in WATCHED if p.args[0] != "redis-server"] + [server]
        return server

    redis_server = start_redis()
    sink_out = tmp / "sink.json"
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(sink_out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    processes.append(sink)
    WATCHED.append(sink)
    smtp_port = int(sink.stdout.readline())

    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-notifications-only",
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

    worker_log = (tmp / "worker.log").open("wb")
    worker = subprocess.Popen(
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
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    processes.append(worker)
    WATCHED.append(worker)
    broker = redis.Redis(port=redis_port)
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
                0.05,
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

        # Warm both: the worker's processes, connections and templates.
        email_round(100)
        noop_round(200)
        emails, noops = [], []
        for _ in range(args.rounds):
            emails.append(args.emails / email_round(args.emails))
            noops.append(args.emails / noop_round(args.emails))
        load = os.getloadavg()
        outage = (
            outage_phase(args.outage, users=users, stop=redis_server, start=start_redis)
            if args.outage
            else {}
        )
        kills = kill_phase(args.kills, email_round_start=make_backlog, worker=worker)
        reminders = reminders_phase(args.reminders) if args.reminders else {}
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    received = json.loads(sink_out.read_text()) if sink_out.exists() else {}
    email_rate, noop_rate = statistics.median(emails), statistics.median(noops)
    result = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "emails_per_round": args.emails,
        "rounds": args.rounds,
        "emails_per_second": [round(r, 1) for r in emails],
        "noop_tasks_per_second": [round(r, 1) for r in noops],
        "median_emails_per_second": round(email_rate, 1),
        "median_noop_tasks_per_second": round(noop_rate, 1),
        "ratio": round(email_rate / noop_rate, 3),
        "smtp_messages": received.get("messages"),
        "smtp_distinct_message_ids": received.get("message_ids"),
        "batch_size": settings.NOTIFICATIONS_BATCH_SIZE,
        "send_threads": settings.NOTIFICATIONS_SEND_THREADS,
        "outage": outage,
        "kills": kills,
        "reminders": reminders,
        "load_average": [round(x, 2) for x in load],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"notifications-{stamp}"
    out.with_suffix(".json").write_text(json.dumps(result, indent=2))
    out.with_suffix(".md").write_text(
        "# Notifications bench\n\n"
        f"{result['when']}, one worker (prefork, concurrency 2), {args.emails} e-mails and "
        f"{args.emails} no-op tasks per round, {args.rounds} rounds interleaved, "
        f"load average {result['load_average']} on {result['cpus']} CPUs; batches of "
        f"{result['batch_size']}, {result['send_threads']} threads per task.\n\n"
        "| measure | per round | median |\n|---|---|---|\n"
        f"| e-mails/s | {result['emails_per_second']} | {result['median_emails_per_second']} |\n"
        f"| no-op tasks/s | {result['noop_tasks_per_second']} | "
        f"{result['median_noop_tasks_per_second']} |\n"
        f"| ratio | | {result['ratio']} |\n\n"
        f"SMTP server received {result['smtp_messages']} messages with "
        f"{result['smtp_distinct_message_ids']} distinct Message-IDs.\n\n"
        f"Redis stopped while notices are written, then back: {json.dumps(outage)}\n\n"
        f"Worker kills under load: {json.dumps(kills)}\n\n"
        f"Review reminders due at one moment: {json.dumps(reminders)}\n"
    )
    print(f"written {out.with_suffix('.json')} and .md")


if __name__ == "__main__":
    main()
