"""common/ is the ground every app may import: it imports no app, and its broker helpers
publish through the project's configured Celery app in every thread of a web process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.project.support import ROOT


def test_a_web_process_publishes_through_the_configured_app_from_any_thread():
    """What a WSGI worker does: load the application, then publish from a request thread
    (not the thread that imported the settings). Celery makes an app current only in its
    own thread; the project's app must still be the one `common.broker` finds there."""
    script = textwrap.dedent(
        """
        import threading
        from project.wsgi import application  # noqa: F401  (settings, then the Celery app)
        from django.conf import settings
        from common.broker import celery_app

        seen = {}

        def request_thread():
            app = celery_app()
            seen.update(main=app.main, broker=app.conf.broker_url, late=app.conf.task_acks_late)

        thread = threading.Thread(target=request_thread)
        thread.start()
        thread.join()
        import project.celery

        assert seen["main"] == "project", seen
        assert seen["broker"] == settings.CELERY_BROKER_URL, seen
        assert seen["late"] is True, seen
        assert celery_app() is project.celery.app
        print("ok")
        """
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_ground_package_loads_without_any_app():
    """common imports celery and Django only: a fresh interpreter imports all of it and
    finds no app of the project (nor project itself) loaded."""
    script = textwrap.dedent(
        """
        import sys
        import common.broker, common.migrations_ops, common.params
        apps = {"accounts", "api", "bench", "council", "documents", "flows", "notifications",
                "ops", "project", "reports"}
        print(sorted(apps & {name.split(".")[0] for name in sys.modules}))
        """
    )
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
