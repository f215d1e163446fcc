"""`make bench-national`: every page and periodic job at national scale against a small
data set, and transitions per second, in one run.

1. The two databases (bench/datasets.py): generated once, kept between runs.
2. Two servers (gunicorn, the production WSGI app with bench/settings.py), one per
   database, one worker each. Every page of every role is requested from both, interleaved
   request by request (small, national, national, small, …) after a warm-up, ≥ 30 times:
   p50 / p95 of the server time, the SQL count, the ratio national ÷ small.
3. Every periodic job the same way (each run in a rolled-back transaction, so the data set
   stays as generated), including a batch of 6,000 reminders due at one moment.
4. EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of every job and of every page
   over its target, on the national database.
5. Transitions through the real HTTP endpoints (screen → reviews → decide) with 2 and 4
   worker processes for --seconds each, and in the same run viewflow alone (start + one
   assigned task, served by viewflow's own views) and `pgbench -N -c1` as baselines.

Results: bench/results/national-<time>.json and .md (committed), with the load average.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import datasets  # noqa: E402

RATIO_TARGET = 1.3
TRANSITIONS_TARGET = 100.0


# ---------------------------------------------------------------------------------------
# HTTP


class Client:
    """One signed-in person on one server (keep-alive, cookies, CSRF)."""

    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        data = self.request("GET", f"/bench/login/{username}/")[2]
        self.csrf = json.loads(data)["csrf"]
        self.user_id = json.loads(data)["user"]

    def request(self, method: str, path: str, form: dict | None = None, headers=None):
        body = None
        path = urllib.parse.quote(path, safe="/?&=+%")
        head = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            head["Content-Type"] = "application/x-www-form-urlencoded"
            head["X-CSRFToken"] = getattr(self, "csrf", "")
            head["Referer"] = f"http://127.0.0.1:{self.port}/"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=head)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
                if attempt:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(value)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, response.headers, data


def timed(client: Client, method: str, path: str, form=None, capture=False) -> dict:
    started = time.perf_counter()
    status, headers, data = client.request(
        method, path, form, {"X-Bench-Capture": "1"} if capture else None
    )
    wall = (time.perf_counter() - started) * 1000
    if method == "POST":
        # A person reads a step's flash message on the page its redirect leads to, which
        # takes it out of the messages cookie. The bench does not fetch that page, so it
        # drops the cookie itself: kept, it grew by a message per transition, and every
        # later request decoded and re-signed all of them (ours and bare viewflow's).
        client.cookies.pop("messages", None)
    if status >= 400:
        raise RuntimeError(f"{client.username} {method} {path}: {status} {data[:300]!r}")
    return {
        "status": status,
        "ms": float(headers.get("X-Bench-Ms", wall)),
        "wall_ms": wall,
        "queries": int(headers.get("X-Bench-Queries", -1)),
        "sql_ms": float(headers.get("X-Bench-Sql-Ms", 0)),
        "location": headers.get("Location", ""),
        "body": data,
    }


# ---------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(url: str) -> dict[str, str]:
    env = datasets.django_env(url)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        # Pages only name their static files; nothing is served from them in the bench.
        DJANGO_STATIC_MANIFEST="0",
        DJANGO_SECURE_SSL="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_CONN_MAX_AGE="600",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT=str(ROOT / ".run" / "bench-media"),
    )
    return env


class Server:
    def __init__(self, url: str, workers: int) -> None:
        self.port = free_port()
        self.log = open(ROOT / ".run" / f"bench-server-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "project.wsgi:application",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(workers),
                "--timeout",
                "600",
                "--access-logfile",
                "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            ],
            cwd=ROOT,
            env=server_env(url),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server on {self.port} did not start (see {self.log.name})")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


# ---------------------------------------------------------------------------------------
# What is measured


def lookups(url: str) -> dict:
    """Ids the pages need; the same in both databases (ids are computed by the generator)."""
    import psycopg

    with psycopg.connect(url) as conn:

        def one(sql: str, *params):
            row = conn.execute(sql, params).fetchone()
            return row[0] if row else None

        return {
            "chair_task": one(
                "SELECT id FROM viewflow_task WHERE owner_id = 40 AND status = 'ASSIGNED' "
                "AND flow_task LIKE '%%.decide' ORDER BY id LIMIT 1"
            )
            or one(
                "SELECT id FROM viewflow_task WHERE owner_id = 40 AND status = 'ASSIGNED' "
                "ORDER BY id LIMIT 1"
            ),
            "document": one(
                "SELECT id FROM documents_document WHERE school_id = 1 AND stage = 'approved' "
                "ORDER BY id DESC LIMIT 1"
            ),
            "session": one(
                "SELECT s.id FROM council_session s JOIN council_council c ON c.id = s.council_id "
                "WHERE c.school_id = 1 ORDER BY s.date DESC LIMIT 1"
            ),
            "year": one("SELECT max(id) FROM accounts_academicyear"),
            "backlog_pages": (
                one(
                    "SELECT count(*) FROM viewflow_task WHERE owner_id = 80 "
                    "AND status = 'ASSIGNED' AND flow_task_type = 'HUMAN'"
                )
                + 24
            )
            // 25,
            "reminder_moment": one("SELECT value FROM bench_meta WHERE key = 'reminder_moment'"),
        }


def pages(ids: dict) -> list[tuple[str, str, str]]:
    """(name, username, path): every page of every role. School 1 is ordinary, school 2's
    chair has 429 submissions waiting."""
    year = ids["year"]
    return [
        ("inbox (chair)", "s1-chair", "/inbox/"),
        ("inbox (expert)", "s1-expert0", "/inbox/"),
        ("inbox (director)", "s1-director", "/inbox/"),
        ("inbox (chair, 429 waiting)", "s2-chair", "/inbox/"),
        (
            "inbox (chair, 429 waiting, last page)",
            "s2-chair",
            f"/inbox/?page={ids['backlog_pages']}",
        ),
        ("my documents (teacher)", "s1-teacher0", "/documents/"),
        ("document page (chair)", "s1-chair", f"/documents/{ids['document']}/"),
        ("task page (chair)", "s1-chair", f"/tasks/{ids['chair_task']}/"),
        ("notifications (expert)", "s1-expert0", "/notifications/"),
        ("notifications (chair)", "s1-chair", "/notifications/"),
        ("dashboard (chair)", "s1-chair", "/reports/"),
        ("dashboard (director)", "s1-director", "/reports/"),
        ("school documents (chair)", "s1-chair", "/documents/school/"),
        (
            "school documents, filtered",
            "s1-chair",
            f"/documents/school/?year={year}&stage=in_expertise&doc_type=lesson_plan&overdue=on",
        ),
        ("school documents, XLSX", "s1-chair", "/documents/school/?export=xlsx"),
        ("overdue (admin)", "s1-admin", "/reports/schools/1/overdue/"),
        ("search, common words", "s1-chair", "/reports/search/?q=өнүгүү+программасы"),
        ("search, rare word", "s1-chair", "/reports/search/?q=ксилофондун"),
        ("search, common, page 2", "s1-chair", "/reports/search/?q=программасы&page=2"),
        ("district comparison", "district1", "/reports/district/"),
        ("district: a school's dashboard", "district1", "/reports/schools/1/"),
        ("council overview (chair)", "s1-chair", "/council/"),
        ("council compliance (chair)", "s1-chair", "/council/compliance/"),
        ("council session (secretary)", "s1-secretary", f"/council/sessions/{ids['session']}/"),
        ("annual report (chair)", "s1-chair", "/council/report/"),
        ("home (teacher)", "s1-teacher0", "/"),
    ]


def jobs(ids: dict) -> list[tuple[str, str]]:
    moment = ids["reminder_moment"]
    digest = datetime.datetime.combine(datetime.date.today(), datetime.time(17, 5)).isoformat()
    return [
        ("council_time", "/bench/job/council_time/"),
        ("search_text_sweep", "/bench/job/search_text_sweep/"),
        ("missing_files_sweep", "/bench/job/missing_files_sweep/"),
        ("workflow_timers", "/bench/job/workflow_timers/"),
        ("notifications_sweep", "/bench/job/notifications_sweep/"),
        ("digests (17:05)", f"/bench/job/digests/?now={digest}"),
        ("reminder_batch (6,000 due at once)", f"/bench/job/reminder_batch/?now={moment}"),
    ]


def summary(samples: list[dict]) -> dict:
    times = sorted(s["ms"] for s in samples)
    p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
    queries = sorted({s["queries"] for s in samples})
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(p95, 2),
        "queries": queries[0] if len(queries) == 1 else queries,
    }


def interleaved(clients, items, requests: int, warm: int, job: bool = False) -> dict:
    """items: (name, username, path); clients[(side, username)] → Client."""
    results: dict[str, dict[str, list]] = {
        name: {"small": [], "national": []} for name, *_ in items
    }
    for i in range(warm + requests):
        order = ("small", "national") if i % 2 == 0 else ("national", "small")
        for name, username, path in items:
            for side in order:
                sample = timed(clients[(side, username)], "GET", path)
                if job:
                    payload = json.loads(sample["body"])
                    sample["ms"], sample["queries"] = payload["ms"], payload["queries"]
                    sample["result"] = payload["result"]
                sample.pop("body")
                if i >= warm:
                    results[name][side].append(sample)
        print(f"  round {i + 1}/{warm + requests}", end="\r", flush=True)
    print()
    rows = {}
    for name, sides in results.items():
        small, big = summary(sides["small"]), summary(sides["national"])
        row = {"small": small, "national": big}
        row["ratio_p95"] = round(big["p95_ms"] / small["p95_ms"], 2) if small["p95_ms"] else None
        row["ratio_p50"] = round(big["p50_ms"] / small["p50_ms"], 2) if small["p50_ms"] else None
        row["same_sql_count"] = small["queries"] == big["queries"]
        if job:
            row["result"] = {
                "small": sides["small"][-1].get("result"),
                "national": sides["national"][-1].get("result"),
            }
        rows[name] = row
    return rows


def explain(client: Client, path: str, top: int = 3) -> list[dict]:
    timed(client, "GET", path, capture=True)
    return json.loads(client.request("GET", f"/bench/explain/?top={top}")[2])["plans"]


# ---------------------------------------------------------------------------------------
# Transitions


def db_rows(url: str, sql: str, params=()):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def prepare(client: Client, school: int, count: int, flow: str = "") -> list:
    out: list = []
    while len(out) < count:
        n = min(100, count - len(out))
        extra = "&flow=bare" if flow else ""
        data = json.loads(
            client.request("GET", f"/bench/prepare/?school={school}&count={n}{extra}")[2]
        )
        out += data["tasks" if flow else "processes"]
    return out


def settle(url: str) -> dict:
    """Do what the workers would have done with the work the transition bench leaves in a
    data set: its e-mails sent, its documents' texts read. (The bench runs no worker, and
    its documents name a placeholder file, so their owed-text marks are cleared.) The
    generator writes every delivery sent and every text built; without this, a later run's
    sweeps found thousands of rows owed that no running system would still owe (work, not
    a scan: notifications sweep ×8.5, search-text sweep ×2.5 on 2026-12-01)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        sent = conn.execute(
            "UPDATE notifications_delivery SET status = 'sent', sent_at = now(), "
            "claimed_at = NULL, claimed_by = '' WHERE status IN ('pending', 'sending')"
        ).rowcount
        texts = conn.execute("DELETE FROM reports_versiontextowed").rowcount
        unread = conn.execute(
            "UPDATE documents_document SET content_unread_since = NULL "
            "WHERE content_unread_since IS NOT NULL"
        ).rowcount
        conn.execute("VACUUM ANALYZE notifications_delivery")
        conn.execute("VACUUM ANALYZE reports_versiontextowed")
        conn.execute("VACUUM ANALYZE documents_document")
    return {"deliveries_sent": sent, "texts_owed_cleared": texts, "documents_read": unread}


