"""Garbage in every part of a request gets a 4xx problem document, never a 500, and
changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from documents.models import Review
from tests.permission_matrix import Scene

from .conftest import ApiClient

pytestmark = pytest.mark.django_db
API = "/api/v1"


def test_garbage_is_refused_with_a_problem(world):
    scene = Scene(world)
    expert = ApiClient(world.expert1)
    task = f"{API}/tasks/{scene.review_task.pk}"
    cases = [
        expert.post(f"{task}/review", "{not json", content_type="application/json"),
        expert.post_json(f"{task}/review", {"opinion": ["approve"]}),
        expert.post_json(f"{task}/review", {"opinion": "approve", "recommendations": ["a\x00b"]}),
        expert.post_json(f"{task}/review", {"opinion": "approve", "comment": "\x00"}),
        expert.post_json(f"{task}/review", {"opinion": "approve", "recommendations": ["x" * 4001]}),
        expert.post_json(f"{task}/review", {"opinion": "maybe"}),
        expert.get(f"{API}/tasks/99999999999999999999"),
        expert.get(f"{API}/tasks/-1"),
        expert.get(f"{API}/tasks/abc"),
        expert.get(f"{API}/documents?year=abc"),
        expert.get(f"{API}/documents?doc_type=%00"),
        expert.get(f"{API}/documents?author=2147483647"),
        expert.get(f"{API}/documents?page=0"),
        expert.get(f"{API}/documents?page_size=100000"),
        expert.get(f"{API}/no-such-endpoint"),
        expert.get("/api/v2/anything"),
        expert.post(
            f"{API}/documents", {"doc_type": "x" * 40, "title": "\x00", "academic_year": "y"}
        ),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, (response.status_code, response.content)
        assert response["Content-Type"] == "application/problem+json"
    review = Review.objects.get(expert=world.expert1)
    assert review.submitted_at is None


def test_a_due_date_in_the_past_is_refused_like_on_the_page(world):
    from tests.helpers import create_and_submit

    create_and_submit(world)
    chair = ApiClient(world.chair)
    screen = chair.get(f"{API}/tasks").json()["items"][0]
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = chair.post_json(
        f"{API}/tasks/{screen['id']}/screen",
        {"action": "accept", "experts": [world.expert1.pk], "due_date": past},
    )
    assert response.status_code == 422
    assert response.json()["errors"]["due_date"] == ["The due date cannot be in the past."]
