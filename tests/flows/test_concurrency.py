"""Two experts finish the last two reviews at the same moment, each in its own thread and
database connection (PostgreSQL; on SQLite select_for_update does nothing)."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from council.models import AgendaItem
from documents.models import Document, Review, Stage
from flows import services as flow_services
from flows.models import ExpertiseProcess
from tests.conftest import build_world
from tests.helpers import create_and_submit, open_tasks, review_post, the_task, through_expertise


@pytest.mark.django_db(transaction=True)
def test_two_last_reviews_at_once_make_exactly_one_consolidation(monkeypatch):
    assert connection.vendor == "postgresql", "the flow lock is only real on PostgreSQL"
    world = build_world()
    document = create_and_submit(world)
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [e.pk for e in world.experts], "due_date": due},
    )
    first = the_task(world.expert1, "review")
    world.client(world.expert1).post(
        reverse("flows:task", args=[first.pk]), review_post("approve", [])
    )

    # Hold each review's transaction open after the flow has moved on, so that without the
    # flow lock both would reach the join before either commits (verified: with
    # viewflow's no_lock this test fails).
    original = flow_services.review_complete

    def slow_review_complete(**kwargs):
        result = original(**kwargs)
        time.sleep(0.6)
        return result

    monkeypatch.setattr(flow_services, "review_complete", slow_review_complete)

    last_two = [
        (world.expert2, the_task(world.expert2, "review")),
        (world.expert3, the_task(world.expert3, "review")),
    ]
    barrier = threading.Barrier(len(last_two))
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def finish(expert, task):
        try:
            client = Client()
            client.force_login(expert)
            barrier.wait()
            response = client.post(
                reverse("flows:task", args=[task.pk]),
                review_post("approve_with_changes", [f"{expert.username}: сунуш"]),
            )
            results[expert.username] = response.status_code
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=finish, args=pair) for pair in last_two]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors, errors
    assert results == {"expert2": 302, "expert3": 302}
    assert Review.objects.filter(round__document=document, submitted_at__isnull=False).count() == 3
    process_tasks = Task.objects.filter(process__expertiseprocess__document=document)
    decides = [t for t in process_tasks if t.flow_task.name == "decide"]
    joins = [t for t in process_tasks if t.flow_task.name == "join_reviews"]
    assert len(decides) == 1 and decides[0].status == STATUS.ASSIGNED
    assert [j.status for j in joins] == [STATUS.DONE]
    assert not process_tasks.filter(status=STATUS.ERROR).exists()
    document.refresh_from_db()
    assert document.stage == Stage.DECISION


@pytest.mark.django_db(transaction=True)
def test_two_approvals_in_one_school_and_year_at_once_are_numbered_001_and_002(monkeypatch):
    """Two directors' approvals of one school and year at the same moment, each in its own
    thread and connection: both succeed, and the registry numbers are …-001 and …-002.
    Different documents are different processes, so the flow lock does not serialize
    them; the school's row lock around the registry number does (verified: without it,
    both count the same approvals and the second approval fails on the unique number)."""
    from documents import services as document_services

    assert connection.vendor == "postgresql", "row locks are only real on PostgreSQL"
    world = build_world()
    documents = [
        through_expertise(world, world.author, "Өнүгүү программасы"),
        through_expertise(world, world.teacher2, "Билим берүү программасы"),
    ]
    flow_services.council_decisions_apply(
        decisions=[(d, AgendaItem.Decision.RECOMMEND_APPROVAL, "Протокол №1") for d in documents],
        actor=world.chair,
    )
    for task in open_tasks(world.chair, "pedagogical"):
        response = world.client(world.chair).post(
            reverse("flows:task", args=[task.pk]),
            {
                "outcome": ExpertiseProcess.PedagogicalOutcome.CONSIDERED,
                "protocol_number": "3",
                "considered_on": timezone.localdate().isoformat(),
            },
        )
        assert response.status_code == 302
    approvals = open_tasks(world.director, "approve")
    assert len(approvals) == 2

    # Both reach the count together (the barrier); each then holds its transaction open a
    # moment after counting, so that without the lock both would count zero approvals.
    original = document_services.registry_number_next

    def slow_registry_number_next(**kwargs):
        number = original(**kwargs)
        time.sleep(0.6)
        return number

    monkeypatch.setattr(document_services, "registry_number_next", slow_registry_number_next)
    barrier = threading.Barrier(len(approvals))
    results: dict[int, int] = {}
    errors: list[BaseException] = []

    def approve(task):
        try:
            client = Client(raise_request_exception=True)
            client.force_login(world.director)
            barrier.wait()
            response = client.post(
                reverse("flows:task", args=[task.pk]),
                {"outcome": ExpertiseProcess.DirectorDecision.APPROVE, "reason": ""},
            )
            results[task.pk] = response.status_code
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(task,)) for task in approvals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors, errors
    assert list(results.values()) == [302, 302]
    year = world.year.starts_on.year
    approved = Document.objects.filter(pk__in=[d.pk for d in documents])
    assert sorted(approved.values_list("stage", "registry_number")) == [
        (Stage.APPROVED, f"{year}-001"),
        (Stage.APPROVED, f"{year}-002"),
    ]
