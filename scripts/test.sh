#!/usr/bin/env bash
# `make test`: the whole suite against real PostgreSQL and Redis (and a real Celery worker
# where a test is about Celery). Override the servers with DATABASE_URL / REDIS_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/council}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')}"
export DJANGO_DEBUG=0
export DJANGO_SECURE_SSL=0
export DJANGO_STATIC_MANIFEST=0
export PLAYWRIGHT_BROWSERS_PATH=0

$PY - <<'PYCHECK'
import os, socket, sys
from urllib.parse import urlparse
for name in ("DATABASE_URL", "REDIS_URL"):
    url = urlparse(os.environ[name])
    try:
        socket.create_connection((url.hostname, url.port or (5432 if "postgres" in url.scheme else 6379)), 3).close()
    except OSError as exc:
        sys.exit(f"{name}={os.environ[name]} is not reachable ({exc}). Start the server (see .ci/run).")
PYCHECK

# The apps' layers (.importlinter): an app importing a layer above it fails the run before
# any test starts (tests/project/test_layers.py shows what it reports).
if ! layers=$(.venv/bin/lint-imports --no-logo 2>&1); then
    printf '%s\n' "$layers" >&2
    echo "lint-imports: an app imports from a layer above it (see .importlinter)." >&2
    exit 1
fi

exec .venv/bin/pytest "$@"
