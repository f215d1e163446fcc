"""One behaviour per test of the flow's services and assignment, each named after what
would have broken (the stories in test_expertise_story.py drive them end to end)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.status import STATUS

from accounts.models import Absence
from council.models import AgendaItem
from documents.models import Document, Review, Stage
from flows import services
from flows.flows import ExpertiseFlow
from flows.models import ExpertiseProcess
from tests.helpers import create_and_submit, open_tasks, the_task, through_expertise

pytestmark = pytest.mark.django_db

Route = ExpertiseProcess.CouncilRoute


def away(user, substitute) -> Absence:
    today = timezone.localdate()
    return Absence.objects.create(
        user=user, substitute=substitute, starts_on=today, ends_on=today + datetime.timedelta(3)
    )


def at_pedagogical_council(world) -> Document:
    """Recommended by the expertise and by the council: the chair's pedagogical step."""
    document = through_expertise(world, world.author, "Өнүгүү программасы")
    services.council_decisions_apply(
        decisions=[(document, AgendaItem.Decision.RECOMMEND_APPROVAL, "Протокол №1")],
        actor=world.chair,
    )
    return document


def record_considered(world, task) -> None:
    services.task_perform(
        task=task,
        actor=world.chair,
        step=lambda act: services.pedagogical_record(
            activation=act,
            actor=world.chair,
            considered=True,
            protocol_number="3",
            considered_on=timezone.localdate(),
            reason="",
        ),
    )


def activation_of(task):
    return task.flow_task.activation_class(task)


# -- who gets a task, and whom a substitute acts for -----------------------------------


def test_it_leaves_the_pedagogical_task_untouched_when_the_director_is_away(world):
    # The check "is there a director?" used to assign the director's substitute and write
    # "acting for the director" onto the chair's pedagogical task.
    away(world.director, world.teacher2)
    at_pedagogical_council(world)
    pedagogical = the_task(world.chair, "pedagogical")
    record_considered(world, pedagogical)
    pedagogical.refresh_from_db()
    assert pedagogical.status == STATUS.DONE
    assert "acting_for" not in pedagogical.data


def test_it_records_acting_for_on_the_directors_task_given_to_the_substitute(world):
    away(world.director, world.teacher2)
    at_pedagogical_council(world)
    record_considered(world, the_task(world.chair, "pedagogical"))
    approve = the_task(world.teacher2, "approve")
    assert approve.data["acting_for"] == world.director.pk


def test_it_records_acting_for_on_the_chairs_task_given_to_the_substitute(world):
    away(world.chair, world.secretary)
    create_and_submit(world)
    screen = the_task(world.secretary, "screen")
    assert screen.data["acting_for"] == world.chair.pk


def test_it_answers_who_holds_a_step_without_writing_on_the_task(world):
    away(world.chair, world.secretary)
    away(world.director, world.teacher2)
    create_and_submit(world)
    screen = the_task(world.secretary, "screen")
    before = dict(screen.data)
    activation = activation_of(screen)
    flow = ExpertiseFlow.instance
    assert flow.chair_of(activation) == world.chair  # the holder, not their substitute
    assert flow.director_of(activation) == world.director
    assert activation.task.data == before
    screen.refresh_from_db()
    assert screen.data == before


def test_it_never_hands_the_authors_own_document_to_them_as_substitute(world):
    away(world.chair, world.author)
    create_and_submit(world)
    screen = the_task(world.chair, "screen")
    assert "acting_for" not in screen.data


# -- reassignment through viewflow -----------------------------------------------------


def test_it_moves_a_replaced_review_through_viewflows_reassign(world, monkeypatch):
    create_and_submit(world)
    services.task_perform(
        task=the_task(world.chair, "screen"),
        actor=world.chair,
        step=lambda act: services.screening_accept(
            activation=act,
            actor=world.chair,
            experts=[world.expert1],
            due_date=timezone.localdate() + datetime.timedelta(days=5),
        ),
    )
    task = the_task(world.expert1, "review")
    calls = []
    transition = ViewActivation.__dict__["reassign"]  # viewflow's transition descriptor
    original = transition._func

    def spy(activation, *args, **kwargs):
        calls.append((activation.task.pk, kwargs.get("user")))
        return original(activation, *args, **kwargs)

    monkeypatch.setattr(transition, "_func", spy)
    old = Review.objects.get(pk=task.data["review"])
    new = services.review_replace(review=old, actor=world.chair, expert=world.expert2)
    assert calls == [(task.pk, world.expert2)]
    task.refresh_from_db()
    assert (task.owner, task.status) == (world.expert2, STATUS.ASSIGNED)
    assert task.data == {"expert": world.expert2.pk, "review": new.pk}


