"""The Celery application: JSON only, late acks, explicit limits (see settings "Celery").

Created when the `project` package is imported (project/__init__.py), i.e. by every
process that loads the settings, and made the default app of every thread: `common.broker`
publishes through celery's `current_app` without importing this module. (Celery makes a
new app current only in the thread that created it, and its Django fix-up makes it the
default only if no other is; a web server's request threads must never get celery's
unconfigured fallback app. tests/project/test_common.py publishes from such a thread.)"""

from __future__ import annotations

import os

from celery import Celery

from ops.heartbeat import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.set_default()
app.autodiscover_tasks()
# The worker's heartbeat for the health checks (ops/health.py).
app.steps["worker"].add(WorkerHeartbeat)
