"""`make run`, the embedded default, as it runs: `scripts/run.sh` itself (migrate, the demo
school, a Celery worker and beat on the file-system transport, the development server) in
a folder of its own, with none of the test suite's variables.

What must hold: e-mails land as files in the outbox (`EMAIL_FILE_PATH`, which run.sh sets
and the settings read); SQLite in WAL mode with immediate write transactions lets the web
app, the worker and beat write at the same time without a single "database is locked"."""

from __future__ import annotations

import email
import email.policy
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from documents.samples import sample_pdf
from tests.project.support import Browser, Service, free_port, submit_document, wait_for

DEMO_PASSWORD = "demo-council-94"


class EmbeddedRun:
    def __init__(self, run_dir: Path, port: int, service: Service) -> None:
        self.run_dir = run_dir
        self.port = port
        self.service = service

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, sql: str, *params: object) -> list[tuple]:
        connection = sqlite3.connect(f"file:{self.run_dir / 'db.sqlite3'}?mode=ro", uri=True)
        try:
            connection.execute("PRAGMA busy_timeout = 10000")
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def outbox(self) -> list[email.message.EmailMessage]:
        """Every message the file back-end wrote (one file per connection, messages
        separated by a line of dashes)."""
        messages = []
        for path in sorted((self.run_dir / "outbox").glob("*.log")):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(
                        email.message_from_bytes(chunk.lstrip(), policy=email.policy.default)
                    )
        return messages

    def logs(self) -> str:
        parts = [self.service.output()]
        for name in ("worker", "beat"):
            log = self.run_dir / "logs" / f"{name}.log"
            if log.exists():
                parts.append(f"--- {name} ---\n{log.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)


def text_of(message: email.message.EmailMessage) -> str:
    return f"{message['Subject']}\n{message.get_body(preferencelist=('plain',)).get_content()}"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> EmbeddedRun:
    run_dir = tmp_path_factory.mktemp("run")
    port = free_port()
    # Only what a person's shell has: no DATABASE_URL, REDIS_URL or test settings.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "APP_RUN_DIR": str(run_dir),
        "PORT": str(port),
    }
    service = Service("scripts/run.sh", ["scripts/run.sh"], env=env, log=run_dir / "run.log")
    run = EmbeddedRun(run_dir, port, service)
    try:
        wait_for(
            lambda: not service.running() or _answers(run.url + "/login/"),
            "make run serves the login page",
            timeout=180,
            explain=run.logs,
            every=0.5,
        )
        assert service.running(), run.logs()
        yield run
    finally:
        service.stop()


def _answers(url: str) -> bool:
    try:
        return Browser(url).get("/login/").status == 200
    except OSError:
        return False


def test_it_runs_sqlite_in_wal_mode(embedded):
    assert embedded.query("PRAGMA journal_mode") == [("wal",)]


def test_the_worker_writes_the_emails_to_the_outbox(embedded):
    """The demo's own notices (written while loading it) and a new submission's notice to
    the chair, each as a file, each delivery marked sent."""
    teacher = Browser(embedded.url)
    teacher.log_in("teacher", DEMO_PASSWORD)
    response = submit_document(teacher, "Outbox-probe program", sample_pdf("outbox probe"))
    assert response.status == 302, response.text[:2000]

    def chair_told() -> bool:
        return any(
            "chair@school94.example" in m["To"] and "«Outbox-probe program»" in text_of(m)
            for m in embedded.outbox()
        )

    wait_for(chair_told, "the chair's e-mail in .run/outbox", timeout=90, explain=embedded.logs)

    def all_sent() -> bool:
        return embedded.query(
            "SELECT count(*) FROM notifications_delivery WHERE status != 'sent'"
        ) == [(0,)]

    wait_for(all_sent, "every delivery sent", timeout=90, explain=embedded.logs)
    (sent,) = embedded.query("SELECT count(*) FROM notifications_delivery")[0]
    assert sent > 1
    assert len(embedded.outbox()) == sent


def test_web_worker_and_beat_write_together_without_a_locked_database(embedded):
    """Four teachers submit ten documents each while the worker delivers the chair's
    notices and extracts each file's text, and beat records its jobs: every request
    succeeds."""
    statuses: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def teacher(username: str, n: int) -> None:
        browser = Browser(embedded.url)
        browser.log_in(username, DEMO_PASSWORD)
        for i in range(10):
            response = submit_document(browser, f"Load {n}-{i}", sample_pdf(f"load {n} {i}"))
            with lock:
                statuses.append(response.status)
                if response.status != 302:
                    failures.append(f"{response.status}: {response.text[:500]}")

    threads = [
        threading.Thread(target=teacher, args=(name, n))
        for n, name in enumerate(["teacher", "teacher2", "teacher", "teacher2"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == [], failures[:3]
    assert statuses == [302] * 40

    def delivered() -> bool:
        return embedded.query(
            "SELECT count(*) FROM notifications_delivery WHERE status != 'sent'"
        ) == [(0,)]

    wait_for(delivered, "every delivery sent", timeout=120, explain=embedded.logs)
    titles = {f"Load {n}-{i}" for n in range(4) for i in range(10)}
    stored = {t for (t,) in embedded.query("SELECT title FROM documents_document")}
    assert titles <= stored
    assert "database is locked" not in embedded.logs()


def test_health_sees_the_worker_and_beat_of_make_run(embedded):
    """The heartbeat goes through the file cache under .run/ (no Redis here), beat's
    freshness through SQLite; its first job is sent a minute after it starts."""
    browser = Browser(embedded.url)
    wait_for(
        lambda: browser.get("/health/").status == 200,
        "/health/ all ok under make run",
        timeout=120,
        explain=lambda: browser.get("/health/").text + embedded.logs(),
        every=1,
    )
