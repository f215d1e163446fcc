# Two commands: `make run` (embedded default, no services) and `make test` (PostgreSQL + Redis).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test install install-dev system-deps lint format messages check-deploy clean bench bench-national screenshots bench-notifications

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages the tests need: Chromium for the browser tests, gettext for catalogs,
# redis-server for throwaway brokers (fault tests, the compose replay), pg_dump/pg_restore
# for backups, libzbar0 to read the QR codes of official papers back.
SYSTEM_PACKAGES := chromium gettext redis-server postgresql-client libzbar0
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v msgfmt >/dev/null 2>&1 \
	  || ! command -v redis-server >/dev/null 2>&1 || ! command -v pg_dump >/dev/null 2>&1 \
	  || ! ldconfig -p | grep -q 'libzbar\.so\.0'; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "Please install $(SYSTEM_PACKAGES) (Debian: apt-get install $(SYSTEM_PACKAGES))"; exit 1; fi; \
	fi

run: install
	@scripts/run.sh

test: install-dev system-deps
	@scripts/test.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Refresh the project's catalogs after changing strings, then translate and compile.
messages: install
	DJANGO_DEBUG=1 $(PY) manage.py makemessages -l ky -l ru --no-obsolete -i ".venv/*" -i "locale_viewflow/*" -i "locale_thirdparty/*"
	DJANGO_DEBUG=1 $(PY) manage.py makemessages -d djangojs -l ky -l ru --no-obsolete -i ".venv/*" -i "staticfiles/*"
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages -l ky -l ru -i ".venv" -i "staticfiles"

check-deploy: install
	@[ -s .run/check-deploy.p12 ] || $(PY) manage.py papers_certificate --out .run/check-deploy.p12 \
	  --name "check --deploy" --password check-deploy >/dev/null
	DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	SITE_URL=https://council.example.org PAPERS_SIGNING_PKCS12=.run/check-deploy.p12 \
	PAPERS_SIGNING_PASSWORD=check-deploy \
	DJANGO_ALLOWED_HOSTS=council.example.org REDIS_URL=redis://127.0.0.1:6379/0 \
	EMAIL_HOST=smtp.example.org DATABASE_URL=postgres://postgres@127.0.0.1:5432/council \
	$(PY) manage.py check --deploy --fail-level WARNING

# Dashboard and lists at district scale, in a separate PostgreSQL database (see bench/run.py;
# BENCH_ARGS="--schools 10" for a quicker run). Writes bench/results/<timestamp>.json.
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

# E-mails/s of one worker (prefork, concurrency 2) against Celery's no-op tasks/s, with its
# own redis-server and SMTP server (see bench/notifications.py).
bench-notifications: install-dev
	$(PY) bench/notifications.py $(BENCH_ARGS)

# Every page, periodic job and transition at national scale (10M task rows) against a small
# data set, interleaved; PostgreSQL at 127.0.0.1:5432 and pgbench (Debian: postgresql-client).
# The two databases (council_scale_national, council_scale_small) are generated on the first
# run (6–13 min, 8 GB) and kept. Writes bench/results/national-<time>.json and .md.
bench-national: install
	$(PY) bench/national_bench.py $(BENCH_ARGS)

clean:
	rm -rf .run staticfiles .pytest_cache .ruff_cache

# Refresh the README's pictures (docs/*.png) from the demo school, in headless Chromium.
screenshots: install-dev system-deps
	UPDATE_SCREENSHOTS=1 scripts/test.sh -q tests/e2e/test_compare_phone.py
