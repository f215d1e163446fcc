from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = _("Expertise workflow")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.open_work import open_work_register

        from .admin_labels import install
        from .selectors import open_tasks_of

        install()  # the admin's labels for fields declared without one (flows/admin_labels.py)
        # Deactivating someone in the admin leads to their tasks (accounts/open_work.py).
        open_work_register(holds=open_tasks_of, handover_url=unowned_tasks_url)

        # The council announces a confirmed protocol; the flow moves the documents on.
        from council.signals import protocol_confirmed

        from .services import council_protocol_confirmed

        protocol_confirmed.connect(
            council_protocol_confirmed, dispatch_uid="flows.council_decisions"
        )


def unowned_tasks_url(person) -> str:
    from django.urls import reverse

    return f"{reverse('flows:unowned')}?person={person.pk}"