def test_it_gives_a_nobodys_task_to_its_new_owner_acting_for_nobody(world):
    away(world.chair, world.secretary)
    create_and_submit(world)
    screen = the_task(world.secretary, "screen")
    world.secretary.is_active = False
    world.secretary.save(update_fields=["is_active"])
    services.task_reassign(task=screen, actor=world.admin, new_owner=world.chair)
    screen.refresh_from_db()
    assert (screen.owner, screen.status) == (world.chair, STATUS.ASSIGNED)
    assert "acting_for" not in screen.data


# -- typed outcomes --------------------------------------------------------------------


def test_it_fails_loudly_on_a_misspelt_council_decision():
    # A bare string used to fall through to the gateway's default branch (postponed).
    activation = SimpleNamespace(process=ExpertiseProcess())
    with pytest.raises(ValueError):
        ExpertiseFlow.instance.record_council_decision(activation, "recomend_approval")


@pytest.mark.parametrize(
    ("decision", "route"),
    [
        (AgendaItem.Decision.RECOMMEND_APPROVAL, Route.RECOMMEND_APPROVAL),
        (AgendaItem.Decision.RETURN, Route.RETURN),
        (AgendaItem.Decision.POSTPONE, Route.POSTPONE),
        (AgendaItem.Decision.OTHER, Route.POSTPONE),
    ],
)
def test_it_routes_each_protocol_decision(decision, route):
    assert Route.of(decision) == route


def test_it_sends_a_document_the_council_returns_back_to_its_author(world):
    document = through_expertise(world, world.author, "Өнүгүү программасы")
    services.council_decisions_apply(
        decisions=[(document, AgendaItem.Decision.RETURN, "Протокол №1")], actor=world.chair
    )
    document.refresh_from_db()
    assert document.stage == Stage.REVISION
    assert the_task(world.author, "revise")
    assert ExpertiseProcess.objects.get(document=document).council_decision == Route.RETURN


def test_it_keeps_a_postponed_document_waiting_for_a_later_session(world):
    document = through_expertise(world, world.author, "Өнүгүү программасы")
    services.council_decisions_apply(
        decisions=[(document, AgendaItem.Decision.OTHER, "Протокол №1")], actor=world.chair
    )
    document.refresh_from_db()
    assert document.stage == Stage.RECOMMENDED
    process = ExpertiseProcess.objects.get(document=document)
    assert process.council_decision == Route.POSTPONE
    waiting = process.task_set.filter(status=STATUS.NEW)
    assert [t.flow_task.name for t in waiting] == ["council_session"]


def test_it_approves_through_the_directors_choice(world):
    at_pedagogical_council(world)
    record_considered(world, the_task(world.chair, "pedagogical"))
    response = world.client(world.director).post(
        reverse("flows:task", args=[the_task(world.director, "approve").pk]),
        {"outcome": ExpertiseProcess.DirectorDecision.APPROVE, "reason": ""},
    )
    assert response.status_code == 302
    process = ExpertiseProcess.objects.get()
    assert process.director_outcome == ExpertiseProcess.DirectorOutcome.APPROVED
    assert process.document.registry_number == f"{world.year.starts_on.year}-001"


def test_it_moves_no_document_when_one_council_decision_cannot_be_applied(world):
    from viewflow.workflow.models import Task

    recommended = through_expertise(world, world.author, "Өнүгүү программасы")
    draft = Document.objects.create(
        school=world.school,
        author=world.teacher2,
        doc_type=recommended.doc_type,
        title="Долбоор",
        academic_year=world.year,
    )  # never submitted: no council step to release
    with pytest.raises(Task.DoesNotExist):
        services.council_decisions_apply(
            decisions=[
                (recommended, AgendaItem.Decision.RECOMMEND_APPROVAL, "Протокол №1"),
                (draft, AgendaItem.Decision.RECOMMEND_APPROVAL, "Протокол №1"),
            ],
            actor=world.chair,
        )
    recommended.refresh_from_db()
    assert recommended.stage == Stage.RECOMMENDED
    assert not open_tasks(world.chair, "pedagogical")
