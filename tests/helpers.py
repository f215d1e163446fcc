"""Helpers the tests share: a persona's open tasks, the forms of the document and the
review as a browser posts them, and a document submitted through the real endpoints.

Import them from here (never from another test module): a test file holds tests.
`story_step` makes a long story's failure name its step."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from documents.models import Document
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
