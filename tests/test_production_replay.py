"""The documented production path, replayed without Docker.

The Dockerfile's build: requirements.txt into a clean virtualenv (Python of the image's
FROM), `COPY . .` with .dockerignore, and its python/pip steps as written — collectstatic
with the manifest storage among them. Then docker-compose.yml's web, worker and beat, each
started from its `command` as written, with the compose environment (.env from
.env.example, as the README says) pointed at a PostgreSQL database of its own (name with
`prod`), a throwaway redis-server and an SMTP server on loopback; DEBUG off, HTTPS behind a
proxy (this client plays the proxy: `X-Forwarded-Proto: https`).

pip's download cache is kept (the image sets PIP_NO_CACHE_DIR to keep its layers small; a
replay that downloads every wheel each time would only be slower)."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from documents.samples import sample_pdf
from tests.project import images
from tests.project.support import (
    ROOT,
    Browser,
    Service,
    free_port,
    submit_document,
    wait_for,
)

# The first of .env.example's DJANGO_ALLOWED_HOSTS, as the proxy would send it.
HOST = images.env_file(ROOT / ".env.example")["DJANGO_ALLOWED_HOSTS"].split(",")[0]
DEMO_PASSWORD = "demo-council-94"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[str]:
        found = []
        for recipients, content in list(self.messages):
            if address in recipients:
                message = email.message_from_bytes(content, policy=email.policy.default)
                body = message.get_body(preferencelist=("plain",)).get_content()
                found.append(f"{message['Subject']}\n{body}")
        return found


@dataclass
class Deployment:
    app: Path
    env: dict[str, str]
    database: str
    port: int
    mailbox: Mailbox
    services: dict[str, Service] = field(default_factory=dict)
    build_log: str = ""

    def browser(self) -> Browser:
        # What the TLS proxy in front of gunicorn adds.
        return Browser(
            f"http://127.0.0.1:{self.port}",
            headers={"Host": HOST, "X-Forwarded-Proto": "https"},
        )

    def query(self, sql: str, *params: object) -> list[tuple]:
        with psycopg.connect(**self.connection_kwargs(self.database), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    @staticmethod
    def connection_kwargs(dbname: str) -> dict:
        db = settings.DATABASES["default"]
        return {
            "dbname": dbname,
            "user": db["USER"],
            "password": db["PASSWORD"],
            "host": db["HOST"] or "127.0.0.1",
            "port": db["PORT"] or 5432,
        }

    def run(self, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            argv, cwd=self.app, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def start(self, name: str, argv: list[str]) -> Service:
        service = Service(name, argv, env=self.env, cwd=self.app, log=self.app / f"{name}.log")
        self.services[name] = service
        return service

    def local(self, argv: list[str]) -> list[str]:
        """The container's port 8000 is a free port on this machine's loopback."""
        return [
            part.replace("0.0.0.0:8000", f"127.0.0.1:{self.port}").replace(
                "127.0.0.1:8000", f"127.0.0.1:{self.port}"
            )
            for part in argv
        ]

    def healthcheck(self, name: str) -> subprocess.CompletedProcess:
        argv = self.local(images.healthcheck(images.compose()["services"][name]))
        return self.run(argv, timeout=60)

    def healthy(self, name: str) -> bool:
        if not self.services[name].running():
            pytest.fail(f"{name} exited\n{self.logs()}")
        return self.healthcheck(name).returncode == 0

    def logs(self) -> str:
        return "\n".join(s.output() for s in self.services.values())


def _database_name() -> str:
    base = os.environ.get("DJANGO_TEST_DB_NAME") or "test_council"
    return f"{base}_prod_replay"


def _recreate_database(name: str) -> None:
    kwargs = Deployment.connection_kwargs("postgres")
    with psycopg.connect(**kwargs, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(name: str) -> None:
    with psycopg.connect(**Deployment.connection_kwargs("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("replay")
    instructions = images.dockerfile()
    python = shutil.which(f"python{images.python_version(instructions)}")
    assert python, f"the image's Python ({images.python_version(instructions)}) is not here"

    # The build.
    app = images.copy_context(base / "app")
    venv = base / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=120)
    build_env = {
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        **images.image_env(instructions),
    }
    build_env.pop("PIP_NO_CACHE_DIR", None)
    build_log = []
    for step in images.build_steps(instructions):
        assignments = dict(w.split("=", 1) for w in step if images.ASSIGNMENT.match(w))
        argv = [w for w in step if not images.ASSIGNMENT.match(w)]
        started = time.monotonic()
        result = subprocess.run(
            argv,
            cwd=app,
            env={**build_env, **assignments},
            capture_output=True,
            text=True,
            timeout=600,
        )
        build_log.append(f"{' '.join(step)}: {time.monotonic() - started:.0f} s")
        assert result.returncode == 0, (
            f"{' '.join(step)}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        )

    # The servers compose would start.
    database = _database_name()
    _recreate_database(database)
    redis_port = free_port()
    redis = Service(
        "redis",
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        env={"PATH": os.environ["PATH"]},
        log=base / "redis.log",
        cwd=base,
    )
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()

    # The compose environment: .env (from .env.example), the x-app environment, the image's
    # ENV; then only the addresses of this machine's servers.
    definition = images.compose()
    web = definition["services"]["web"]
    db = Deployment.connection_kwargs(database)
    env = {
        "PATH": build_env["PATH"],
        "HOME": build_env["HOME"],
        "LANG": "C.UTF-8",
        **images.image_env(instructions),
        **images.env_file(ROOT / ".env.example"),
        **{k: str(v) for k, v in web["environment"].items()},
        "DATABASE_URL": (
            f"postgres://{db['user']}:{db['password']}@{db['host']}:{db['port']}/{database}"
        ),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "MEDIA_ROOT": str(base / "media"),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "0",
    }
    assert env.get("DJANGO_DEBUG", "0") in {"", "0"}
    port = free_port()
    deployment = Deployment(app, env, database, port, mailbox, build_log="\n".join(build_log))
    deployment.services["redis"] = redis
    try:
        wait_for(
            lambda: (
                deployment.run(["redis-cli", "-p", str(redis_port), "ping"]).stdout.strip()
                == "PONG"
            ),
            "redis-server answers",
            timeout=20,
        )
        for name in ("web", "worker", "beat"):
            service = definition["services"][name]
            # depends_on: {web: {condition: service_healthy}} waits for web's healthcheck.
            for dependency, rule in service["depends_on"].items():
                if dependency in deployment.services and rule["condition"] == "service_healthy":
                    wait_for(
                        lambda d=dependency: deployment.healthy(d),
                        f"{dependency} is healthy before {name} starts",
                        timeout=180,
                        explain=deployment.logs,
                        every=1,
                    )
            deployment.start(name, deployment.local(images.command(service)))
        wait_for(
            lambda: _serves(deployment),
            "gunicorn serves the login page",
            timeout=180,
            explain=deployment.logs,
            every=0.5,
        )
        yield deployment
    finally:
        for service in reversed(list(deployment.services.values())):
            service.stop()
        smtp.stop()
        _drop_database(database)


def _serves(deployment: Deployment) -> bool:
    for name, service in deployment.services.items():
        if not service.running():
            pytest.fail(f"{name} exited\n{deployment.logs()}")
    try:
        return deployment.browser().get("/login/").status == 200
    except OSError:
        return False


def test_the_build_collected_hashed_static_files(deployment):
    manifest = json.loads((deployment.app / "staticfiles" / "staticfiles.json").read_text())
    assert "css/app.css" in manifest["paths"]
    assert not any(path.startswith("viewflow/") for path in manifest["paths"])
    print(deployment.build_log)


def test_the_login_page_and_a_hashed_static_file_load_through_gunicorn(deployment):
    browser = deployment.browser()
    page = browser.get("/login/")
    assert page.status == 200
    assert "Кирүү" in page.text or "Илимий-методикалык кеңеш" in page.text
    assert page.header("Strict-Transport-Security").startswith("max-age=")
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the login page links the hashed stylesheet"
    response = browser.get(stylesheet.group(1))
    assert response.status == 200
    assert response.header("Content-Type").startswith("text/css")
    assert "immutable" in response.header("Cache-Control")
    assert response.body == (deployment.app / "static" / "css" / "app.css").read_bytes()
    # DEBUG is off: a missing page is the project's 404, not Django's debug page.
    missing = browser.get("/no-such-page/")
    assert missing.status == 404
    assert "URLconf" not in missing.text and "Traceback" not in missing.text
    # Plain HTTP without the proxy is sent to HTTPS.
    plain = Browser(f"http://127.0.0.1:{deployment.port}", headers={"Host": HOST}).get("/login/")
    assert plain.status == 301
    assert plain.header("Location") == f"https://{HOST}/login/"


def test_a_notification_email_reaches_smtp_through_the_worker(deployment):
    result = deployment.run(["python", "manage.py", "load_demo"], timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    teacher = deployment.browser()
    teacher.log_in("teacher", DEMO_PASSWORD)
    response = submit_document(teacher, "Replay-probe program", sample_pdf("replay probe"))
    assert response.status == 302, response.text[:2000]
    assert urlsplit(response.header("Location")).path.startswith("/documents/")
    wait_for(
        lambda: any(
            "«Replay-probe program»" in m for m in deployment.mailbox.to("chair@school94.example")
        ),
        "the chair's e-mail at the SMTP server",
        timeout=90,
        explain=deployment.logs,
    )
    rows = deployment.query(
        "SELECT d.status FROM notifications_delivery d JOIN accounts_user u "
        "ON u.id = d.recipient_id WHERE u.username = 'chair' ORDER BY d.id DESC LIMIT 1"
    )
    assert rows == [("sent",)]


def test_beat_schedules_a_job_and_the_worker_runs_it(deployment):
    # An interval job's first run is one interval after beat starts.
    wait_for(
        lambda: (
            deployment.query(
                "SELECT count(*) FROM django_celery_beat_periodictask "
                "WHERE name = 'notifications-sweep' AND last_run_at IS NOT NULL"
            )
            == [(1,)]
        ),
        "beat sends notifications-sweep",
        timeout=150,
        explain=deployment.logs,
        every=1,
    )
    wait_for(
        lambda: (
            "notifications.tasks.sweep" in deployment.services["worker"].output()
            and "succeeded" in deployment.services["worker"].output()
        ),
        "the worker runs the sweep",
        timeout=60,
        explain=deployment.logs,
    )


def test_health_is_ok_and_every_compose_healthcheck_passes(deployment):
    browser = deployment.browser()
    wait_for(
        lambda: browser.get("/health/").status == 200,
        "/health/ answers 200",
        timeout=60,
        explain=lambda: browser.get("/health/").text + deployment.logs(),
    )
    body = json.loads(browser.get("/health/").body)
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "worker": "ok", "beat": "ok"},
    }
    for name in ("web", "worker", "beat"):
        result = deployment.healthcheck(name)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_health_fails_when_the_worker_stops(deployment):
    deployment.services["worker"].stop()
    browser = deployment.browser()
    response = browser.get("/health/")
    assert response.status == 503
    body = json.loads(response.body)
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "failing", "beat": "ok"}
    result = deployment.healthcheck("worker")
    assert result.returncode != 0
    assert "worker: FAILING" in result.stdout
    assert deployment.healthcheck("web").returncode == 0  # the web app itself is fine
