#!/usr/bin/env bash
# `make run`: the embedded default. SQLite and Celery's file-system transport under .run/,
# the web app, a Celery worker and beat. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p .run/celery/queue .run/celery/processed .run/logs
if [ ! -s .run/secret_key ]; then
  $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > .run/secret_key
  chmod 600 .run/secret_key
fi
export DJANGO_DEBUG=1
export DJANGO_SECRET_KEY="$(cat .run/secret_key)"
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}"
export EMAIL_FILE_PATH="${EMAIL_FILE_PATH:-.run/outbox}"
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

$PY manage.py migrate --noinput -v0
$PY manage.py load_demo

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/celery -A project worker --loglevel=INFO --concurrency=1 >.run/logs/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A project beat --loglevel=INFO --pidfile= --schedule=.run/celerybeat-schedule >.run/logs/beat.log 2>&1 &
pids+=($!)

cat <<TXT

  School council is starting at  http://$HOST:$PORT/
  Celery worker and beat are running (logs in .run/logs/); e-mails are written to .run/outbox/.

  Demo logins (password for all: demo-council-94):
    teacher     – Асанова Айгүл, teacher (author of documents)
    teacher2    – Жумабеков Нурлан, teacher
    chair       – Сыдыкова Гүлнара, chair of the council (deputy director)
    expert1..3  – council members (heads of methodical associations)
    secretary   – Токтогулова Нурзат, secretary of the council
    director    – Ажыгулова Кымбат, acting director
    admin       – school administrator, scoped to №94 (Django admin at /admin/)
    root        – superuser of the whole deployment (Django admin at /admin/)
    district    – district administrator (dashboards of the district's schools)
    other_school – a teacher of another school (sees nothing of №94)

TXT
$PY manage.py runserver "$HOST:$PORT" &
pids+=($!)
wait "${pids[-1]}"
