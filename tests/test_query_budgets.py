"""Pages run the same number of queries for 5 rows as for 50."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.helpers import assign_experts, make_documents

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["page"].object_list)


@pytest.mark.parametrize(
    ("persona", "url_name", "prepare", "budget"),
    [
        ("author", "documents:mine", None, 10),
        ("chair", "documents:school", None, 12),
        # The inbox: +1 for the council's steps (council.CouncilTask) beside the tasks.
        ("chair", "flows:inbox", None, 10),  # screening tasks
        ("expert1", "flows:inbox", assign_experts, 12),  # review tasks, with due dates
    ],
)
def test_a_list_costs_the_same_for_5_and_50_rows(world, persona, url_name, prepare, budget):
    client = world.client(getattr(world, persona))
    url = reverse(url_name)
    first = make_documents(world, 5)
    if prepare:
        prepare(world, first)
    small, small_rows = count_queries(client, url)
    more = make_documents(world, 45, start=5)
    if prepare:
        prepare(world, more)
    large, large_rows = count_queries(client, url)
    assert (small_rows, large_rows) == (5, 25)  # 25 a page
    assert small == large, f"{url}: {small} queries for 5 rows, {large} for 50"
    assert large <= budget, large


def test_the_document_page_costs_the_same_with_more_reviews(world):
    from tests.helpers import create_and_submit, review_post, the_task

    client = world.client(world.chair)
    document = create_and_submit(world)
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [e.pk for e in world.experts], "due_date": due},
    )
    url = reverse("documents:detail", args=[document.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for expert in world.experts:
        task = the_task(expert, "review")
        world.client(expert).post(
            reverse("flows:task", args=[task.pk]), review_post("revise", ["a", "b", "c"])
        )
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(one) == len(more) <= 16


def _schedule(world, days: int, items: int):
    from council.services import session_schedule

    return session_schedule(
        council=world.council,
        actor=world.chair,
        date=world.year.starts_on + datetime.timedelta(days=days),
        time=None,
        place="",
        is_year_end=False,
        documents=[],
        free_items=[f"Маселе {i}" for i in range(items)],
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_council_pages_cost_the_same_for_more_sessions_and_items(world):
    client = world.client(world.chair)
    first = _schedule(world, 5, 2)
    overview = reverse("council:overview")
    compliance = reverse("council:compliance")
    session_url = reverse("council:session", args=[first.pk])
    small = [_queries(client, u) for u in (overview, compliance, session_url)]
    for n in range(5):
        _schedule(world, 40 + n * 30, 2)
    big = _schedule(world, 250, 12)
    large = [
        _queries(client, u)
        for u in (overview, compliance, reverse("council:session", args=[big.pk]))
    ]
    assert small == large
    assert max(large) <= 15, large
