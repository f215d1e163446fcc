"""Settings of the notifications bench's gunicorn (bench/notifications.py): the project's
own, plus the URL of one endpoint that writes notices as a page's change does. Loopback
only; never deployed."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.notifications_urls"
