"""The permission matrix: every URL × every persona, each cell asserted. A new URL without
a row here fails `test_every_url_has_a_row`."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from documents.models import Document
from tests.conftest import pdf_upload
from tests.flows.test_expertise_story import create_and_submit, document_fields, the_task

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "author",
    "teacher2",
    "expert1",
    "expert3",
    "chair",
    "secretary",
    "director",
    "admin",
    "outsider",
]
LOGIN = "login"  # a redirect to the login page


class Scene:
    """A submitted document (experts 1 and 2 assigned, expert 1's review open), a draft,
    both by the author."""

    def __init__(self, world):
        self.world = world
        self.submitted = create_and_submit(world)
        screen = the_task(world.chair, "screen")
        due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
        world.client(world.chair).post(
            reverse("flows:task", args=[screen.pk]),
            {"action": "accept", "experts": [world.expert1.pk, world.expert2.pk], "due_date": due},
        )
        self.review_task = Task.objects.get(owner=world.expert1, status=STATUS.ASSIGNED)
        world.client(world.author).post(
            reverse("documents:create"),
            {
                **document_fields(world, title="Сабактын планы (долбоор)"),
                "upload": pdf_upload(),
                "save": "1",
            },
        )
        self.draft = Document.objects.get(title="Сабактын планы (долбоор)")

    def client(self, persona: str) -> Client:
        if persona == "anonymous":
            return Client()
        return self.world.client(getattr(self.world, persona))


def everyone(status: int, **overrides: int | str) -> dict[str, int | str]:
    cells: dict[str, int | str] = dict.fromkeys(PERSONAS, status)
    cells["anonymous"] = LOGIN
    cells.update(overrides)
    return cells


def only(persona_status: dict[str, int], otherwise: int = 404) -> dict[str, int | str]:
    return everyone(otherwise, **persona_status)


SCHOOL_STAFF = {"chair": 200, "secretary": 200, "director": 200, "admin": 200}
SUBMITTED_READERS = {"author": 200, "expert1": 200, **SCHOOL_STAFF}

# url name -> (how to build the URL from the scene, method, expected per persona)
MATRIX: dict[str, tuple[Callable[[Scene], str], str, dict[str, int | str]]] = {
    "home": (lambda s: reverse("home"), "get", everyone(302)),
    "login": (lambda s: reverse("login"), "get", everyone(302, anonymous=200)),
    "logout": (lambda s: reverse("logout"), "get", everyone(405, anonymous=405)),
    "set_language": (lambda s: reverse("set_language"), "get", everyone(405, anonymous=405)),
    "flows:inbox": (lambda s: reverse("flows:inbox"), "get", everyone(200)),
    "flows:task": (
        lambda s: reverse("flows:task", args=[s.review_task.pk]),
        "get",
        only({"expert1": 200}),
    ),
    "documents:mine": (lambda s: reverse("documents:mine"), "get", everyone(200)),
    "documents:school": (
        lambda s: reverse("documents:school"),
        "get",
        # The outsider is a chair in their own school: 200, and sees only that school.
        everyone(403, outsider=200, **SCHOOL_STAFF),
    ),
    "documents:create": (
        lambda s: reverse("documents:create"),
        "get",
        everyone(200, director=403, admin=403),
    ),
    "documents:detail": (
        lambda s: reverse("documents:detail", args=[s.submitted.pk]),
        "get",
        only(SUBMITTED_READERS),
    ),
    "documents:edit": (
        lambda s: reverse("documents:edit", args=[s.draft.pk]),
        "get",
        only({"author": 200}),
    ),
    "documents:submit": (
        lambda s: reverse("documents:submit", args=[s.draft.pk]),
        "post",
        only({"author": 302}),
    ),
    "documents:draft_file": (
        lambda s: reverse("documents:draft_file", args=[s.draft.pk]),
        "get",
        only({"author": 200}),
    ),
    "documents:version_file": (
        lambda s: reverse("documents:version_file", args=[s.submitted.pk, 1]),
        "get",
        only(SUBMITTED_READERS),
    ),
}

# Cells beyond one per URL: objects that must stay hidden from people who see the URL.
EXTRA = {
    "draft detail": (
        lambda s: reverse("documents:detail", args=[s.draft.pk]),
        "get",
        only({"author": 200}),
    ),
    "post on someone else's task": (
        lambda s: reverse("flows:task", args=[s.review_task.pk]),
        "post",
        only({"expert1": 200}),
    ),
}


def named_urls(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin has its own permission system and tests
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
