"""Nobody's tasks: when a person leaves (deactivated) or a role changes hands, their open
tasks stay visible to the school administrator and the chair, who hand each to someone
who may take it, through viewflow's reassign; the timeline records it, the new owner is
told, and the work goes on."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from viewflow.workflow.status import STATUS

from council.models import CouncilTask
from documents.models import DocumentEvent, EventKind, Review
from notifications.models import Kind, Notification
from tests.helpers import (
    create_and_submit,
    document_fields,
    review_post,
    the_task,
)

pytestmark = pytest.mark.django_db


def assign(world, experts):
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [e.pk for e in experts], "due_date": due},
    )


def admin_deactivate(client, user):
    """Untick "active" on the person's admin page, sending back everything else as is."""
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = MultiValueDict()
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, list | tuple):
            if hasattr(field.widget, "widgets"):  # split date and time
                for i, part in enumerate(form[name].field.widget.decompress(value)):
                    data[f"{name}_{i}"] = "" if part is None else str(part)
            else:
                data.setlist(name, [str(v) for v in value])
        elif hasattr(field.widget, "widgets"):
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    data.pop("is_active", None)
    return client.post(url, data)


def unowned_rows(world, user, **params):
    response = world.client(user).get(reverse("flows:unowned"), params)
    assert response.status_code == 200
    return response.context["rows"]


def test_deactivating_an_expert_asks_to_whom_their_review_goes(world):
    document = create_and_submit(world)
    assign(world, [world.expert1, world.expert2])
    task = the_task(world.expert1, "review")

    response = admin_deactivate(world.client(world.admin), world.expert1)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('flows:unowned')}?person={world.expert1.pk}"
    world.expert1.refresh_from_db()
    assert not world.expert1.is_active

    rows = unowned_rows(world, world.admin, person=world.expert1.pk)
    assert [r["task"].pk for r in rows] == [task.pk]
    candidates = {c.username for c in rows[0]["candidates"]}
    assert "expert3" in candidates
    assert not candidates & {"author", "expert1", "teacher2", "director"}

    response = world.client(world.admin).post(
        reverse("flows:reassign", args=[task.pk]), {"owner": world.expert3.pk}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner_id, task.status) == (world.expert3.pk, STATUS.ASSIGNED)
    event = DocumentEvent.objects.get(document=document, kind=EventKind.TASK_REASSIGNED)
    assert event.actor == world.admin and "Үмүт" in event.note
    assert Notification.objects.filter(recipient=world.expert3, kind=Kind.TASK_ASSIGNED).exists()
    assert unowned_rows(world, world.admin) == []

    # The new owner opens the document and gives the review, acting for the expert.
    client = world.client(world.expert3)
    assert client.get(reverse("documents:detail", args=[document.pk])).status_code == 200
    response = client.post(reverse("flows:task", args=[task.pk]), review_post("approve", []))
    assert response.status_code == 302
    review = Review.objects.get(expert=world.expert1)
    assert review.submitted_at and review.acting_expert == world.expert3


def test_a_new_chair_is_offered_for_the_old_chairs_step(world):
    create_and_submit(world)
    from council.services import council_roles_sync

    screen = the_task(world.chair, "screen")
    world.council.chair = world.secretary
    world.council.save()
    council_roles_sync(council=world.council)  # what the council's admin page does
    rows = unowned_rows(world, world.admin)
    assert [r["task"].pk for r in rows] == [screen.pk]
    assert rows[0]["reason"] == "role" and rows[0]["suggested"] == world.secretary.pk
    html = world.client(world.admin).get(reverse("flows:unowned")).content.decode()
    assert "the role&#x27;s new holder" in html or "the role's new holder" in html
    # The new chair hands it to themself.
    world.client(world.secretary).post(
        reverse("flows:reassign", args=[screen.pk]), {"owner": world.secretary.pk}
    )
    assert the_task(world.secretary, "screen").pk == screen.pk


