"""The permission matrix: every URL × every persona, each cell asserted. A new URL without
a row in tests/permission_matrix.py fails `test_every_url_has_a_row`."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from viewflow.workflow.status import STATUS

from tests.permission_matrix import EXTRA, LOGIN, MATRIX, PERSONAS, Scene

pytestmark = pytest.mark.django_db


def named_urls(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin has its own permission system and tests
            if entry.namespace == "api-1":
                continue  # the REST API's own matrix: tests/api/test_permissions.py
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= named_urls(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


def test_every_url_has_a_row():
    assert named_urls() == set(MATRIX)


@pytest.mark.parametrize("row", [*MATRIX, *EXTRA])
def test_permission_matrix(world, row):
    scene = Scene(world)
    build, method, expected = {**MATRIX, **EXTRA}[row]
    url = build(scene)
    seen = {}
    for persona in PERSONAS:
        response = getattr(scene.client(persona), method)(url)
        status = response.status_code
        if (
            status == 302
            and reverse("login") in response.get("Location", "")
            and persona == "anonymous"
        ):
            status = LOGIN
        seen[persona] = status
    assert seen == expected


def test_the_outsider_sees_nothing_of_another_school(world):
    scene = Scene(world)
    client = scene.client("outsider")
    school_list = client.get(reverse("documents:school"))
    assert list(school_list.context["page"].object_list) == []
    assert client.get(reverse("flows:inbox")).context["rows"] == []
    for pk in (scene.submitted.pk, scene.draft.pk):
        assert client.get(reverse("documents:detail", args=[pk])).status_code == 404


def test_an_expert_cannot_act_on_a_colleagues_review(world):
    scene = Scene(world)
    response = scene.client("expert3").post(
        reverse("flows:task", args=[scene.review_task.pk]), {"opinion": "approve"}
    )
    assert response.status_code == 404
    scene.review_task.refresh_from_db()
    assert scene.review_task.status == STATUS.ASSIGNED


def test_nobody_marks_someone_elses_notification(world):
    scene = Scene(world)
    for persona in PERSONAS:
        if persona not in ("chair", "anonymous"):
            scene.client(persona).post(reverse("notifications:read", args=[scene.chair_notice.pk]))
            scene.client(persona).post(reverse("notifications:read_all"))
    scene.chair_notice.refresh_from_db()
    assert scene.chair_notice.read_at is None
