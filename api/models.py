"""Personal API tokens: a person's key for scripts, the district's systems and the
mobile apps. Only a hash is stored; the key itself is shown once, when it is created."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PersonalTokenQuerySet(models.QuerySet):
    def usable(self) -> PersonalTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PersonalToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the key, to recognise it in the list; not a secret.
    prefix = models.CharField(_("begins with"), max_length=16)
    # SHA-256 of the key. The key is 256 random bits, so a fast hash is enough (a slow
    # password hash defends guessable secrets, and would cost every API request).
    key_hash = models.CharField(max_length=64, unique=True)
    # Requests per minute allowed with this token.
    rate_per_minute = models.PositiveIntegerField(_("requests per minute"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = PersonalTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal API token")
        verbose_name_plural = _("personal API tokens")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The profile page's list: WHERE user_id = … ORDER BY created_at DESC
            models.Index(fields=["user", "-created_at"], name="token_user_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
