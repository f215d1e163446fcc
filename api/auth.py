"""Who is calling: a personal token (`Authorization: Bearer sc_…`) or the browser's
session (with Django's CSRF check on writes). Either way the request then runs as that
person, in their language, like a page."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
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
    """Per token, a fixed window of one minute: `rate_per_minute` requests, counted with
    the "api" cache's atomic add/incr (Redis in production, so every worker counts
    together). Session requests (a person clicking) are not limited here. If the cache
    is unreachable the request goes through: a missing counter must not stop the
    district's systems; the limit is back as soon as Redis is."""

    down_until = 0.0  # after a cache failure, leave it alone for a while

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "api_token", None)
        if token is None or time.monotonic() < TokenRateThrottle.down_until:
            return True
        now = timezone.now().timestamp()
        self.remaining = 60 - int(now) % 60
        # The hash's start names the token: unlike its id, never reused by another.
        key = f"rate:{token.key_hash[:24]}:{int(now // 60)}"
        cache = caches["api"]
        try:
            count = 1 if cache.add(key, 1, timeout=120) else cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            count = 1
        except Exception:  # Redis down or slow
            TokenRateThrottle.down_until = time.monotonic() + 30
            logging.getLogger(__name__).warning("API rate counter unavailable; not limiting")
            return True
        return count <= token.rate_per_minute

    def wait(self) -> float | None:
        return float(getattr(self, "remaining", 60))
