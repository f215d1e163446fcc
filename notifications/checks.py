"""System checks of the notification channels."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register()
def check_telegram(app_configs: Any = None, **kwargs: Any) -> list:
    token, username = settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_BOT_USERNAME
    if bool(token) != bool(username):
        return [
            Warning(
                "Set both TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_USERNAME: without the token "
                "nothing can be sent, without the username nobody can link an account.",
                id="notifications.W001",
            )
        ]
    return []
