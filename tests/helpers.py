"""Helpers the tests share: a persona's open tasks, the forms of the document and the
review as a browser posts them, a document submitted through the real endpoints, documents
made in bulk, and a document taken to the council with its session and protocol form.

A helper that more than one test file needs belongs here, not in a test module. A long
story names the step that failed with `story_step` (a story split into step functions) or
with the `step` fixture of tests/conftest.py (a story written as one function)."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from council.models import Session
from documents.models import Document, Stage
from documents.services import document_create
from documents.uploads import validate_document_upload
from flows import services
from tests.conftest import pdf_upload

T = TypeVar("T")


def open_tasks(user, node: str | None = None) -> list[Task]:
    """The user's open human tasks, of one node when given."""
    qs = Task.objects.filter(owner=user, status=STATUS.ASSIGNED, flow_task_type="HUMAN")
    tasks = list(qs)
    if node:
        tasks = [t for t in tasks if t.flow_task.name == node]
    return tasks


def the_task(user, node: str) -> Task:
    """The user's one open task of `node`; fails naming the user and the node."""
    tasks = open_tasks(user, node)
    assert len(tasks) == 1, f"{user} has {len(tasks)} open {node} tasks"
    return tasks[0]


def document_fields(world, **overrides) -> dict:
    """The document form's fields, filled for `world`'s school and year."""
    data = {
        "doc_type": "development_program",
        "title": "Мектептин өнүгүү программасы 2026–2030",
        "academic_year": world.year.pk,
        "methodical_association": world.association.pk,
        "description": "Өнүгүү программасынын долбоору",
    }
    data.update(overrides)
    return data


def create_and_submit(world, client=None, **overrides) -> Document:
    """A new document with a PDF, saved and submitted in one POST (the author's by
    default)."""
    client = client or world.client(world.author)
    data = document_fields(world, **overrides)
    data["upload"] = pdf_upload()
    data["submit"] = "1"
    response = client.post(reverse("documents:create"), data)
    assert response.status_code == 302, f"create and submit answered {response.status_code}"
    return Document.objects.get(title=data["title"])


def review_post(opinion: str, recommendations: list[str], comment: str = "") -> dict:
    """The review form with its recommendations formset, as the task page posts it."""
    data = {
        "opinion": opinion,
        "comment": comment,
        "rec-TOTAL_FORMS": str(max(3, len(recommendations))),
        "rec-INITIAL_FORMS": "0",
        "rec-MIN_NUM_FORMS": "0",
        "rec-MAX_NUM_FORMS": "1000",
    }
    for i, text in enumerate(recommendations):
        data[f"rec-{i}-text"] = text
    return data


def story_step(title: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Marks one step of a long story test: a failure inside it is reported as
    "<title>: <what the user should have seen>", so the summary line names the step, and
    the original assertion (with pytest's comparison) stays chained below it."""

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> T:
            __tracebackhide__ = True  # pytest shows the step's line and the story's call
            try:
                return function(*args, **kwargs)
            except AssertionError as error:
                raise AssertionError(f"{title}: {error}") from error
            except Exception as error:
                error.add_note(f"in the story step: {title}")
                raise

        return run

    return decorate


# Documents made in bulk through the services (the query-budget tests).


def make_documents(world, count: int, start: int = 0) -> list[Document]:
    documents = []
    for i in range(start, start + count):
        upload = pdf_upload()
        document = document_create(
            author=world.author,
            doc_type="lesson_plan",
            title=f"Сабактын планы №{i}",
            academic_year=world.year,
            methodical_association=world.association,
            upload=upload,
            upload_info=validate_document_upload(upload),
        )
        services.document_submit(document=document, actor=world.author)
        documents.append(document)
    return documents


def assign_experts(world, documents) -> None:
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    due = timezone.localdate() + datetime.timedelta(days=5)
    for task in Task.objects.filter(owner=world.chair, status=STATUS.ASSIGNED):
        services.task_perform(
            task=task,
            actor=world.chair,
            step=lambda act: services.screening_accept(
                activation=act, actor=world.chair, experts=[world.expert1], due_date=due
            ),
        )


# The council (the year's story and the tests that need a recommended document or a
# session).


def through_expertise(world, author, title: str, doc_type: str = "development_program") -> Document:
    """Submission → one expert approves → the chair recommends it to a council session."""
    document = create_and_submit(world, client=world.client(author), title=title, doc_type=doc_type)
    chair = world.client(world.chair)
    screen = the_task(world.chair, "screen")
    due = (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
    chair.post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [world.expert1.pk], "due_date": due},
    )
    review = the_task(world.expert1, "review")
    world.client(world.expert1).post(
        reverse("flows:task", args=[review.pk]), review_post("approve", [])
    )
    decide = the_task(world.chair, "decide")
    chair.post(reverse("flows:task", args=[decide.pk]), {"decision": "recommend", "reason": ""})
    document.refresh_from_db()
    assert document.stage == Stage.RECOMMENDED
    return document


def schedule(world, day: datetime.date, documents=(), free="", year_end=False) -> Session:
    data = {
        "date": day.isoformat(),
        "place": "Мугалимдер бөлмөсү",
        "documents": [d.pk for d in documents],
        "free_items": free,
    }
    if year_end:
        data["is_year_end"] = "on"
    response = world.client(world.chair).post(reverse("council:session_new"), data)
    assert response.status_code == 302, response.content.decode()
    return Session.objects.latest("pk")


def later_session(world) -> Session:
    """A session after the first (whose protocol has its own rules: 5.4)."""
    schedule(world, world.year.starts_on + datetime.timedelta(days=2), free="Катчыны шайлоо")
    return schedule(world, world.year.starts_on + datetime.timedelta(days=30), free="Маселе")


def protocol_post(session: Session, present, decisions: dict, secretary=None) -> dict:
    data = {"att-present": [u.pk for u in present]}
    if secretary is not None:
        data["sec-secretary"] = secretary.pk
    for item in session.items.all():
        decision, votes = decisions.get(item.position, ("", None))
        prefix = f"item-{item.pk}"
        data.update(
            {
                f"{prefix}-heard": f"{item.title}: баяндама",
                f"{prefix}-speakers": "Сыдыкова Г.",
                f"{prefix}-resolution": "Бир добуштан кабыл алынсын." if decision else "",
                f"{prefix}-decision": decision,
                f"{prefix}-votes_for": votes[0] if votes else "",
                f"{prefix}-votes_against": votes[1] if votes else "",
                f"{prefix}-votes_abstained": votes[2] if votes else "",
            }
        )
    return data
