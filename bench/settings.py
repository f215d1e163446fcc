"""Settings of the bench's servers: the project's own, plus a middleware that reports each
request's SQL count and time in response headers, the bench's endpoints (periodic jobs run
in a rolled-back transaction, EXPLAIN of a captured request, sign-in for the load
generator) and a bare viewflow flow to compare transitions with. Loopback only; never
deployed."""

from project.settings import *  # noqa: F403
from project.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
MIDDLEWARE = ["bench.middleware.measure", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"
# The bench signs in hundreds of times a minute from one address.
AXES_ENABLED = False
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = False
