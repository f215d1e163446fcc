"""Who is calling: a personal token (`Authorization: Bearer sc_…`) or the browser's
session (with Django's CSRF check on writes). Either way the request then runs as that
person, in their language, like a page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone, translation
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import BaseThrottle
from ninja.utils import check_csrf

from .services import token_authenticate

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _act_as(request: HttpRequest, user: Any) -> Any:
    request.user = user
    language = user.language if user.language in SUPPORTED else settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return user


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(token)
        if found is None:
            return None
        request.api_token = found
        return _act_as(request, found.user)


class SessionAuth(APIKeyCookie):
    """The signed-in browser. Unlike ninja's own, an anonymous write gets 401 (not a CSRF
    403): the CSRF check only matters for a request that carries a session."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, translation.gettext("CSRF check failed. Reload the page."))
        return _act_as(request, request.user)


class TokenRateThrottle(BaseThrottle):
    """Per token, a fixed window of one minute: `rate_per_minute` requests. Counted with
    the cache's atomic add/incr, so two workers sharing a cache count together. Session
    requests (a person clicking) are not limited here."""

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "api_token", None)
        if token is None:
            return True
        window = int(timezone.now().timestamp() // 60)
        key = f"api-rate:{token.pk}:{window}"
        cache.add(key, 0, timeout=120)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.add(key, 1, timeout=120)
            count = 1
        self.remaining = max(0, 60 - int(timezone.now().timestamp()) % 60)
        return count <= token.rate_per_minute

    def wait(self) -> float | None:
        return float(getattr(self, "remaining", 60))
