"""A full academic year of the council, through the HTTP endpoints: session №1 elects the
secretary and approves the work plan, a document goes from submission to "Бекитем", a
quarter-2 session returns another, the year-end session and the annual report."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from council import tasks as council_tasks
from council.models import AgendaItem, Protocol, Session
from documents.models import DocumentEvent, EventKind, Stage
from flows import tasks
from flows.models import ExpertiseProcess
from tests.helpers import later_session, protocol_post, schedule, the_task, through_expertise

# Every step's timeline events are checked against the registry of nodes (flows/stages.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("timeline_checked_against_registry")]


def pdf_text(field) -> str:
    with field.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_year_of_the_council(world, step):
    council = world.council
    council.secretary = None  # 5.4: elected at the first session
    council.save()
    year = world.year
    q1_day = year.starts_on + datetime.timedelta(days=20)
    q2_day = year.quarter_bounds()[1][0] + datetime.timedelta(days=10)
    q4_day = year.quarter_bounds()[3][0] + datetime.timedelta(days=20)
    members = [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]

    step("1. The work plan and the program go through the expertise")
    plan = through_expertise(
        world, world.secretary, "ИМКнын 2026–2027 окуу жылына иш планы", "work_plan"
    )
    program = through_expertise(world, world.author, "Өнүгүү программасы")

    # Session №1: the secretary's election and the work plan.
    step("2. Session №1 elects the secretary and approves the work plan")
    first = schedule(world, q1_day, [plan], free="Катчыны шайлоо")
    assert first.is_first and first.quarter == 1
    chair = world.client(world.chair)
    # Until the secretary is elected, the chair writes the protocol.
    response = chair.post(
        reverse("council:protocol_edit", args=[first.pk]),
        protocol_post(
            first,
            members[:4],
            {1: ("recommend_approval", (4, 0, 0)), 2: ("other", (4, 0, 0))},
            secretary=world.secretary,
        ),
    )
    assert response.status_code == 302
    first.refresh_from_db()
    council.refresh_from_db()
    assert first.secretary_elected == world.secretary == council.secretary

    chair.post(reverse("council:protocol_confirm", args=[first.pk]))
    protocol = Protocol.objects.get(session=first)
    assert protocol.number is None and protocol.chair_confirmed_at  # one signature of two
    world.client(world.secretary).post(reverse("council:protocol_confirm", args=[first.pk]))
    protocol.refresh_from_db()
    assert protocol.number == 1 and protocol.is_confirmed
    plan.refresh_from_db()
    assert plan.stage == Stage.PEDAGOGICAL
    assert chair.post(reverse("council:session_close", args=[first.pk])).status_code == 302
    first.refresh_from_db()
    assert first.status == Session.Status.CLOSED

    # The protocol's files, rendered by the worker after the commit.
    step("3. The protocol's files are rendered")
    assert council_tasks.render_protocol(protocol.pk)
    protocol.refresh_from_db()
    text = pdf_text(protocol.pdf)
    assert "№1" in text and "УГУЛДУ" in text and "ТОКТОМ" in text
    assert chair.get(reverse("council:protocol_file", args=[first.pk, "docx"])).status_code == 200

    # The pedagogical council ("Каралды") and the director ("Бекитем").
    step("4. The pedagogical council considers the plan and the director approves it")
    ped = the_task(world.chair, "pedagogical")
    chair.post(
        reverse("flows:task", args=[ped.pk]),
        {
            "outcome": "considered",
            "protocol_number": "3",
            "considered_on": q1_day.isoformat()
            if q1_day <= datetime.date.today()
            else datetime.date.today().isoformat(),
        },
    )
    plan.refresh_from_db()
    assert (plan.stage, plan.pedagogical_protocol_number) == (Stage.DIRECTOR, "3")
    world.director.position = "Мектептин директорунун милдетин аткаруучу"
    world.director.save()
    approve = the_task(world.director, "approve")
    response = world.client(world.director).post(
        reverse("flows:task", args=[approve.pk]), {"outcome": "approve", "reason": ""}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.stage == Stage.APPROVED
    assert plan.registry_number == f"{year.starts_on.year}-001"
    assert plan.approved_by == world.director
    assert ExpertiseProcess.objects.get(document=plan).status == PROCESS.DONE

    assert tasks.render_approval_sheet(plan.pk)
    assert not tasks.render_approval_sheet(plan.pk)  # idempotent: rendered once
    plan.refresh_from_db()
    sheet = pdf_text(plan.approval_sheet)
    assert "Каралды" in sheet and "Бекитем" in sheet
    assert "№3 протоколунда" in sheet
    assert "Ажыгулова" in sheet and "милдетин аткаруучу" in sheet
    assert plan.registry_number in sheet
    download = world.client(world.secretary).get(
        reverse("documents:approval_sheet", args=[plan.pk])
    )
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"

    # Read-only after approval: no edit, no task, versions unchanged.
    step("5. The approved plan is read-only")
    author = world.client(world.secretary)
    assert author.get(reverse("documents:edit", args=[plan.pk])).status_code == 302
    assert author.post(reverse("documents:submit", args=[plan.pk])).status_code == 302
    plan.refresh_from_db()
    assert (plan.stage, plan.version_count) == (Stage.APPROVED, 1)
    assert not Task.objects.filter(
        process__expertiseprocess__document=plan, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).exists()

    # Quarter 2: the secretary writes; the council returns the program to its author.
    step("6. Quarter 2: the council returns the program to its author")
    second = schedule(world, q2_day, [program])
    assert (second.quarter, second.is_first) == (2, False)
    assert chair.get(reverse("council:protocol_edit", args=[second.pk])).status_code == 403
    secretary = world.client(world.secretary)
    secretary.post(
        reverse("council:protocol_edit", args=[second.pk]),
        protocol_post(second, members, {1: ("return", (3, 1, 1))}),
    )
    secretary.post(reverse("council:protocol_confirm", args=[second.pk]))
    chair.post(reverse("council:protocol_confirm", args=[second.pk]))
    assert Protocol.objects.get(session=second).number == 2
    program.refresh_from_db()
    assert program.stage == Stage.REVISION
    revise = the_task(world.author, "revise")
    page = world.client(world.author).get(reverse("flows:task", args=[revise.pk])).content.decode()
    assert "Протокол" in page or "Protocol №2" in page
    assert DocumentEvent.objects.filter(
        document=program, kind=EventKind.RETURNED_TO_AUTHOR
    ).exists()

    # The year-end session and the annual report.
    step("7. The year-end session and the annual report")
    last = schedule(world, q4_day, free="Окуу жылынын жыйынтыктары", year_end=True)
    secretary.post(
        reverse("council:protocol_edit", args=[last.pk]),
        protocol_post(last, members[:3], {1: ("other", (3, 0, 0))}),
    )
    secretary.post(reverse("council:protocol_confirm", args=[last.pk]))
    chair.post(reverse("council:protocol_confirm", args=[last.pk]))
    assert list(
        Protocol.objects.filter(council=council).order_by("number").values_list("number", flat=True)
    ) == [1, 2, 3]

    response = chair.post(
        reverse("council:report"), {"prepare": "1", "directions": "Функционалдык сабаттуулук."}
    )
    assert response.status_code == 302
    report = council.annual_report
    assert council_tasks.render_annual_report(report.pk)
    report.refresh_from_db()
    text = pdf_text(report.pdf)
    assert world.school.name.split()[0] in text
    page = chair.get(reverse("council:report"))
    figures = page.context["figures"]
    assert figures["per_quarter"] == [1, 1, 0, 1]
    assert figures["documents"] == 2
    assert figures["attendance_rate"] == pytest.approx((4 + 5 + 3) / 15)
    today = datetime.date.today().isoformat()
    chair.post(
        reverse("council:report"), {"presented": "1", "presented_on": today, "protocol_number": "7"}
    )
    report.refresh_from_db()
    assert (report.presented_on.isoformat(), report.pedagogical_protocol_number) == (today, "7")

    compliance = chair.get(reverse("council:compliance")).context["facts"]
    assert [q.held for q in compliance["quarters"]] == [1, 1, 0, 1]
    assert (
        compliance["secretary_elected"]
        and compliance["plan_approved"]
        and compliance["year_end_held"]
    )


def test_a_session_cannot_close_without_a_confirmed_protocol(world):
    session = later_session(world)
    response = world.client(world.chair).post(
        reverse("council:session_close", args=[session.pk]), follow=True
    )
    assert "cannot be closed without a confirmed protocol" in response.content.decode()
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED


def test_no_quorum_no_decision(world):
    session = later_session(world)
    secretary = world.client(world.secretary)
    response = secretary.post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, [world.chair, world.expert1], {1: ("other", (2, 0, 0))}),
        follow=True,
    )
    assert "no quorum" in response.content.decode()
    item = AgendaItem.objects.get(session=session)
    assert item.decision == ""
    assert session.attendance.filter(present=True).count() == 0  # the whole save was refused


def test_a_confirmed_protocol_cannot_change_and_only_chair_and_secretary_confirm(world):
    from council.services import ItemRecord, item_record

    members = [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]
    session = later_session(world)
    secretary = world.client(world.secretary)
    secretary.post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, members, {1: ("other", (5, 0, 0))}),
    )
    # The secretary writes; an expert cannot, nor confirm.
    expert = world.client(world.expert1)
    assert expert.get(reverse("council:protocol_edit", args=[session.pk])).status_code == 403
    expert.post(reverse("council:protocol_confirm", args=[session.pk]))
    protocol = Protocol.objects.get(session=session)
    assert not (protocol.chair_confirmed_at or protocol.secretary_confirmed_at)
    secretary.post(reverse("council:protocol_confirm", args=[session.pk]))
    world.client(world.chair).post(reverse("council:protocol_confirm", args=[session.pk]))
    protocol.refresh_from_db()
    assert protocol.number == 1
    # No reminder of a missing protocol is owed any more: the minute job never reads it.
    session.refresh_from_db()
    assert session.protocol_reminder_done_at == protocol.confirmed_at
    assert secretary.get(reverse("council:protocol_edit", args=[session.pk])).status_code == 403
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        item_record(
            item=session.items.get(),
            actor=world.secretary,
            record=ItemRecord("x", "", "", "other", 1, 0, 0),
        )
    assert session.items.get().heard != "x"


@pytest.mark.django_db(transaction=True)
def test_a_document_being_worked_on_leaves_the_protocol_unconfirmed(monkeypatch):
    """The second signature moves the agenda's documents on under each one's flow lock; when
    one is held elsewhere the chair is told to try again and nothing is confirmed."""
    import threading

    from django.db import connection, transaction

    from tests.conftest import build_world

    assert connection.vendor == "postgresql", "the flow lock is only real on PostgreSQL"
    world = build_world()
    members = [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]
    document = through_expertise(world, world.author, "Өнүгүү программасы")
    schedule(world, world.year.starts_on + datetime.timedelta(days=2), free="Катчыны шайлоо")
    session = schedule(world, world.year.starts_on + datetime.timedelta(days=30), [document])
    secretary = world.client(world.secretary)
    secretary.post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, members, {1: ("recommend_approval", (5, 0, 0))}),
    )
    secretary.post(reverse("council:protocol_confirm", args=[session.pk]))
    monkeypatch.setattr("viewflow.workflow.lock.time.sleep", lambda seconds: None)
    locked, release = threading.Event(), threading.Event()

    def hold_the_process() -> None:
        try:
            with transaction.atomic():
                list(ExpertiseProcess.objects.select_for_update().filter(document=document))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_process)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        page = world.client(world.chair).post(
            reverse("council:protocol_confirm", args=[session.pk]), follow=True
        )
    finally:
        release.set()
        holder.join(timeout=30)
    assert "A document of this session is being worked on. Try again." in page.content.decode()
    protocol = Protocol.objects.get(session=session)
    assert protocol.number is None and protocol.chair_confirmed_at is None
    assert protocol.secretary_confirmed_at is not None  # the earlier signature stands
    document.refresh_from_db()
    assert document.stage == Stage.RECOMMENDED
    # Once the document is free, the same click confirms and moves it on.
    world.client(world.chair).post(reverse("council:protocol_confirm", args=[session.pk]))
    protocol.refresh_from_db()
    document.refresh_from_db()
    assert protocol.number == 1 and document.stage == Stage.PEDAGOGICAL


def test_editing_after_one_signature_needs_both_again(world):
    members = [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]
    session = later_session(world)
    secretary = world.client(world.secretary)
    secretary.post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, members, {1: ("other", (5, 0, 0))}),
    )
    world.client(world.chair).post(reverse("council:protocol_confirm", args=[session.pk]))
    secretary.post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, members, {1: ("other", (4, 1, 0))}),
    )
    protocol = Protocol.objects.get(session=session)
    assert protocol.chair_confirmed_at is None and protocol.number is None


def test_another_school_sees_nothing_of_the_council(world):
    session = later_session(world)
    outsider = world.client(world.outsider)
    for url in (
        reverse("council:session", args=[session.pk]),
        reverse("council:protocol_edit", args=[session.pk]),
        reverse("council:protocol_file", args=[session.pk, "pdf"]),
    ):
        assert outsider.get(url).status_code == 404
    assert outsider.post(reverse("council:protocol_confirm", args=[session.pk])).status_code == 404
    overview = outsider.get(reverse("council:overview"))
    assert overview.status_code == 200 and overview.context["council"].school == world.other_school