def run_transitions(url: str, workers: int, seconds: float, school: int) -> dict:
    """Each client thread takes a submitted document through screen (accept, two experts),
    both reviews and the decision, over HTTP, until the time is up."""
    server = Server(url, workers)
    try:
        setup = Client(server.port, f"s{school}-chair")
        needed = int(seconds * 120 / 4) + 50
        print(f"  preparing {needed} submitted documents ({workers} workers)", flush=True)
        started = time.perf_counter()
        processes = prepare(setup, school, needed)
        prepare_s = time.perf_counter() - started
        base = school * 40
        experts = [base + 4, base + 5]
        due = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
        work: queue.Queue = queue.Queue()
        for p in processes:
            work.put(p)
        samples: list[dict] = []
        lock = threading.Lock()
        stop_at = time.perf_counter() + seconds
        errors: list[str] = []

        def open_tasks(process: int) -> list[tuple[int, int, str]]:
            return db_rows(
                url,
                "SELECT id, owner_id, flow_task FROM viewflow_task WHERE process_id = %s "
                "AND status = 'ASSIGNED' ORDER BY id",
                (process,),
            )

        def worker() -> None:
            clients = {
                f"s{school}-chair": Client(server.port, f"s{school}-chair"),
                f"s{school}-expert0": Client(server.port, f"s{school}-expert0"),
                f"s{school}-expert1": Client(server.port, f"s{school}-expert1"),
            }
            by_id = {c.user_id: c for c in clients.values()}
            while time.perf_counter() < stop_at:
                try:
                    process = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    steps = []
                    (screen,) = open_tasks(process)
                    steps.append(
                        (
                            "screen",
                            by_id[screen[1]],
                            screen[0],
                            {"action": "accept", "experts": experts, "due_date": due},
                        )
                    )
                    for step, client, task, form in steps:
                        record(step, timed(client, "POST", f"/tasks/{task}/", form))
                    reviews = open_tasks(process)
                    for task, owner, _ref in reviews:
                        record(
                            "review",
                            timed(
                                by_id[owner],
                                "POST",
                                f"/tasks/{task}/",
                                {
                                    "opinion": "approve",
                                    "comment": "",
                                    "rec-TOTAL_FORMS": "1",
                                    "rec-INITIAL_FORMS": "0",
                                    "rec-MIN_NUM_FORMS": "0",
                                    "rec-MAX_NUM_FORMS": "1000",
                                    "rec-0-text": "Жакшы",
                                },
                            ),
                        )
                    (decide,) = open_tasks(process)
                    record(
                        "decide",
                        timed(
                            by_id[decide[1]],
                            "POST",
                            f"/tasks/{decide[0]}/",
                            {"decision": "recommend", "reason": ""},
                        ),
                    )
                except Exception as error:
                    errors.append(f"{process}: {error}")

        def record(step: str, sample: dict) -> None:
            sample.pop("body")
            sample["step"] = step
            sample["at"] = time.perf_counter()
            if sample["status"] != 302:
                errors.append(f"{step}: status {sample['status']}")
            with lock:
                samples.append(sample)

        threads = [threading.Thread(target=worker) for _ in range(workers * 2)]
        begin = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - begin
        done = [s for s in samples if s["at"] <= begin + seconds]
        per_step = {}
        for step in ("screen", "review", "decide"):
            mine = [s for s in samples if s["step"] == step]
            if mine:
                per_step[step] = {
                    "n": len(mine),
                    "p50_ms": round(statistics.median(s["ms"] for s in mine), 2),
                    "mean_ms": round(statistics.fmean(s["ms"] for s in mine), 2),
                    # Time waiting for PostgreSQL within the request; the rest is Python.
                    "mean_sql_ms": round(statistics.fmean(s["sql_ms"] for s in mine), 2),
                    "queries": sorted({s["queries"] for s in mine}),
                }
        return {
            "workers": workers,
            "seconds": round(min(elapsed, seconds), 1),
            "transitions": len(done),
            "per_second": round(len(done) / min(elapsed, seconds), 1),
            "mean_ms": round(statistics.fmean(s["ms"] for s in samples), 2) if samples else None,
            "mean_sql_ms": round(statistics.fmean(s["sql_ms"] for s in samples), 2)
            if samples
            else None,
            "mean_queries": round(statistics.fmean(s["queries"] for s in samples), 1)
            if samples
            else None,
            "steps": per_step,
            "prepare_s": round(prepare_s, 1),
            "errors": errors[:10],
            "error_count": len(errors),
        }
    finally:
        server.stop()


