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
# The QR codes on official papers lead to SITE_URL. For a phone on the school's network:
#   HOST=0.0.0.0 SITE_URL=http://192.168.1.20:8000 make run   (this machine's LAN address)
export SITE_URL="${SITE_URL:-http://$HOST:$PORT}"
site_host="$(printf '%s' "$SITE_URL" | sed -E 's#^[a-z]+://(\[[^]]*\]|[^:/]*).*#\1#')"
export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1,[::1],$site_host}"
# A self-signed trial certificate, so that the demo's papers come out signed.
if [ -z "${PAPERS_SIGNING_PKCS12:-}" ]; then
  if [ ! -s .run/school.p12 ]; then
    $PY -c 'import secrets; print(secrets.token_urlsafe(18))' > .run/school.p12.password
    chmod 600 .run/school.p12.password
    $PY manage.py papers_certificate --out .run/school.p12 --name "№94 мектеп (сыноо)" \
      --password "$(cat .run/school.p12.password)" --force >/dev/null
  fi
  export PAPERS_SIGNING_PKCS12=.run/school.p12
  export PAPERS_SIGNING_PASSWORD="$(cat .run/school.p12.password)"
fi

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
  Official papers carry QR codes to $SITE_URL/v/… (signed with the trial certificate .run/school.p12).
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
