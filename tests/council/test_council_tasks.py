"""The council's steps in people's inboxes: the agenda (the chair, once a document is
recommended), the protocol (the secretary, or the chair until one is elected, once the
session's date has come), its confirmation (each of the chair and the secretary). Each
appears for the right person at the right time, with a due date and a notice, counts in
the inbox badge, and disappears when done."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from council.models import CouncilTask
from council.services import council_tasks_due
from flows.selectors import inbox_count
from notifications.models import Kind, Notification
from tests.helpers import protocol_post, schedule, through_expertise

pytestmark = pytest.mark.django_db

MEMBERS = ("chair", "expert1", "expert2", "expert3", "secretary")


def steps(user) -> list[tuple[str, int | None]]:
    return [
        (t.kind, t.session_id)
        for t in CouncilTask.objects.filter(assignee=user, status="open").order_by("pk")
    ]


def inbox_html(world, user) -> str:
    response = world.client(user).get(reverse("flows:inbox"))
    assert response.status_code == 200
    return response.content.decode()


def first_session_done(world):
    """Session №1 already held (its protocol confirmed): later sessions are ordinary."""
    from council.models import Protocol

    session = schedule(world, world.year.starts_on + datetime.timedelta(days=2), free="Катчы")
    Protocol.objects.filter(session=session).update(confirmed_at=timezone.now(), number=1)
    CouncilTask.objects.filter(session=session).delete()
    return session


def test_a_recommended_document_puts_the_agenda_in_the_chairs_inbox(world):
    assert steps(world.chair) == []
    document = through_expertise(world, world.author, "Өнүгүү программасы")
    assert steps(world.chair) == [(CouncilTask.Kind.AGENDA, None)]
    task = CouncilTask.objects.get(assignee=world.chair)
    year = world.year
    quarter_end = year.quarter_bounds()[year.quarter_of(timezone.localdate()) - 1][1]
    assert task.due_date == quarter_end
    html = inbox_html(world, world.chair)
    assert "Put the recommended documents on a session" in html
    assert reverse("council:session_new") in html
    assert inbox_count(world.chair) == 1
    notice = Notification.objects.get(recipient=world.chair, dedupe_key=f"council_task:{task.pk}")
    assert notice.kind == Kind.TASK_ASSIGNED and document.title in notice.params["document"]
    for other in (world.secretary, world.expert1, world.author):
        assert steps(other) == []

    # A second recommended document: still one agenda step.
    through_expertise(world, world.author, "Билим берүү программасы")
    assert len(steps(world.chair)) == 1

    # Putting only one on an agenda leaves the step open; the second closes it.
    future = timezone.localdate() + datetime.timedelta(days=10)
    schedule(world, future, [document])
    assert steps(world.chair) == [(CouncilTask.Kind.AGENDA, None)]
    other = world.council.school.documents.get(title="Билим берүү программасы")
    schedule(world, future, [other])
    assert steps(world.chair) == []
    assert CouncilTask.objects.get(pk=task.pk).status == CouncilTask.Status.DONE
    assert "Put the recommended documents" not in inbox_html(world, world.chair)


def test_the_protocol_step_waits_for_the_session_date(world):
    first_session_done(world)
    today = timezone.localdate()
    session = schedule(world, today + datetime.timedelta(days=3), free="Маселе")
    assert steps(world.secretary) == []
    assert council_tasks_due(today=today) == 0
    assert steps(world.secretary) == []

    # The day comes: the periodic job opens the secretary's step, once.
    day = today + datetime.timedelta(days=3)
    assert council_tasks_due(today=day) == 1
    assert council_tasks_due(today=day) == 0
    assert steps(world.secretary) == [(CouncilTask.Kind.PROTOCOL, session.pk)]
    task = CouncilTask.objects.get(assignee=world.secretary)
    assert task.due_date == day + datetime.timedelta(days=7)
    assert Notification.objects.filter(
        recipient=world.secretary, dedupe_key=f"council_task:{task.pk}"
    ).exists()
    assert steps(world.chair) == []  # a secretary is elected: not the chair's to write


def test_write_then_confirm_each_step_disappears_when_done(world):
    first_session_done(world)
    day = world.year.starts_on + datetime.timedelta(days=30)  # already past
    session = schedule(world, day, free="Маселе")
    assert steps(world.secretary) == [(CouncilTask.Kind.PROTOCOL, session.pk)]
    html = inbox_html(world, world.secretary)
    assert reverse("council:protocol_edit", args=[session.pk]) in html
    assert inbox_count(world.secretary) == 1

    members = [getattr(world, name) for name in MEMBERS]
    secretary = world.client(world.secretary)
    response = secretary.post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, members, {1: ("other", (5, 0, 0))}),
    )
    assert response.status_code == 302
    # Written: the protocol step is done; both confirmations wait.
    assert steps(world.secretary) == [(CouncilTask.Kind.CONFIRM, session.pk)]
    assert steps(world.chair) == [(CouncilTask.Kind.CONFIRM, session.pk)]
    assert reverse("council:session", args=[session.pk]) in inbox_html(world, world.chair)

    world.client(world.chair).post(reverse("council:protocol_confirm", args=[session.pk]))
    assert steps(world.chair) == []
    assert steps(world.secretary) == [(CouncilTask.Kind.CONFIRM, session.pk)]

    # An edit after one signature needs both again: the chair's step comes back.
    secretary.post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, members, {1: ("other", (4, 1, 0))}),
    )
    assert steps(world.chair) == [(CouncilTask.Kind.CONFIRM, session.pk)]
    world.client(world.chair).post(reverse("council:protocol_confirm", args=[session.pk]))
    secretary.post(reverse("council:protocol_confirm", args=[session.pk]))
    assert steps(world.chair) == steps(world.secretary) == []
    assert not CouncilTask.objects.filter(status="open").exists()
    assert inbox_count(world.secretary) == 0


def test_until_a_secretary_is_elected_the_chair_writes_the_protocol(world):
    world.council.secretary = None
    world.council.save()
    day = world.year.starts_on + datetime.timedelta(days=20)
    session = schedule(world, day, free="Катчыны шайлоо")
    assert steps(world.chair) == [(CouncilTask.Kind.PROTOCOL, session.pk)]
    assert steps(world.secretary) == []


def test_a_new_secretary_takes_over_the_open_step(world):
    from council.services import council_tasks_sync

    first_session_done(world)
    session = schedule(world, world.year.starts_on + datetime.timedelta(days=30), free="Маселе")
    old = CouncilTask.objects.get(assignee=world.secretary)
    world.council.secretary = world.expert2
    world.council.save()
    council_tasks_sync(council=world.council)
    assert steps(world.expert2) == [(CouncilTask.Kind.PROTOCOL, session.pk)]
    assert steps(world.secretary) == []
    assert CouncilTask.objects.get(pk=old.pk).status == CouncilTask.Status.HANDED_OVER


def test_the_compliance_page_links_to_the_open_steps(world):
    first_session_done(world)
    session = schedule(world, world.year.starts_on + datetime.timedelta(days=30), free="Маселе")
    page = world.client(world.secretary).get(reverse("council:compliance"))
    html = page.content.decode()
    assert 'data-testid="open-step"' in html
    assert reverse("council:protocol_edit", args=[session.pk]) in html
    # The chair sees the secretary's step, linked to the session page.
    html = world.client(world.chair).get(reverse("council:compliance")).content.decode()
    assert reverse("council:session", args=[session.pk]) in html


def test_the_inbox_reads_council_steps_in_a_fixed_number_of_queries(world):
    first_session_done(world)
    client = world.client(world.secretary)
    url = reverse("flows:inbox")
    schedule(world, world.year.starts_on + datetime.timedelta(days=30), free="Маселе")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(4):
        schedule(world, world.year.starts_on + datetime.timedelta(days=31 + n), free="Маселе")
    assert len(steps(world.secretary)) == 5
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert len(response.context["council_steps"]) == 5
    assert len(five) == len(one)


def test_a_new_secretary_chosen_in_the_admin_takes_over_the_step(world):
    from council.models import CouncilMember

    first_session_done(world)
    session = schedule(world, world.year.starts_on + datetime.timedelta(days=30), free="Маселе")
    members = list(CouncilMember.objects.filter(council=world.council).order_by("pk"))
    data = {
        "school": world.school.pk,
        "academic_year": world.year.pk,
        "chair": world.chair.pk,
        "secretary": world.expert2.pk,
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": str(len(members)),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    for i, member in enumerate(members):
        data.update(
            {
                f"members-{i}-id": member.pk,
                f"members-{i}-council": world.council.pk,
                f"members-{i}-user": member.user_id,
                f"members-{i}-category": member.category,
            }
        )
    response = world.client(world.admin).post(
        reverse("admin:council_council_change", args=[world.council.pk]), data
    )
    assert response.status_code == 302
    assert steps(world.expert2) == [(CouncilTask.Kind.PROTOCOL, session.pk)]
    assert steps(world.secretary) == []


def test_a_postponed_document_asks_for_an_agenda_again_and_a_recommended_one_does_not(world):
    first_session_done(world)
    postponed = through_expertise(world, world.author, "Өнүгүү программасы")
    approved = through_expertise(world, world.author, "Билим берүү программасы")
    session = schedule(
        world, world.year.starts_on + datetime.timedelta(days=30), [postponed, approved]
    )
    assert steps(world.chair) == []  # both on the agenda
    members = [getattr(world, name) for name in MEMBERS]
    by_document = {item.document_id: item.position for item in session.items.all()}
    world.client(world.secretary).post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(
            session,
            members,
            {
                by_document[postponed.pk]: ("postpone", (5, 0, 0)),
                by_document[approved.pk]: ("recommend_approval", (5, 0, 0)),
            },
        ),
    )
    world.client(world.chair).post(reverse("council:protocol_confirm", args=[session.pk]))
    world.client(world.secretary).post(reverse("council:protocol_confirm", args=[session.pk]))
    # The postponed document waits for another session: the chair is asked again, once.
    assert steps(world.chair) == [(CouncilTask.Kind.AGENDA, None)]
    notices = Notification.objects.filter(recipient=world.chair, kind=Kind.TASK_ASSIGNED)
    latest = notices.order_by("-pk").first()
    assert latest.params["document"] == postponed.title


@pytest.mark.django_db(transaction=True)
def test_two_documents_recommended_at_once_open_one_agenda_step(monkeypatch):
    """Two decisions in two threads and connections (PostgreSQL): the council's row lock
    makes them open one agenda step; without it the second hits the unique constraint."""
    import threading
    import time

    from django.test import Client

    from council import services as council_services
    from tests.conftest import build_world
    from tests.helpers import create_and_submit, review_post, the_task

    assert connection.vendor == "postgresql"
    world = build_world()
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()

    for title in ("Биринчи документ", "Экинчи документ"):
        create_and_submit(world, title=title)
        screen = the_task(world.chair, "screen")
        world.client(world.chair).post(
            reverse("flows:task", args=[screen.pk]),
            {"action": "accept", "experts": [world.expert1.pk], "due_date": due},
        )
        review = the_task(world.expert1, "review")
        world.client(world.expert1).post(
            reverse("flows:task", args=[review.pk]), review_post("approve", [])
        )
    from viewflow.workflow.models import Task

    decides = list(Task.objects.filter(owner=world.chair, status="ASSIGNED"))
    assert len(decides) == 2
    original = council_services._wanted_steps

    def slow_wanted_steps(council, today):
        result = original(council, today)
        time.sleep(0.5)  # both would decide "no agenda step yet" without the lock
        return result

    monkeypatch.setattr(council_services, "_wanted_steps", slow_wanted_steps)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def decide(task):
        try:
            client = Client()
            client.force_login(world.chair)
            barrier.wait()
            response = client.post(
                reverse("flows:task", args=[task.pk]), {"decision": "recommend", "reason": ""}
            )
            results.append(response.status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(task,)) for task in decides]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert results == [302, 302]
    assert CouncilTask.objects.filter(kind="agenda", status="open").count() == 1