def run_bare(url: str, workers: int, seconds: float, school: int) -> dict:
    server = Server(url, workers)
    try:
        setup = Client(server.port, f"s{school}-chair")
        needed = int(seconds * 200) + 50
        print(f"  preparing {needed} bare processes", flush=True)
        tasks = prepare(setup, school, needed, flow="bare")
        work: queue.Queue = queue.Queue()
        for t in tasks:
            work.put(t)
        samples: list[dict] = []
        lock = threading.Lock()
        stop_at = time.perf_counter() + seconds

        def worker() -> None:
            client = Client(server.port, f"s{school}-chair")
            while time.perf_counter() < stop_at:
                try:
                    process, task = work.get_nowait()
                except queue.Empty:
                    return
                sample = timed(
                    client,
                    "POST",
                    f"/bench/bare/{process}/approve/{task}/execute/",
                    {"_continue": "1"},
                )
                sample.pop("body")
                sample["at"] = time.perf_counter()
                with lock:
                    samples.append(sample)

        threads = [threading.Thread(target=worker) for _ in range(workers * 2)]
        begin = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = min(time.perf_counter() - begin, seconds)
        done = [s for s in samples if s["at"] <= begin + seconds]
        ok = all(s["status"] == 302 for s in samples)
        return {
            "workers": workers,
            "seconds": round(elapsed, 1),
            "transitions": len(done),
            "per_second": round(len(done) / elapsed, 1),
            "mean_ms": round(statistics.fmean(s["ms"] for s in samples), 2),
            "mean_sql_ms": round(statistics.fmean(s["sql_ms"] for s in samples), 2),
            "queries": sorted({s["queries"] for s in samples}),
            "all_redirected": ok,
        }
    finally:
        server.stop()


