#!/usr/bin/env bash
# `make run`: the embedded default. SQLite (WAL) and Celery's file-system transport under
# .run/, e-mails written as files to .run/outbox/, the web app, a Celery worker and beat.
# Ctrl-C stops all three.
#
#   scripts/run.sh                    everything, as `make run`
#   scripts/run.sh prepare|web|worker|beat
#                                     one piece, in the foreground, with the same settings
#                                     (tests/test_production_run.py starts them this way)
#
# APP_RUN_DIR moves .run/ elsewhere (the settings read it too); HOST and PORT the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
RUN_DIR="${APP_RUN_DIR:-.run}"
export APP_RUN_DIR="$RUN_DIR"
mkdir -p "$RUN_DIR/celery/queue" "$RUN_DIR/celery/processed" "$RUN_DIR/logs"
if [ ! -s "$RUN_DIR/secret_key" ]; then
  $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > "$RUN_DIR/secret_key"
  chmod 600 "$RUN_DIR/secret_key"
fi
export DJANGO_DEBUG=1
export DJANGO_SECRET_KEY="$(cat "$RUN_DIR/secret_key")"
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}"
export EMAIL_FILE_PATH="${EMAIL_FILE_PATH:-$RUN_DIR/outbox}"
mkdir -p "$EMAIL_FILE_PATH"
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
  if [ ! -s "$RUN_DIR/school.p12" ]; then
    $PY -c 'import secrets; print(secrets.token_urlsafe(18))' > "$RUN_DIR/school.p12.password"
    chmod 600 "$RUN_DIR/school.p12.password"
    $PY manage.py papers_certificate --out "$RUN_DIR/school.p12" --name "№94 мектеп (сыноо)" \
      --password "$(cat "$RUN_DIR/school.p12.password")" --force >/dev/null
  fi
  export PAPERS_SIGNING_PKCS12="$RUN_DIR/school.p12"
  export PAPERS_SIGNING_PASSWORD="$(cat "$RUN_DIR/school.p12.password")"
fi

prepare() {
  $PY manage.py migrate --noinput -v0
  $PY manage.py load_demo
}
worker() { exec .venv/bin/celery -A project worker --loglevel=INFO --concurrency=1; }
beat() {
  exec .venv/bin/celery -A project beat --loglevel=INFO --pidfile= \
    --schedule="$RUN_DIR/celerybeat-schedule"
}
web() { exec $PY manage.py runserver "$HOST:$PORT"; }

case "${1:-all}" in
  prepare) prepare; exit ;;
  web) web ;;
  worker) worker ;;
  beat) beat ;;
  all) ;;
  *) echo "usage: $0 [prepare|web|worker|beat]" >&2; exit 2 ;;
esac

prepare

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

(worker) >"$RUN_DIR/logs/worker.log" 2>&1 &
pids+=($!)
(beat) >"$RUN_DIR/logs/beat.log" 2>&1 &
pids+=($!)

cat <<TXT

  School council is starting at  http://$HOST:$PORT/
  Official papers carry QR codes to $SITE_URL/v/… (signed with the trial certificate $RUN_DIR/school.p12).
  Celery worker and beat are running (logs in $RUN_DIR/logs/); e-mails are written to $EMAIL_FILE_PATH/.
  Health of the database, broker, worker and beat: http://$HOST:$PORT/health/

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
(web) &
pids+=($!)
wait "${pids[-1]}"
