"""Edge cases found in review: races between a person's own requests, a school without a
director, substitutes, answers kept across returns, late council members."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import Absence
from accounts.roles import Role
from council.models import CouncilMember, MemberCategory
from documents.models import Document, Recommendation, Stage
from tests.helpers import (
    create_and_submit,
    document_fields,
    protocol_post,
    review_post,
    schedule,
    the_task,
    through_expertise,
)

pytestmark = pytest.mark.django_db


def accept(world, experts, days=5):
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=days)).isoformat()
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [e.pk for e in experts], "due_date": due},
    )


def test_a_stale_draft_save_cannot_undo_a_submission(world):
    author = world.client(world.author)
    author.post(reverse("documents:create"), {**document_fields(world), "save": "1"})
    document = Document.objects.get(author=world.author)
    from tests.conftest import pdf_upload

    author.post(
        reverse("documents:edit", args=[document.pk]),
        {**document_fields(world), "upload": pdf_upload(), "save": "1"},
    )
    author.post(reverse("documents:submit", args=[document.pk]))  # another tab submits
    author.post(  # the first tab saves its stale form
        reverse("documents:edit", args=[document.pk]),
        {**document_fields(world, title="Stale"), "save": "1"},
    )
    document.refresh_from_db()
    assert (document.stage, document.version_count) == (Stage.SCREENING, 1)
    assert document.title != "Stale"


def test_without_a_director_the_pedagogical_step_says_so_and_waits(world):
    world.director.groups.remove(Group.objects.get(name=Role.DIRECTOR))
    plan = through_expertise(world, world.secretary, "План", "work_plan")
    session = schedule(
        world, world.year.starts_on + datetime.timedelta(days=5), [plan], free="Катчы"
    )
    members = [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]
    world.client(world.secretary).post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(
            session,
            members,
            {1: ("recommend_approval", (5, 0, 0)), 2: ("other", (5, 0, 0))},
            secretary=world.secretary,
        ),
    )
    for user in (world.chair, world.secretary):
        world.client(user).post(reverse("council:protocol_confirm", args=[session.pk]))
    ped = the_task(world.chair, "pedagogical")
    response = world.client(world.chair).post(
        reverse("flows:task", args=[ped.pk]),
        {
            "outcome": "considered",
            "protocol_number": "3",
            "considered_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "no active director" in response.content.decode()
    assert the_task(world.chair, "pedagogical").pk == ped.pk
    plan.refresh_from_db()
    assert plan.stage == Stage.PEDAGOGICAL


def test_a_substitute_opens_the_document_but_the_author_never_substitutes(world):
    today = timezone.localdate()
    Absence.objects.create(
        user=world.expert1, substitute=world.teacher2, starts_on=today, ends_on=today
    )
    Absence.objects.create(
        user=world.expert2, substitute=world.author, starts_on=today, ends_on=today
    )
    document = create_and_submit(world)
    accept(world, [world.expert1, world.expert2])
    assert the_task(world.teacher2, "review")
    client = world.client(world.teacher2)
    assert client.get(reverse("documents:detail", args=[document.pk])).status_code == 200
    assert client.get(reverse("documents:version_file", args=[document.pk, 1])).status_code == 200
    assert the_task(world.expert2, "review")  # not handed to the author


def test_answers_survive_a_later_return_for_formal_fixes(world):
    document = create_and_submit(world)
    accept(world, [world.expert1])
    task = the_task(world.expert1, "review")
    world.client(world.expert1).post(
        reverse("flows:task", args=[task.pk]), review_post("revise", ["Сунуш"])
    )
    decide = the_task(world.chair, "decide")
    world.client(world.chair).post(
        reverse("flows:task", args=[decide.pk]), {"decision": "revise", "reason": ""}
    )
    rec = Recommendation.objects.get()
    revise = the_task(world.author, "revise")
    world.client(world.author).post(
        reverse("flows:task", args=[revise.pk]),
        {**document_fields(world), f"rec-{rec.pk}-answer": "accepted", "submit": "1"},
    )
    screen = the_task(world.chair, "screen")
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]), {"action": "return", "reason": "Бет номерлери"}
    )
    fix = the_task(world.author, "fix")
    world.client(world.author).post(
        reverse("flows:task", args=[fix.pk]), {**document_fields(world), "save": "1"}
    )
    rec.refresh_from_db()
    assert (rec.answer, rec.answered_in.number) == ("accepted", 2)
    document.refresh_from_db()
    assert document.version_count == 2


def test_the_academic_year_is_fixed_once_submitted(world):
    from accounts.models import AcademicYear

    other = AcademicYear.objects.create(
        starts_on=world.year.starts_on.replace(year=world.year.starts_on.year + 1),
        ends_on=world.year.ends_on.replace(year=world.year.ends_on.year + 1),
    )
    document = create_and_submit(world)
    screen = the_task(world.chair, "screen")
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]), {"action": "return", "reason": "x"}
    )
    fix = the_task(world.author, "fix")
    world.client(world.author).post(
        reverse("flows:task", args=[fix.pk]),
        {**document_fields(world, academic_year=other.pk), "submit": "1"},
    )
    document.refresh_from_db()
    assert document.academic_year == world.year
    assert the_task(world.chair, "screen")  # resubmitted in its own year


def test_the_inbox_shows_an_experts_extended_due_date(world):
    document = create_and_submit(world)
    accept(world, [world.expert1], days=3)
    review = document.rounds.get().reviews.get()
    later = timezone.localdate() + datetime.timedelta(days=20)
    world.client(world.chair).post(
        reverse("documents:review_extend", args=[document.pk, review.pk]),
        {"due_date": later.isoformat()},
    )
    rows = world.client(world.expert1).get(reverse("flows:inbox")).context["rows"]
    assert rows[0]["due_date"] == later


def test_a_member_added_after_scheduling_can_be_marked_present(world):
    schedule(world, world.year.starts_on + datetime.timedelta(days=2), free="Биринчи")
    session = schedule(world, world.year.starts_on + datetime.timedelta(days=30), free="Маселе")
    CouncilMember.objects.create(
        council=world.council, user=world.teacher2, category=MemberCategory.CREATIVE_GROUP
    )
    members = [
        world.chair,
        world.expert1,
        world.expert2,
        world.expert3,
        world.secretary,
        world.teacher2,
    ]
    world.client(world.secretary).post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, members, {1: ("other", (6, 0, 0))}),
    )
    assert session.attendance.filter(present=True).count() == 6