def pgbench(seconds: int) -> dict:
    url = datasets.url_of("council_scale_pgbench")
    import psycopg

    admin = datasets.url_of("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'council_scale_pgbench'"
        ).fetchone()
        if not exists:
            conn.execute('CREATE DATABASE "council_scale_pgbench"')
    if not exists:
        subprocess.run(["pgbench", "-i", "-s", "10", "-q", url], check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", "-N", "-c1", "-T", str(seconds), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tps = [line for line in out.splitlines() if line.startswith("tps")]
    latency = [line for line in out.splitlines() if "latency average" in line]
    return {"tps": tps[0] if tps else out[-200:], "latency": latency[0] if latency else ""}


# ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--job-requests", type=int, default=30)
    parser.add_argument("--batch-requests", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", default="2,4")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["pages", "jobs", "batch", "transitions", "explain"],
    )
    args = parser.parse_args()
    started = time.perf_counter()
    (ROOT / ".run").mkdir(exist_ok=True)
    load_before = os.getloadavg()
    meta = {name: datasets.ensure(name) for name in ("small", "national")}
    small_url, big_url = meta["small"]["url"], meta["national"]["url"]
    ids = lookups(small_url)
    assert ids == lookups(big_url), "the measured rows differ between the data sets"
    report: dict = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_before": load_before},
        "data": {
            k: {"rows": v["rows"], "generation_s": v.get("generation_s")} for k, v in meta.items()
        },
        "targets": {
            "ratio_p95": RATIO_TARGET,
            "transitions_per_second": TRANSITIONS_TARGET,
            "per_transition_vs_bare": RATIO_TARGET,
        },
    }
    try:
        measure_all(args, report, ids, small_url, big_url, meta)
    finally:
        report["machine"]["load_after"] = os.getloadavg()
        report["bench_s"] = round(time.perf_counter() - started)
        write(report)


