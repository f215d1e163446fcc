"""The API's lists run the same number of queries for a few rows as for many."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from council.services import session_schedule
from tests.helpers import assign_experts, make_documents

from .conftest import ApiClient

pytestmark = pytest.mark.django_db
API = "/api/v1"


def queries(client: ApiClient, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["items"])


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("chair", f"{API}/documents?page_size=100"),
        ("chair", f"{API}/documents?page_size=100&stage=in_expertise&year=YEAR"),
        ("author", f"{API}/documents?page_size=100"),
        ("expert1", f"{API}/tasks?page_size=100"),
        ("expert1", f"{API}/notifications?page_size=100"),
        ("chair", f"{API}/council/sessions?page_size=100"),
    ],
)
def test_list_queries_do_not_grow_with_the_list(world, persona, url):
    url = url.replace("YEAR", str(world.year.pk))
    client = ApiClient(getattr(world, persona))
    client.get(f"{API}/me")  # the token's first use of the minute writes last_used_at

    def add(count: int, start: int) -> None:
        assign_experts(world, make_documents(world, count, start))
        for i in range(count):
            session_schedule(
                council=world.council,
                actor=world.chair,
                date=world.year.starts_on + datetime.timedelta(days=10 + start + i),
                time=datetime.time(14, 0),
                place="Китепкана",
                is_year_end=False,
                documents=[],
                free_items=[f"Маселе {start + i}"],
            )

    add(3, 0)
    few, few_rows = queries(client, url)
    add(12, 3)
    many, many_rows = queries(client, url)
    assert (few_rows, many_rows) == (3, 15)
    assert many == few
