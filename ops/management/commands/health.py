"""`manage.py health [component ...]`: the health checks from a shell or a container's
healthcheck. Prints one line per component with its detail; exit status 0 when every
component asked for is ok, 1 otherwise.

`--this-host` checks the heartbeat of the worker named ``celery@<this host name>`` (Celery's
default name), so that a worker container's healthcheck reports that container's worker
and not any worker of the deployment."""

from __future__ import annotations

import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.health import COMPONENTS, check_worker, run_checks


class Command(BaseCommand):
    help = "Check the database, broker, worker and beat; exit 1 if any is failing."
    requires_system_checks: list[str] = []  # a probe every 30 s: answer, do not lint

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("components", nargs="*", help=f"any of {', '.join(COMPONENTS)}")
        parser.add_argument(
            "--this-host",
            action="store_true",
            help="the worker check looks at this host's worker (celery@HOSTNAME) only",
        )

    def handle(self, *args: Any, components: list[str], this_host: bool, **options: Any) -> None:
        unknown = sorted(set(components) - set(COMPONENTS))
        if unknown:
            raise CommandError(
                f"unknown component {', '.join(unknown)}; any of {', '.join(COMPONENTS)}"
            )
        checks = run_checks(components or None)
        if this_host:
            own = check_worker(f"celery@{socket.gethostname()}")
            checks = [own if check.component == "worker" else check for check in checks]
        for check in checks:
            state = "ok" if check.ok else "FAILING"
            self.stdout.write(f"{check.component}: {state} ({check.detail})")
        if not all(check.ok for check in checks):
            raise CommandError("unhealthy", returncode=1)
