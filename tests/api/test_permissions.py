"""The API's permission matrix: every operation of the schema × every persona, each cell
asserted. An operation without a row fails `test_every_operation_has_a_row`. Everyone
calls with their personal token; anonymous calls carry none."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from api.api import api
from tests.permission_matrix import PERSONAS, SUBMITTED_READERS, Scene

from .conftest import ApiClient

pytestmark = pytest.mark.django_db
API = "/api/v1"
Row = tuple[str, Callable[[Scene], str], Callable[[Scene], dict], dict[str, int]]


def everyone(status: int, **overrides: int) -> dict[str, int]:
    cells = dict.fromkeys(PERSONAS, status)
    cells["anonymous"] = 401
    cells.update(overrides)
    return cells


def only(cells: dict[str, int], otherwise: int = 404) -> dict[str, int]:
    return everyone(otherwise, **cells)


def nobody(s: Scene) -> dict:
    return {}


def new_draft(s: Scene) -> dict:
    return {"doc_type": "lesson_plan", "title": "Сабактын планы", "academic_year": s.world.year.pk}


SCHOOL_STAFF = {"chair": 200, "secretary": 200, "director": 200, "admin": 200}
COUNCIL = {"expert1": 200, "expert3": 200, **SCHOOL_STAFF}
NOT_ON_COUNCIL = {"author": 403, "teacher2": 403}
# A task action on expert 1's open review: theirs alone; the other steps' actions say
# it is another step (409); for everyone else the task does not exist (404).
REVIEW_TASK_ACTION = only({"expert1": 409})

# "METHOD /path" as in the schema → (method, URL, body, expected per persona)
MATRIX: dict[str, Row] = {
    "GET /api/v1/me": ("get", lambda s: f"{API}/me", nobody, everyone(200)),
    "GET /api/v1/choices": ("get", lambda s: f"{API}/choices", nobody, everyone(200)),
    "GET /api/v1/documents": ("get", lambda s: f"{API}/documents", nobody, everyone(200)),
    "POST /api/v1/documents": (
        "post",
        lambda s: f"{API}/documents",
        new_draft,
        everyone(201, director=403, admin=403, district_admin=403),
    ),
    "GET /api/v1/documents/{document_id}": (
        "get",
        lambda s: f"{API}/documents/{s.submitted.pk}",
        nobody,
        only(SUBMITTED_READERS),
    ),
    "POST /api/v1/documents/{document_id}": (
        "post",
        lambda s: f"{API}/documents/{s.draft.pk}",
        new_draft,
        only({"author": 200}),
    ),
    "GET /api/v1/documents/{document_id}/versions/{number}/file": (
        "get",
        lambda s: f"{API}/documents/{s.submitted.pk}/versions/1/file",
        nobody,
        only(SUBMITTED_READERS),
    ),
    "POST /api/v1/documents/{document_id}/submit": (
        "post",
        lambda s: f"{API}/documents/{s.draft.pk}/submit",
        nobody,
        only({"author": 200}),
    ),
    "GET /api/v1/tasks": ("get", lambda s: f"{API}/tasks", nobody, everyone(200)),
    "GET /api/v1/tasks/{task_id}": (
        "get",
        lambda s: f"{API}/tasks/{s.review_task.pk}",
        nobody,
        only({"expert1": 200}),
    ),
    "POST /api/v1/tasks/{task_id}/review": (
        "post",
        lambda s: f"{API}/tasks/{s.review_task.pk}/review",
        # A refused review (no recommendation for "revise"): it reached the service.
        lambda s: {"opinion": "revise"},
        only({"expert1": 422}),
    ),
    "POST /api/v1/tasks/{task_id}/screen": (
        "post",
        lambda s: f"{API}/tasks/{s.review_task.pk}/screen",
        lambda s: {"action": "return", "reason": "x"},
        REVIEW_TASK_ACTION,
    ),
    "POST /api/v1/tasks/{task_id}/decide": (
        "post",
        lambda s: f"{API}/tasks/{s.review_task.pk}/decide",
        lambda s: {"decision": "revise"},
        REVIEW_TASK_ACTION,
    ),
    "POST /api/v1/tasks/{task_id}/resubmit": (
        "post",
        lambda s: f"{API}/tasks/{s.review_task.pk}/resubmit",
        lambda s: {"answers": []},
        REVIEW_TASK_ACTION,
    ),
    "POST /api/v1/tasks/{task_id}/pedagogical": (
        "post",
        lambda s: f"{API}/tasks/{s.review_task.pk}/pedagogical",
        lambda s: {"outcome": "returned", "reason": "x"},
        REVIEW_TASK_ACTION,
    ),
    "POST /api/v1/tasks/{task_id}/approve": (
        "post",
        lambda s: f"{API}/tasks/{s.review_task.pk}/approve",
        lambda s: {"outcome": "return", "reason": "x"},
        REVIEW_TASK_ACTION,
    ),
    "GET /api/v1/notifications": (
        "get",
        lambda s: f"{API}/notifications",
        nobody,
        everyone(200),
    ),
    "POST /api/v1/notifications/{notification_id}/read": (
        "post",
        lambda s: f"{API}/notifications/{s.chair_notice.pk}/read",
        nobody,
        only({"chair": 200}),
    ),
    "POST /api/v1/notifications/read-all": (
        "post",
        lambda s: f"{API}/notifications/read-all",
        nobody,
        everyone(200),
    ),
    "GET /api/v1/council/sessions": (
        "get",
        lambda s: f"{API}/council/sessions",
        nobody,
        # The outsider sees their own school's council; a person of no school has none.
        everyone(200, **NOT_ON_COUNCIL, district_admin=404),
    ),
    "GET /api/v1/council/sessions/{session_id}": (
        "get",
        lambda s: f"{API}/council/sessions/{s.session.pk}",
        nobody,
        everyone(403, **COUNCIL, outsider=404, district_admin=404),
    ),
    "POST /api/v1/council/sessions/{session_id}/confirm-protocol": (
        "post",
        lambda s: f"{API}/council/sessions/{s.session.pk}/confirm-protocol",
        nobody,
        # The protocol is not written yet: the chair and the secretary get the reasons.
        everyone(403, chair=422, secretary=422, outsider=404, district_admin=404),
    ),
    "GET /api/v1/council/sessions/{session_id}/protocol.pdf": (
        "get",
        lambda s: f"{API}/council/sessions/{s.session.pk}/protocol.pdf",
        nobody,
        # Not confirmed yet, so no file: 404 even for those who may see the session.
        everyone(403, **dict.fromkeys(COUNCIL, 404), outsider=404, district_admin=404),
    ),
    "GET /api/v1/dashboard": (
        "get",
        lambda s: f"{API}/dashboard",
        nobody,
        # The outsider: their own school's; the district administrator names a school.
        everyone(403, chair=200, director=200, admin=200, outsider=200, district_admin=404),
    ),
}

EXTRA: dict[str, Row] = {
    "draft detail": (
        "get",
        lambda s: f"{API}/documents/{s.draft.pk}",
        nobody,
        only({"author": 200}),
    ),
    "a school's dashboard": (
        "get",
        lambda s: f"{API}/dashboard?school={s.world.school.pk}",
        nobody,
        only({"chair": 200, "director": 200, "admin": 200, "district_admin": 200}, 404)
        | {"author": 403, "teacher2": 403, "expert1": 403, "expert3": 403, "secretary": 403},
    ),
    "another school's dashboard": (
        "get",
        lambda s: f"{API}/dashboard?school={s.world.other_school.pk}",
        nobody,
        only({"outsider": 200}),
    ),
}


def schema_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_operation_has_a_row():
    assert schema_operations() == set(MATRIX)


def client_for(scene: Scene, persona: str) -> Client:
    if persona == "anonymous":
        return Client()
    return ApiClient(getattr(scene.world, persona))


@pytest.mark.parametrize("row", [*MATRIX, *EXTRA])
def test_api_permission_matrix(world, row):
    scene = Scene(world)
    method, build, body, expected = {**MATRIX, **EXTRA}[row]
    url = build(scene)
    seen = {}
    for persona in PERSONAS:
        client = client_for(scene, persona)
        if method == "get":
            response = client.get(url)
        elif row.startswith("POST /api/v1/documents") and "submit" not in row:
            response = client.post(url, body(scene))  # multipart, like a form
        else:
            response = client.post(url, body(scene), content_type="application/json")
        seen[persona] = response.status_code
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", (persona, url)
    assert seen == expected


def test_the_outsider_sees_nothing_of_another_school(world):
    scene = Scene(world)
    client = ApiClient(world.outsider)
    assert client.get(f"{API}/documents").json()["count"] == 0
    assert client.get(f"{API}/tasks").json()["count"] == 0
    for pk in (scene.submitted.pk, scene.draft.pk):
        assert client.get(f"{API}/documents/{pk}").status_code == 404


def test_a_session_write_needs_the_csrf_token(world):
    scene = Scene(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.chair)
    assert client.get(f"{API}/me").json()["username"] == "chair"
    response = client.post(f"{API}/notifications/{scene.chair_notice.pk}/read")
    assert response.status_code == 403
    scene.chair_notice.refresh_from_db()
    assert scene.chair_notice.read_at is None
