"""Personal tokens: created, listed and revoked by their owner on the profile page, stored
hashed, shown once, with an expiry and a per-token rate limit."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from api.models import PersonalToken
from api.services import key_hash, token_create

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_a_token_is_created_on_the_profile_page_shown_once_and_stored_hashed(world):
    page = world.client(world.author)
    response = page.post("/profile/", {"name": "Электрондук күндөлүк", "days": 30})
    assert response.status_code == 200
    shown = re.search(
        r'data-testid="new-token">.*?<code>(sc_[\w-]+)</code>', response.content.decode(), re.S
    )
    assert shown, response.content.decode()
    key = shown.group(1)
    token = PersonalToken.objects.get(user=world.author)
    assert token.name == "Электрондук күндөлүк"
    assert token.key_hash == key_hash(key) and key not in token.key_hash
    assert not PersonalToken.objects.filter(prefix=key).exists()  # only the first characters
    # In school time, whatever the hour in UTC.
    expires = timezone.localtime(token.expires_at).date()
    assert expires == timezone.localdate() + datetime.timedelta(days=30)
    later = page.get("/profile/").content.decode()
    assert key not in later and token.prefix in later and "Электрондук күндөлүк" in later

    me = bearer(key).get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "author"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_wrong_token_is_refused(world):
    response = bearer("sc_not-a-real-token").get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_only_the_owner_revokes_and_a_revoked_token_stops_working(world):
    token, key = token_create(user=world.author, name="app", days=10)
    assert bearer(key).get("/api/v1/me").status_code == 200
    world.client(world.chair).post(f"/profile/tokens/{token.pk}/revoke/")
    assert bearer(key).get("/api/v1/me").status_code == 200
    response = world.client(world.author).post(f"/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(key).get("/api/v1/me").status_code == 401
    assert "revoked" in world.client(world.author).get("/profile/").content.decode()


def test_a_token_expires(world):
    _token, key = token_create(user=world.author, name="app", days=2)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2, minutes=1)):
        assert bearer(key).get("/api/v1/me").status_code == 401


def test_a_deactivated_person_loses_their_tokens(world):
    _token, key = token_create(user=world.author, name="app", days=2)
    world.author.is_active = False
    world.author.save(update_fields=["is_active"])
    assert bearer(key).get("/api/v1/me").status_code == 401


def test_each_token_has_its_rate_limit(world):
    client = ApiClient(world.author)
    other = ApiClient(world.author)
    PersonalToken.objects.filter(pk=client.token.pk).update(rate_per_minute=3)
    start = timezone.now().replace(second=5)
    with time_machine.travel(start, tick=False):
        assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200] * 3
        refused = client.get("/api/v1/me")
        assert refused.status_code == 429
        assert refused["Content-Type"] == "application/problem+json"
        assert int(refused["Retry-After"]) == 55
        assert other.get("/api/v1/me").status_code == 200  # another token, its own count
    with time_machine.travel(start + datetime.timedelta(minutes=1), tick=False):
        assert client.get("/api/v1/me").status_code == 200


def test_the_token_form_refuses_bad_input_and_too_many_tokens(world, settings):
    page = world.client(world.author)
    response = page.post("/profile/", {"name": "", "days": 9999})
    assert response.status_code == 200
    assert not PersonalToken.objects.exists()
    settings.API_MAX_TOKENS = 1
    token_create(user=world.author, name="one", days=5)
    response = page.post("/profile/", {"name": "two", "days": 5})
    assert "Revoke one before creating another" in response.content.decode()
    assert PersonalToken.objects.count() == 1


def test_the_documentation_page_uses_our_own_static_files(world):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts), scripts
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tasks/{task_id}/review" in schema["paths"]


def test_the_command_prints_a_working_token(world):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("api_token", "chair", "--name", "curl", "--days", "3", stdout=out)
    key = out.getvalue().strip()
    assert bearer(key).get("/api/v1/me").json()["username"] == "chair"
    assert PersonalToken.objects.get(user=world.chair).name == "curl"


def test_with_redis_down_requests_go_through_without_waiting(world, settings):
    import time

    settings.CACHES = {
        **settings.CACHES,
        "api": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    client = ApiClient(world.author)
    PersonalToken.objects.filter(pk=client.token.pk).update(rate_per_minute=1)
    started = time.monotonic()
    statuses = [client.get("/api/v1/me").status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert time.monotonic() - started < 3  # one failed connection, then no more tries


def test_the_counters_are_shared_through_redis(world, settings):
    from django.core.cache import caches

    if "Redis" not in settings.CACHES["api"]["BACKEND"]:
        pytest.skip("REDIS_URL not set")
    client = ApiClient(world.author)
    with time_machine.travel(timezone.now().replace(second=10), tick=False):
        client.get("/api/v1/me")
        window = int(timezone.now().timestamp() // 60)
    assert caches["api"].get(f"rate:{client.token.key_hash[:24]}:{window}") == 1
