# Production image: gunicorn for the web, the same image for the Celery worker and beat.
# tests/test_production_replay.py replays this file without Docker: it installs
# requirements.txt into a clean virtualenv, runs the python/pip steps below as written (the
# system steps — apt-get, useradd, mkdir, chown — are the image's own), then starts
# docker-compose.yml's commands.
# Debian bookworm: its postgresql-client is 15, the major version of compose's PostgreSQL, so
# pg_dump/pg_restore match the server (a newer pg_dump writes settings an older server
# refuses at restore).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# pg_dump/pg_restore for `manage.py backup` / `manage.py restore`.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 council
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# Static files are collected at build time (hashed + compressed, served by WhiteNoise).
RUN DJANGO_SECRET_KEY=build-only DJANGO_STATIC_MANIFEST=1 python manage.py collectstatic --noinput -v0 \
    && mkdir -p /data/media /data/backups && chown -R council /data
USER council
ENV MEDIA_ROOT=/data/media BACKUP_ROOT=/data/backups
EXPOSE 8000
CMD ["gunicorn", "project.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
