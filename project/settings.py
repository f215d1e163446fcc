"""Settings for the school council document-approval engine.

One file, read from the environment through the small typed helpers below. With no
variables at all it runs on the embedded default: SQLite and Celery's file-system transport
under ``.run/``, so ``make run`` needs no services. Production sets ``DATABASE_URL``,
``REDIS_URL``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and the e-mail variables
(see README "Configuration").
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("APP_RUN_DIR", BASE_DIR / ".run"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Parse ``postgres://user:pass@host:port/name`` or ``sqlite:///path``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if path.startswith("//"):
            path = path[1:]
        elif path.startswith("/"):
            path = path[1:] if not Path(path).is_absolute() else path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path or str(RUN_DIR / "db.sqlite3")}
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL must name a database: postgres://…/NAME")
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported")


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    # With no variables at all (the embedded SQLite default) manage.py just works; a
    # deployment that names its database must bring its own key.
    if not DEBUG and env_str("DATABASE_URL"):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. `make run` and `make test` generate one; "
            "production must provide it."
        )
    SECRET_KEY = "insecure-dev-only-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before django.contrib.admin: its admin/index.html adds the health panel to admin's.
    "ops",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "viewflow",
    "viewflow.workflow",
    "django_celery_beat",
    "axes",
    "accounts",
    "documents",
    "council",
    "notifications",
    "flows",
    "reports",
    "ninja",  # its templates and static files serve the API's documentation page
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "project.middleware.RefuseNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "project.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

# We use viewflow as the workflow engine under our own pages, not its Material site; its
# middleware would only serve that site.
VIEWFLOW = {"AUTOREGISTER": False}

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
                # Each app its own part of the navigation (an app never reads an upper one).
                "flows.context_processors.inbox",
                "notifications.context_processors.unread",
                "council.context_processors.council_link",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if not _database_url:
    RUN_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default lives here
DATABASES = {
    "default": database_from_url(_database_url)
    if _database_url
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": str(RUN_DIR / "db.sqlite3")}
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has three processes writing one SQLite file (web, worker, beat). With the
    # default rollback journal a reader blocks a writer and a deferred transaction that
    # later writes fails at once with "database is locked" instead of waiting. WAL lets
    # readers and one writer proceed together; IMMEDIATE takes the write lock at BEGIN, so
    # a transaction waits (up to the timeout) rather than failing halfway.
    DATABASES["default"].setdefault(
        "OPTIONS",
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    )
if env_str("DJANGO_TEST_DB_NAME"):  # lets several test runs share one server
    DATABASES["default"]["TEST"] = {"NAME": env_str("DJANGO_TEST_DB_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: by user *and* address together, because a whole school sits behind one
# NAT address and must not be locked out by one forgotten password.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Whatever is typed as a user name (100,000 characters, say) fits the attempt's record.
AXES_USERNAME_CALLABLE = "accounts.security.axes_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Kyrgyz is the default language whatever the browser asks for (see UserLanguageMiddleware).
LANGUAGE_CODE = "ky"
LANGUAGES = [("ky", "Кыргызча"), ("ru", "Русский"), ("en", "English")]
LANGUAGE_COOKIE_NAME = "language"
# Project catalogs first, then the project's catalogs of viewflow's own strings
# (viewflow ships no Kyrgyz), then of what Django's admin, django-celery-beat and
# django-axes lack in Kyrgyz and Russian (locale_thirdparty/README.md).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_viewflow", BASE_DIR / "locale_thirdparty"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Bishkek")
USE_I18N = True
USE_TZ = True
# English dates as day.month.year and 24-hour time, like Kyrgyz and Russian (project/formats/).
FORMAT_MODULE_PATH = ["project.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# viewflow's static files serve its Material site, which is not mounted here (the chart is
# inline SVG); its bundled CSS also refers to fonts the package does not ship, which stops
# manifest collectstatic. So its app folder is not collected (see project/staticfiles.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "project.staticfiles.AppDirectoriesFinder",
]
STATICFILES_EXCLUDED_APPS = ["viewflow", "viewflow.workflow"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files for production (after collectstatic); plain in
        # development and tests, which serve straight from the apps.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded documents. Never served directly: only through permission-checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(RUN_DIR / "media")))
MEDIA_URL = "/media-not-served/"
# Where `manage.py backup` writes its folders unless told otherwise.
BACKUP_ROOT = Path(env_str("BACKUP_ROOT", str(RUN_DIR / "backups")))

# Upload limits (bytes). Documents: .docx, .odt, .pdf, type decided by content.
DOCUMENT_MAX_UPLOAD_BYTES = env_int("DOCUMENT_MAX_UPLOAD_MB", 20) * 1024 * 1024
# A .docx/.odt is a zip: refuse zip bombs by total uncompressed size and ratio.
DOCUMENT_MAX_UNCOMPRESSED_BYTES = env_int("DOCUMENT_MAX_UNCOMPRESSED_MB", 200) * 1024 * 1024
DOCUMENT_MAX_COMPRESSION_RATIO = env_int("DOCUMENT_MAX_COMPRESSION_RATIO", 100)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Official documents (approval sheets, protocols, reports) are issued in Kyrgyz.
OFFICIAL_DOCUMENT_LANGUAGE = env_str("OFFICIAL_DOCUMENT_LANGUAGE", "ky")
# Official papers: the school's certificate (PKCS#12) for PAdES signatures. Without one the
# papers are issued unsigned (still with their verification code) and production warns.
PAPERS_SIGNING_PKCS12 = env_str("PAPERS_SIGNING_PKCS12")
PAPERS_SIGNING_PASSWORD = env_str("PAPERS_SIGNING_PASSWORD")
# The public verification page: lookups per client address and window.
PAPERS_VERIFY_RATE_LIMIT = env_int("PAPERS_VERIFY_RATE_LIMIT", 30)
PAPERS_VERIFY_RATE_WINDOW_SECONDS = env_int("PAPERS_VERIFY_RATE_WINDOW_SECONDS", 600)
# 5.1/5.3: the council decides only with more than this share of its members present.
COUNCIL_QUORUM_SHARE = env_float("COUNCIL_QUORUM_SHARE", 0.5)
# Default days an expert gets for a review, offered on the chair's form.
EXPERTISE_DEFAULT_DAYS = env_int("EXPERTISE_DEFAULT_DAYS", 10)
# The dashboard counts a step other than a review (which has its due date) as overdue when
# it has been open longer than this many days.
REPORTS_TASK_OVERDUE_DAYS = env_int("REPORTS_TASK_OVERDUE_DAYS", 7)
# The REST API (api/): requests a minute per personal token, and active tokens per person.
API_TOKEN_RATE_PER_MINUTE = env_int("API_TOKEN_RATE_PER_MINUTE", 120)
API_MAX_TOKENS = env_int("API_MAX_TOKENS", 10)
# E-mail: the console in development, SMTP from the environment in production.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
# The file backend (`make run`) writes each message to a file in this folder.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(RUN_DIR / "outbox"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "council@localhost")
# The deployment's public address: links in e-mails and the QR code on official papers
# (a Celery worker renders papers and has no request to take the host from).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
NOTIFICATIONS_MAIL_DOMAIN = env_str("NOTIFICATIONS_MAIL_DOMAIN", "council.local")
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 60)
# A claim older than this belongs to a worker that died; the sweep frees it. (A dead
# worker's claims are seen at once: on PostgreSQL by its dropped advisory locks, on SQLite
# by its process being gone from the machine.)
NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS = env_int("NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS", 600)
# Deliveries per task, sent over one kept SMTP connection, each claimed and marked alone.
NOTIFICATIONS_BATCH_SIZE = env_int("NOTIFICATIONS_BATCH_SIZE", 50)
# Threads per task sending a batch, each on its own SMTP (or HTTP) and database connection,
# so that one message's waits overlap another's. More threads, more messages in flight when
# a worker is killed (each a possible duplicate); 4 reached the bench's rates as 8 did.
NOTIFICATIONS_SEND_THREADS = env_int("NOTIFICATIONS_SEND_THREADS", 4)
# How long to wait for the server's reply to the end of DATA (RFC 5321 asks for long
# waits here: a client that gives up early causes duplicates). Below the task time limit.
NOTIFICATIONS_SMTP_DATA_TIMEOUT = env_int("NOTIFICATIONS_SMTP_DATA_TIMEOUT", 60)
# A message sent whole but never answered ("sent?") is re-sent after this long.
NOTIFICATIONS_UNKNOWN_RESEND_SECONDS = env_int("NOTIFICATIONS_UNKNOWN_RESEND_SECONDS", 3600)
# A row handed to the broker is left to its own task this long before the sweep hands it
# over again (a row whose hand-over failed is taken at once).
NOTIFICATIONS_SWEEP_GRACE_SECONDS = env_int("NOTIFICATIONS_SWEEP_GRACE_SECONDS", 60)
NOTIFICATIONS_DIGEST_HOUR = env_int("NOTIFICATIONS_DIGEST_HOUR", 17)
# Of several beats, the one holding this database lease schedules; another takes over
# this long after the holder stops renewing.
NOTIFICATIONS_BEAT_LEASE_SECONDS = env_int("NOTIFICATIONS_BEAT_LEASE_SECONDS", 15)
# Telegram (a second channel; off without a token). TELEGRAM_API_URL may point at a
# self-hosted Bot API server.
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN")
TELEGRAM_BOT_USERNAME = env_str("TELEGRAM_BOT_USERNAME")
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
TELEGRAM_TIMEOUT = env_float("TELEGRAM_TIMEOUT", 10.0)
TELEGRAM_LINK_CODE_SECONDS = env_int("TELEGRAM_LINK_CODE_SECONDS", 3600)
# Reminders: days before a review's due date, and days before a quarter ends.
REMINDER_DAYS_BEFORE = env_int("REMINDER_DAYS_BEFORE", 2)
AGENDA_DAYS_BEFORE = env_int("AGENDA_DAYS_BEFORE", 3)
QUARTER_REMINDER_DAYS = env_int("QUARTER_REMINDER_DAYS", 14)
PROTOCOL_REMINDER_DAYS = env_int("PROTOCOL_REMINDER_DAYS", 7)

# Celery. REDIS_URL (or CELERY_BROKER_URL) in production and tests; the file-system
# transport under .run/ otherwise, so that `make run` needs no services.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's transport with atomic writes (its own can hand a worker a half-written file).
    CELERY_BROKER_TRANSPORT = "project.kombu_filesystem:Transport"
    _celery_dir = RUN_DIR / "celery"
    # The transport does not create its folders; without them every publish fails.
    for _sub in ("queue", "processed", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
        # The worker holds one unacknowledged task at a time (prefetch 1) and, at the
        # default 1 s, lists the folder again only a second later: one task a second.
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest task's hard limit, so a running task is never redelivered.
        "visibility_timeout": 3600,
        # redis-py waits forever by default, and CELERY_BROKER_CONNECTION_TIMEOUT does not
        # reach it: a Redis that stops answering without closing the connection (frozen,
        # failed over, a dropped NAT entry) would hang the request in its on-commit publish.
        "socket_connect_timeout": 2,
        "socket_timeout": 2,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Celery 6's default, set now: a task cut off by a lost broker connection is redelivered,
# and every task here is idempotent (claims, conditional updates).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Reconnects every 1–2 s while the broker is away; SIGTERM lets a pool process finish the
# e-mail in hand (see notifications/worker.py).
CELERY_WORKER_CONSUMER = "notifications.worker:Consumer"
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# django-celery-beat's scheduler behind a lease: of several beats, one schedules.
CELERY_BEAT_SCHEDULER = "notifications.beat:LeasedDatabaseScheduler"
# Each run's last_run_at is written at once (not every 3 minutes), so a beat taking over
# knows what ran, and /health/ reads beat's freshness from it.
CELERY_BEAT_SYNC_EVERY = 1
# Publishing gives up fast when the broker is down: the outbox row is already committed and
# the sweep sends it later, so a request must not hang on Redis.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# No second try inside the request: a failed publish is kept by the breaker in
# common/broker.py and replayed as soon as the broker answers its probe.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 0,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE = {
    # Often, and cheap (index-served): after an outage the backlog starts draining within
    # seconds of the broker's return.
    "notifications-sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": 10.0,
        "options": {"expires": 9},
    },
    # Links made from the bot's side ("/start <code>"), by getUpdates; no-op without a token.
    "telegram-updates": {
        "task": "notifications.tasks.telegram_updates",
        "schedule": 5.0,
        "options": {"expires": 4},
    },
    # Each app runs its own jobs: the council its reminders, inbox steps and papers
    # (council/tasks.py), the flow the reviews' deadlines and the approval sheets
    # (flows/tasks.py). Task names changed in the split (flows.tasks.council_time,
    # render_protocol and render_annual_report became council.tasks.…): a message with an
    # old name still queued during a deploy is refused by the new worker as unregistered,
    # and nothing is lost, since the jobs below run again within minutes and the sweeps
    # find the protocols and reports still without their files. The entries keep their
    # names, so beat's rows in the database (django-celery-beat) are updated in place.
    "council-time": {
        "task": "council.tasks.council_time",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "review-deadlines": {
        "task": "flows.tasks.review_deadlines",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "render-missing-files": {
        "task": "flows.tasks.render_missing_files",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "council-missing-files": {
        "task": "council.tasks.render_missing_files",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Search text of documents whose build was lost (broker down at commit time).
    "document-text-sweep": {
        "task": "reports.tasks.document_text_sweep",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "fire-workflow-timers": {
        "task": "flows.tasks.fire_workflow_timers",
        "schedule": 60.0,
        # A sweep that could not start within its interval is dropped, not piled up.
        "options": {"expires": 55},
    },
}

# Health (ops/health.py, /health/). The worker writes a heartbeat every
# HEALTH_WORKER_HEARTBEAT_SECONDS to a cache every process shares: Redis in production,
# files under .run/ in the embedded default (and with a broker other than Redis, which
# then needs .run/ — APP_RUN_DIR — on a volume the containers share).
HEALTH_WORKER_HEARTBEAT_SECONDS = env_int("HEALTH_WORKER_HEARTBEAT_SECONDS", 10)
HEALTH_WORKER_MAX_AGE_SECONDS = env_int("HEALTH_WORKER_MAX_AGE_SECONDS", 60)
# Beat sends a job every minute; older than this, it is not running.
HEALTH_BEAT_MAX_AGE_SECONDS = env_int("HEALTH_BEAT_MAX_AGE_SECONDS", 300)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The API's per-token request counters are shared by every web worker through Redis
    # when there is one (short timeouts: a request never waits on Redis); the embedded
    # default runs one web process, whose memory is enough.
    "api": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL"),
            "KEY_PREFIX": "api",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if env_str("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"}
    ),
    "health": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CELERY_BROKER_URL,
        # Like the broker's: a frozen Redis must not hang a health probe.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        "KEY_PREFIX": "health",
    }
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(RUN_DIR / "health"),
    },
}

# Production hardening. All on unless DEBUG; each can be relaxed from the environment
# (e.g. a school LAN without TLS must set DJANGO_SECURE_SSL=0 knowingly).
_secure = env_bool("DJANGO_SECURE_SSL", not DEBUG)
SECURE_SSL_REDIRECT = _secure
# An orchestrator probes the container over plain HTTP on loopback.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", _secure)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Shown in page titles and the approval sheets.
PRODUCT_NAME = _("Scientific-methodical council")
