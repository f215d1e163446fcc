"""Create, migrate and fill the two databases of `make bench-national` once; later runs keep
them (generation takes minutes and several GB) and only apply new migrations.

    .venv/bin/python bench/datasets.py            # both, if missing
    .venv/bin/python bench/datasets.py --regenerate small
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DATABASES = {
    # name: (database, schools)
    "small": ("council_scale_small", 3),
    "national": ("council_scale_national", 2393),
}


def url_of(database: str) -> str:
    return f"{SERVER}/{database}"


def django_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="project.settings",
        DJANGO_DEBUG="1",
        DJANGO_SECRET_KEY="bench-national-not-secret",
    )
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def generated(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT value FROM bench_meta WHERE key = 'generated_at'").fetchone()
            return row is not None
    except psycopg.Error:
        return False


def recreate(database: str) -> None:
    import psycopg

    if "scale" not in database or not database.replace("_", "").isalnum():
        sys.exit(f"refusing to drop {database!r}: a bench database's name contains 'scale'")
    admin = urlparse(url_of(database))._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        conn.execute(f'CREATE DATABASE "{database}"')


def migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=django_env(url), check=True
    )


def ensure(name: str, *, regenerate: bool = False) -> dict:
    import psycopg

    database, schools = DATABASES[name]
    url = url_of(database)
    if regenerate or not generated(url):
        print(f"{name}: generating {schools} schools into {database}", flush=True)
        started = time.perf_counter()
        recreate(database)
        migrate(url)
        sys.path.insert(0, str(ROOT))
        os.environ.update(django_env(url))
        import django
        from django.contrib.auth.hashers import make_password

        django.setup()
        from bench.national import generate

        with psycopg.connect(url) as conn:
            meta = generate(conn, schools=schools, password=make_password("bench-password"))
        with psycopg.connect(url, autocommit=True) as conn:
            t = time.perf_counter()
            conn.execute("VACUUM ANALYZE")
            print(f"  vacuum analyze ({time.perf_counter() - t:.0f} s)")
        print(f"{name}: generated in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        migrate(url)  # new indexes land concurrently on the kept data
    with psycopg.connect(url) as conn:
        meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
        counts = {}
        for table in (
            "viewflow_task",
            "documents_document",
            "flows_deadline",
            "documents_documentevent",
            "notifications_notification",
            "notifications_delivery",
            "accounts_user",
            "accounts_school",
        ):
            counts[table] = conn.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table]
            ).fetchone()[0]
        counts["open_tasks"] = conn.execute(
            "SELECT count(*) FROM viewflow_task WHERE status IN ('NEW', 'ASSIGNED')"
        ).fetchone()[0]
    meta["rows"] = counts
    meta["url"] = url
    return meta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--regenerate", choices=sorted(DATABASES), action="append", default=[])
    parser.add_argument("--only", choices=sorted(DATABASES))
    args = parser.parse_args()
    for name in DATABASES:
        if args.only and name != args.only:
            continue
        meta = ensure(name, regenerate=name in args.regenerate)
        print(name, meta)


if __name__ == "__main__":
    main()
