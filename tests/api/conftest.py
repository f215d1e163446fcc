from __future__ import annotations

import pytest
from django.test import Client

from api.services import token_create


class ApiClient(Client):
    """A program calling the API with a person's personal token (no session)."""

    def __init__(self, user, **kwargs):
        self.token, self.key = token_create(user=user, name="tests", days=30)
        super().__init__(headers={"Authorization": f"Bearer {self.key}"}, **kwargs)

    def post_json(self, path: str, data: dict | None = None):
        return self.post(path, data or {}, content_type="application/json")


@pytest.fixture
def api_client():
    return ApiClient


@pytest.fixture(autouse=True)
def _rate_counter_up():
    # A test that takes Redis away must not leave the next one unlimited.
    from api.auth import TokenRateThrottle

    TokenRateThrottle.down_until = 0.0
    yield
    TokenRateThrottle.down_until = 0.0
