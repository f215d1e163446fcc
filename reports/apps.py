from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Status tracking")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from documents.signals import document_content_changed, version_frozen

        from .receivers import document_text_rebuild, version_text_read

        document_content_changed.connect(
            document_text_rebuild, dispatch_uid="reports.document_text_rebuild"
        )
        version_frozen.connect(version_text_read, dispatch_uid="reports.version_text_read")
