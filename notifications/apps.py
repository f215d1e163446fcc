from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import people_created

        from . import checks  # noqa: F401 (registers the system checks)
        from .receivers import people_welcome

        people_created.connect(people_welcome, dispatch_uid="notifications.people_welcome")
