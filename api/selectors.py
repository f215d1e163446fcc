from __future__ import annotations

from accounts.models import User

from .models import PersonalToken


def tokens_of(user: User) -> list[PersonalToken]:
    """The owner's tokens, newest first (served by token_user_created)."""
    return list(PersonalToken.objects.filter(user=user).order_by("-created_at", "-pk")[:100])