def measure_all(args, report: dict, ids: dict, small_url: str, big_url: str, meta: dict) -> None:
    report["settled_before"] = {"small": settle(small_url), "national": settle(big_url)}
    servers = {"small": Server(small_url, 1), "national": Server(big_url, 1)}
    try:
        page_list = pages(ids)
        people = {username for _n, username, _p in page_list} | {"s1-chair"}
        clients = {(side, u): Client(servers[side].port, u) for side in servers for u in people}
        if "pages" not in args.skip:
            print("pages", flush=True)
            report["pages"] = interleaved(clients, page_list, args.requests, args.warm)
        if "jobs" not in args.skip:
            print("periodic jobs", flush=True)
            job_list = [(n, "s1-chair", p) for n, p in jobs(ids)]
            report["jobs"] = interleaved(clients, job_list[:-1], args.job_requests, 1, job=True)
            if "batch" not in args.skip:
                report["jobs"].update(
                    interleaved(clients, job_list[-1:], args.batch_requests, 0, job=True)
                )
        if "explain" not in args.skip:
            print("explain", flush=True)
            plans = {}
            for name, username, path in page_list:
                row = report.get("pages", {}).get(name)
                if row and (row["ratio_p95"] or 0) > RATIO_TARGET:
                    plans[name] = explain(clients[("national", username)], path)
            for name, path in jobs(ids)[:-1]:
                plans[name] = explain(clients[("national", "s1-chair")], path)
            report["explain"] = plans
    finally:
        for server in servers.values():
            server.stop()
    if "transitions" not in args.skip:
        school = int(meta["national"]["schools"]) if "schools" in meta["national"] else 2393
        report["transitions"] = []
        for workers in [int(w) for w in args.workers.split(",")]:
            print(f"transitions, {workers} workers", flush=True)
            ours = run_transitions(big_url, workers, args.seconds, school)
            print(f"bare viewflow, {workers} workers", flush=True)
            bare = run_bare(big_url, workers, min(args.seconds, 20), school)
            ratio = round(ours["mean_ms"] / bare["mean_ms"], 2) if ours["mean_ms"] else None
            report["transitions"].append(
                {"ours": ours, "bare_viewflow": bare, "per_transition_ratio": ratio}
            )
            report.setdefault("settled_after", []).append(settle(big_url))
        if shutil.which("pgbench"):
            print("pgbench", flush=True)
            report["pgbench"] = pgbench(15)


