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
  Celery worker and beat are running (logs in $RUN_DIR/logs/); e-mails are written to $EMAIL_FILE_PATH/.
  Health of the database, broker, worker and beat: http://$HOST:$PORT/health/

  Demo logins (password for all: demo-council-94):
    teacher     – Асанова Айгүл, teacher (author of documents)
    teacher2    – Жумабеков Нурлан, teacher
    chair       – Сыдыкова Гүлнара, chair of the council (deputy director)
    expert1..3  – council members (heads of methodical associations)
    secretary   – Токтогулова Нурзат, secretary of the council
    director    – Ажыгулова Кымбат, acting director
    admin       – school administrator (Django admin at /admin/)
    district    – district administrator (dashboards of the district's schools)
    other_school – a teacher of another school (sees nothing of №94)

TXT
(web) &
pids+=($!)
wait "${pids[-1]}"
