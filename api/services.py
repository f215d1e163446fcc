"""Writes of the API app: personal tokens."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .models import PersonalToken

# Recognisable in logs and secret scanners; the rest is 256 random bits.
KEY_PREFIX = "sc_"
MAX_TOKEN_DAYS = 365


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, days: int) -> tuple[PersonalToken, str]:
    """A new token for its owner; returns the row and the key, which is never stored."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name."))
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(
            _("A token is valid for 1 to %(days)s days.") % {"days": MAX_TOKEN_DAYS}
        )
    if PersonalToken.objects.filter(user=user).usable().count() >= settings.API_MAX_TOKENS:
        raise ValidationError(
            _("You have %(count)s active tokens. Revoke one before creating another.")
            % {"count": settings.API_MAX_TOKENS}
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken.objects.create(
        user=user,
        name=name[:100],
        prefix=key[:10],
        key_hash=key_hash(key),
        rate_per_minute=settings.API_TOKEN_RATE_PER_MINUTE,
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return token, key


def token_revoke(*, user: User, token_id: int) -> bool:
    """Only the owner revokes their token; revoking twice is harmless."""
    return bool(
        PersonalToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def token_authenticate(key: str) -> PersonalToken | None:
    """The usable token with this key, with its active owner; marks it used (at most once
    a minute, so that reads do not each write a row)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    token = (
        PersonalToken.objects.usable()
        .select_related("user")
        .filter(key_hash=key_hash(key), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        PersonalToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
