"""One behaviour per test of the council's services that the year's story reaches only
through its pages (healthchecks' style: the name says what broke)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from council.models import AgendaItem, AnnualReport, CouncilTask, Session
from council.services import (
    ItemRecord,
    annual_report_presented,
    attendance_record,
    can_write_protocol,
    council_task_url,
    documents_awaiting_council,
    is_chair,
    item_record,
    protocol_problems,
    protocol_sign,
    secretary_elect,
    session_schedule,
)
from documents.models import Document, Stage

pytestmark = pytest.mark.django_db


def schedule(world, days: int = 20, documents=(), items=("Ар кандай",)) -> Session:
    return session_schedule(
        council=world.council,
        actor=world.chair,
        date=world.year.starts_on + datetime.timedelta(days=days),
        time=None,
        place="Китепкана",
        is_year_end=False,
        documents=list(documents),
        free_items=list(items),
    )


def members(world):
    return [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]


def second_session_ready_to_sign(world) -> Session:
    """A session after the first, everyone present, its one item decided."""
    schedule(world)
    session = schedule(world, days=40)
    attendance_record(
        session=session, actor=world.secretary, present_user_ids=[u.pk for u in members(world)]
    )
    item_record(
        item=session.items.get(),
        actor=world.secretary,
        record=ItemRecord("Баяндама", "", "Кабыл алынсын.", AgendaItem.Decision.OTHER, 5, 0, 0),
    )
    assert protocol_problems(session) == []
    return session


def recommended(world, title: str) -> Document:
    return Document.objects.create(
        title=title,
        stage=Stage.RECOMMENDED,
        author=world.author,
        school=world.school,
        academic_year=world.year,
        doc_type="lesson_plan",
    )


def test_it_takes_only_the_councils_chair_for_its_chair(world):
    assert is_chair(world.council, world.chair)
    assert not is_chair(world.council, world.secretary)
    assert not is_chair(world.council, world.outsider)  # a chair of another school


def test_it_lets_the_secretary_write_the_protocol_and_not_the_chair(world):
    assert can_write_protocol(world.council, world.secretary)
    assert not can_write_protocol(world.council, world.chair)


def test_it_lets_the_chair_write_the_protocol_until_a_secretary_is_elected(world):
    world.council.secretary = None
    assert can_write_protocol(world.council, world.chair)
    assert not can_write_protocol(world.council, world.expert1)


def test_it_offers_recommended_documents_not_yet_on_an_open_agenda(world):
    waiting, scheduled = recommended(world, "Күтүүдө"), recommended(world, "Күн тартибинде")
    Document.objects.create(
        title="Экспертизада",
        stage=Stage.IN_EXPERTISE,
        author=world.author,
        school=world.school,
        academic_year=world.year,
        doc_type="lesson_plan",
    )
    schedule(world, documents=[scheduled])
    assert list(documents_awaiting_council(world.council)) == [waiting]


def test_it_refuses_attendance_from_someone_who_does_not_write_the_protocol(world):
    session = schedule(world)
    with pytest.raises(PermissionDenied):
        attendance_record(session=session, actor=world.expert1, present_user_ids=[])


def test_it_records_who_was_present_and_who_was_not(world):
    session = schedule(world)
    attendance_record(
        session=session, actor=world.secretary, present_user_ids=[world.chair.pk, world.expert1.pk]
    )
    present = dict(session.attendance.values_list("user__username", "present"))
    assert present == {
        "chair": True,
        "expert1": True,
        "expert2": False,
        "expert3": False,
        "secretary": False,
    }


def test_it_asks_for_both_signatures_again_after_a_change_to_the_protocol(world):
    session = second_session_ready_to_sign(world)
    assert protocol_sign(session=session, actor=world.chair).chair_confirmed_at is not None
    attendance_record(
        session=session, actor=world.secretary, present_user_ids=[u.pk for u in members(world)]
    )
    session.protocol.refresh_from_db()
    assert session.protocol.chair_confirmed_at is None


def test_it_numbers_a_protocol_only_when_both_have_signed(world):
    session = second_session_ready_to_sign(world)
    assert protocol_sign(session=session, actor=world.chair).number is None
    protocol = protocol_sign(session=session, actor=world.secretary)
    assert protocol.number == 1 and protocol.confirmed_at is not None


def test_it_refuses_a_signature_from_anyone_but_the_chair_and_the_secretary(world):
    session = second_session_ready_to_sign(world)
    with pytest.raises(PermissionDenied):
        protocol_sign(session=session, actor=world.expert1)


def test_it_refuses_to_sign_a_protocol_with_an_undecided_item(world):
    schedule(world)
    session = schedule(world, days=40)
    with pytest.raises(ValidationError):
        protocol_sign(session=session, actor=world.chair)
    session.protocol.refresh_from_db()
    assert session.protocol.chair_confirmed_at is None


def test_it_lists_what_a_first_sessions_protocol_still_lacks(world):
    session = schedule(world)
    with translation.override("en"):
        problems = protocol_problems(session)
    assert problems == [
        "Every agenda item needs the council's decision.",
        "There is no quorum.",
        "The first session must record the election of the secretary.",
        "The first session must approve the year's work plan.",
    ]


def test_it_elects_the_secretary_only_at_the_first_session(world):
    schedule(world)
    later = schedule(world, days=40)
    with pytest.raises(ValidationError):
        secretary_elect(session=later, actor=world.secretary, secretary=world.expert1)
    world.council.refresh_from_db()
    assert world.council.secretary == world.secretary


def test_it_refuses_a_secretary_who_is_not_a_council_member(world):
    first = schedule(world)
    with pytest.raises(ValidationError):
        secretary_elect(session=first, actor=world.secretary, secretary=world.teacher2)
    world.council.refresh_from_db()
    assert world.council.secretary == world.secretary


def test_it_refuses_an_annual_report_presented_in_the_future(world):
    report = AnnualReport.objects.create(council=world.council, generated_by=world.chair)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        annual_report_presented(
            report=report, actor=world.chair, presented_on=tomorrow, protocol_number="4"
        )
    report.refresh_from_db()
    assert report.presented_on is None


def test_it_needs_the_pedagogical_protocol_number_of_a_presented_report(world):
    report = AnnualReport.objects.create(council=world.council, generated_by=world.chair)
    with pytest.raises(ValidationError):
        annual_report_presented(
            report=report, actor=world.chair, presented_on=timezone.localdate(), protocol_number=" "
        )


def test_it_lets_only_the_chair_record_the_annual_reports_presentation(world):
    report = AnnualReport.objects.create(council=world.council, generated_by=world.chair)
    with pytest.raises(PermissionDenied):
        annual_report_presented(
            report=report,
            actor=world.secretary,
            presented_on=timezone.localdate(),
            protocol_number="4",
        )


def test_it_points_each_council_step_to_the_page_where_it_is_done(world):
    session = schedule(world)
    urls = {
        kind: council_task_url(CouncilTask(council=world.council, session=session, kind=kind))
        for kind in CouncilTask.Kind.values
    }
    assert urls == {
        "agenda": f"/council/sessions/new/?year={world.year.pk}",
        "protocol": f"/council/sessions/{session.pk}/protocol/",
        "confirm": f"/council/sessions/{session.pk}/",
    }
