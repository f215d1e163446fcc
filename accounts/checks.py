"""System checks with stable ids (accounts.E001…)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list:
    problems: list = []
    if settings.LANGUAGE_CODE != "ky":
        problems.append(
            Warning("LANGUAGE_CODE is not 'ky'; the school works in Kyrgyz.", id="accounts.W001")
        )
    if settings.TIME_ZONE != "Asia/Bishkek":
        problems.append(
            Warning(
                f"TIME_ZONE is {settings.TIME_ZONE!r}; deadlines are counted in school time.",
                id="accounts.W002",
            )
        )
    if not settings.DEBUG and settings.CELERY_BROKER_URL.startswith("filesystem://"):
        problems.append(
            Warning(
                "Celery uses the file-system transport; production should set REDIS_URL.",
                id="accounts.W003",
            )
        )
    if not settings.DEBUG and "console" in settings.EMAIL_BACKEND:
        problems.append(
            Warning("E-mail goes to the console; set EMAIL_BACKEND/EMAIL_HOST.", id="accounts.W004")
        )
    if settings.NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS <= settings.CELERY_TASK_TIME_LIMIT:
        problems.append(
            Error(
                "NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS must be longer than CELERY_TASK_TIME_LIMIT: "
                "the sweep would free claims of deliveries still being sent, and send them twice.",
                id="accounts.E001",
            )
        )
    return problems
