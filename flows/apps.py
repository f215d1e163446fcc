from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = _("Expertise workflow")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .admin_labels import install

        install()  # the admin's labels for fields declared without one (flows/admin_labels.py)

        # The council announces a confirmed protocol; the flow moves the documents on.
        from council.signals import protocol_confirmed

        from .services import council_protocol_confirmed

        protocol_confirmed.connect(
            council_protocol_confirmed, dispatch_uid="flows.council_decisions"
        )
