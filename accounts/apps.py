from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and schools")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_migrate

        from . import checks  # noqa: F401  (registers system checks)
        from .audit import groups_changed
        from .models import User
        from .roles import ensure_role_groups
        from .third_party import install

        install()  # role names, the admin's third-party texts (accounts/third_party.py)

        # After every app: the permissions of later apps (flows, documents) exist only then.
        post_migrate.connect(ensure_role_groups, dispatch_uid="accounts.ensure_role_groups")
        m2m_changed.connect(
            groups_changed, sender=User.groups.through, dispatch_uid="accounts.groups_changed"
        )