def verdicts(report: dict) -> list[str]:
    misses = []
    for section in ("pages", "jobs"):
        for name, row in report.get(section, {}).items():
            if (row["ratio_p95"] or 0) > RATIO_TARGET:
                misses.append(f"{name}: p95 ratio {row['ratio_p95']}")
            if not row["same_sql_count"]:
                misses.append(
                    f"{name}: SQL {row['small']['queries']} vs {row['national']['queries']}"
                )
    for run in report.get("transitions", []):
        ours = run["ours"]
        if ours["workers"] == 2 and ours["per_second"] < TRANSITIONS_TARGET:
            misses.append(f"transitions with 2 workers: {ours['per_second']}/s")
        if (run["per_transition_ratio"] or 0) > RATIO_TARGET:
            misses.append(
                f"per transition ({ours['workers']} workers): {run['per_transition_ratio']}× bare"
            )
    return misses


def write(report: dict) -> None:
    misses = verdicts(report)
    report["missed"] = misses
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"national-{stamp}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    lines = [f"# National scale bench, {report['when']}", ""]
    machine = report["machine"]
    before = tuple(round(x, 2) for x in machine["load_before"])
    after = tuple(round(x, 2) for x in machine["load_after"])
    lines.append(
        f"{machine['cpus']} CPUs; load average before {before}, after {after};"
        f" bench {report['bench_s']} s."
    )
    lines.append("")
    for side, data in report["data"].items():
        rows = ", ".join(f"{k} {v:,}" for k, v in data["rows"].items())
        lines.append(f"- {side}: {rows}")
    for section in ("pages", "jobs"):
        if section not in report:
            continue
        lines += [
            "",
            f"## {section.title()}",
            "",
            "| | small p50 | small p95 | national p50 | national p95 | SQL small / national "
            "| ratio p95 |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, row in report[section].items():
            s, b = row["small"], row["national"]
            lines.append(
                f"| {name} | {s['p50_ms']} | {s['p95_ms']} | {b['p50_ms']} | {b['p95_ms']} | "
                f"{s['queries']} / {b['queries']} | {row['ratio_p95']} |"
            )
    if report.get("transitions"):
        lines += [
            "",
            "## Transitions (national data, HTTP)",
            "",
            "ms: server time of a request; (SQL ms): of it, waiting for PostgreSQL.",
            "",
            "| workers | ours /s | ours ms (SQL ms) | ours SQL | bare viewflow /s "
            "| bare ms (SQL ms) | bare SQL | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for run in report["transitions"]:
            o, b = run["ours"], run["bare_viewflow"]
            lines.append(
                f"| {o['workers']} | {o['per_second']} | {o['mean_ms']} "
                f"({o.get('mean_sql_ms')}) | {o['mean_queries']} | "
                f"{b['per_second']} | {b['mean_ms']} ({b.get('mean_sql_ms')}) | {b['queries']} | "
                f"{run['per_transition_ratio']} |"
            )
            for step, figures in o["steps"].items():
                lines.append(
                    f"|  | {step}: {figures['n']} | {figures['mean_ms']} "
                    f"({figures.get('mean_sql_ms')}) | {figures['queries']} | | | | |"
                )
        if "pgbench" in report:
            lines += [
                "",
                f"pgbench -N -c1: {report['pgbench']['tps']}; {report['pgbench']['latency']}",
            ]
    lines += ["", "## Verdict", ""]
    lines += [f"- MISSED {m}" for m in misses] or ["- every target met"]
    if report.get("explain"):
        lines += ["", "## EXPLAIN (national)", ""]
        for name, plans in report["explain"].items():
            lines += [f"### {name}", ""]
            for plan in plans:
                lines += ["```", plan["sql"][:600], "", plan["plan"], "```", ""]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(line for line in lines if not line.startswith(("```",)))[:20000])
    print(f"\nwritten to {out.relative_to(ROOT)}.json / .md")


if __name__ == "__main__":
    main()
