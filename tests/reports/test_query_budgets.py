"""The dashboard and every status list run the same number of queries for 5 documents as
for 50 (and for one school as for several)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import School
from reports.tasks import document_text_build
from tests.helpers import assign_experts, make_documents

pytestmark = pytest.mark.django_db


def queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


PAGES = [
    ("chair", "reports:dashboard", {}, 15),
    ("director", "reports:dashboard", {"export": "xlsx", "table": "experts"}, 12),
    ("chair", "documents:school", {}, 12),
    (
        "chair",
        "documents:school",
        {"doc_type": "lesson_plan", "stage": "in_expertise", "overdue": "on", "author": "author"},
        12,
    ),
    ("chair", "documents:school", {"export": "csv"}, 5),
    ("admin", "reports:overdue", {"doc_type": "lesson_plan"}, 12),
    ("district_admin", "reports:district", {}, 14),
    (
        "chair",
        "reports:search",
        {"q": "сабактын планы"},
        11,
    ),  # the matches and their number in one query (reports.pagination)
]


@pytest.mark.parametrize(("persona", "url_name", "params", "budget"), PAGES)
def test_a_page_costs_the_same_for_5_and_50_documents(world, persona, url_name, params, budget):
    if params.get("author") == "author":
        params = {**params, "author": world.author.pk}
    if url_name == "reports:overdue":
        url = reverse(url_name, args=[world.school.pk])
    else:
        url = reverse(url_name)
    client = world.client(getattr(world, persona))
    first = make_documents(world, 5)
    assign_experts(world, first)
    for document in first:
        document_text_build(document.pk)
    small = queries(client, url, params)
    more = make_documents(world, 45, start=5)
    assign_experts(world, more)
    for document in more:
        document_text_build(document.pk)
    School.objects.create(name="№7", district=world.district)  # one more school to compare
    large = queries(client, url, params)
    assert small == large, f"{url_name} {params}: {small} queries for 5, {large} for 50"
    assert large <= budget, large