def test_a_revision_taken_over_makes_a_new_author(world):
    document = create_and_submit(world)
    assign(world, [world.expert1])
    review = the_task(world.expert1, "review")
    world.client(world.expert1).post(
        reverse("flows:task", args=[review.pk]), review_post("approve", [])
    )
    decide = the_task(world.chair, "decide")
    world.client(world.chair).post(
        reverse("flows:task", args=[decide.pk]), {"decision": "revise", "reason": "Оңдоңуз"}
    )
    revise = the_task(world.author, "revise")
    world.author.is_active = False
    world.author.save(update_fields=["is_active"])
    rows = unowned_rows(world, world.chair)
    assert [r["task"].pk for r in rows] == [revise.pk] and rows[0]["becomes_author"]
    world.client(world.chair).post(
        reverse("flows:reassign", args=[revise.pk]), {"owner": world.teacher2.pk}
    )
    document.refresh_from_db()
    assert document.author == world.teacher2
    assert Notification.objects.filter(recipient=world.teacher2, kind=Kind.TASK_ASSIGNED).exists()
    response = world.client(world.teacher2).post(
        reverse("flows:task", args=[revise.pk]), {**document_fields(world), "submit": "1"}
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.version_count == 2


def test_only_the_admin_and_the_chair_hand_tasks_over(world):
    create_and_submit(world)
    assign(world, [world.expert1])
    task = the_task(world.expert1, "review")
    world.expert1.is_active = False
    world.expert1.save(update_fields=["is_active"])
    for user in (world.author, world.expert2, world.director, world.secretary):
        client = world.client(user)
        assert client.get(reverse("flows:unowned")).status_code == 403
        response = client.post(reverse("flows:reassign", args=[task.pk]), {"owner": user.pk})
        assert response.status_code == 403
    # Another school's chair does not even find it.
    response = world.client(world.outsider).post(
        reverse("flows:reassign", args=[task.pk]), {"owner": world.outsider.pk}
    )
    assert response.status_code == 404
    # Someone who may not review, or garbage, is refused with a message.
    for owner in (world.author.pk, world.teacher2.pk, "x", ""):
        response = world.client(world.chair).post(
            reverse("flows:reassign", args=[task.pk]), {"owner": owner}, follow=True
        )
        assert response.status_code == 200
        assert response.context["messages"]
    task.refresh_from_db()
    assert task.owner_id == world.expert1.pk


def test_a_task_with_an_active_owner_is_not_taken_away(world):
    create_and_submit(world)
    assign(world, [world.expert1])
    task = the_task(world.expert1, "review")
    response = world.client(world.chair).post(
        reverse("flows:reassign", args=[task.pk]), {"owner": world.expert2.pk}, follow=True
    )
    assert "has an active owner" in response.content.decode()
    task.refresh_from_db()
    assert task.owner_id == world.expert1.pk


def test_a_council_step_of_a_departed_secretary_is_listed(world):
    from tests.helpers import schedule

    session = schedule(world, world.year.starts_on + datetime.timedelta(days=30), free="Маселе")
    step = CouncilTask.objects.get(assignee=world.secretary, session=session)
    world.secretary.is_active = False
    world.secretary.save(update_fields=["is_active"])
    rows = unowned_rows(world, world.admin)
    assert [r["council_step"].pk for r in rows] == [step.pk]
    html = world.client(world.admin).get(reverse("flows:unowned")).content.decode()
    assert 'data-testid="unowned-council-step"' in html


def test_the_list_reads_a_fixed_number_of_queries(world):
    client = world.client(world.admin)
    create_and_submit(world)
    assign(world, [world.expert1])
    world.expert1.is_active = False
    world.expert1.save(update_fields=["is_active"])
    client.get(reverse("flows:unowned"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("flows:unowned"))
    for n in range(3):
        create_and_submit(world, title=f"Сабактын планы {n}")
    world.council.chair = world.secretary
    world.council.save()
    with CaptureQueriesContext(connection) as more:
        response = client.get(reverse("flows:unowned"))
    assert len(response.context["rows"]) == 4
    assert len(more) <= len(one) + 1  # one more role's holders (the chair's)


def test_when_the_director_changes_the_new_director_is_offered_the_approval(world):
    from django.contrib.auth.models import Group

    from accounts.roles import Role
    from tests.helpers import protocol_post, schedule, through_expertise

    members = [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]
    plan = through_expertise(world, world.secretary, "Иш планы", "work_plan")
    first = schedule(world, world.year.starts_on + datetime.timedelta(days=20), [plan], free="Х")
    world.client(world.secretary).post(
        reverse("council:protocol_edit", args=[first.pk]),
        protocol_post(
            first,
            members,
            {1: ("recommend_approval", (5, 0, 0)), 2: ("other", (5, 0, 0))},
            secretary=world.secretary,
        ),
    )
    for user in (world.chair, world.secretary):
        world.client(user).post(reverse("council:protocol_confirm", args=[first.pk]))
    ped = the_task(world.chair, "pedagogical")
    world.client(world.chair).post(
        reverse("flows:task", args=[ped.pk]),
        {
            "outcome": "considered",
            "protocol_number": "3",
            "considered_on": timezone.localdate().isoformat(),
        },
    )
    approve = the_task(world.director, "approve")

    # The director's role goes to the second teacher; the old director stays active.
    directors = Group.objects.get(name=Role.DIRECTOR)
    directors.user_set.remove(world.director)
    directors.user_set.add(world.teacher2)
    rows = unowned_rows(world, world.admin)
    assert [r["task"].pk for r in rows] == [approve.pk]
    assert rows[0]["reason"] == "role" and rows[0]["suggested"] == world.teacher2.pk
    world.client(world.admin).post(
        reverse("flows:reassign", args=[approve.pk]), {"owner": world.teacher2.pk}
    )
    response = world.client(world.teacher2).post(
        reverse("flows:task", args=[approve.pk]), {"outcome": "approve", "reason": ""}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.stage == "approved" and plan.approved_by == world.teacher2
