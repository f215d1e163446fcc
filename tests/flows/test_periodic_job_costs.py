"""The periodic jobs cost the same number of queries for one council or school as for
many: each reads its candidates in one indexed query and leaves out what was done."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import School, User
from council.models import Council, CouncilMember, CouncilTask, MemberCategory, Session
from council.notices import council_reminders
from council.services import council_agendas_reopen, session_schedule
from council.tasks import render_missing_files as council_missing_files
from flows.tasks import render_missing_files
from notifications.models import Kind, Notification
from reports.tasks import document_text_build, document_text_sweep, documents_to_index
from tests.helpers import make_documents

pytestmark = pytest.mark.django_db


def quarter_end_minus(world, days: int) -> datetime.datetime:
    _start, end = world.year.quarter_bounds()[0]
    return timezone.make_aware(
        datetime.datetime.combine(end - datetime.timedelta(days=days), datetime.time(9))
    )


def more_councils(world, count: int) -> None:
    for i in range(count):
        school = School.objects.create(name=f"№{100 + i}", district=world.district)
        chair = User.objects.create(username=f"chair{100 + i}", school=school)
        council = Council.objects.create(school=school, academic_year=world.year, chair=chair)
        CouncilMember.objects.create(
            council=council, user=chair, category=MemberCategory.MANAGEMENT
        )


def queries(job) -> int:
    with CaptureQueriesContext(connection) as ctx:
        job()
    return len(ctx.captured_queries)


def test_council_time_reads_no_council_outside_a_quarters_last_days(world):
    more_councils(world, 5)
    with (
        time_machine.travel(quarter_end_minus(world, 30), tick=False),
        CaptureQueriesContext(connection) as ctx,
    ):
        assert council_reminders() == {"agendas": 0, "quarters": 0, "protocols": 0}
    assert not any('FROM "council_council"' in q["sql"] for q in ctx.captured_queries)


def test_council_time_costs_the_same_for_2_councils_as_for_7_once_reminded(world):
    with time_machine.travel(quarter_end_minus(world, 10), tick=False):
        council_reminders()  # the reminders owed go out once
        few = queries(council_reminders)
        more_councils(world, 5)
        assert council_reminders()["quarters"] == 5  # the new councils' chairs, once
        many = queries(council_reminders)
        assert council_reminders() == {"agendas": 0, "quarters": 0, "protocols": 0}
    assert few == many
    assert Notification.objects.filter(kind=Kind.QUARTER_WITHOUT_SESSION).count() == 7


def test_a_quarters_end_marks_each_council_once_and_reads_only_the_unmarked(world):
    moment = quarter_end_minus(world, 10)
    with time_machine.travel(moment, tick=False):
        held = session_schedule(
            council=world.council,
            actor=world.chair,
            date=timezone.localdate() + datetime.timedelta(days=2),
            time=None,
            place="",
            is_year_end=False,
            documents=[],
            free_items=["Маселе"],
        )
        assert council_reminders()["quarters"] == 1  # the other school's chair only
        assert set(Council.objects.values_list("quarter_checked", flat=True)) == {held.quarter}
        with CaptureQueriesContext(connection) as ctx:
            assert council_reminders()["quarters"] == 0
    # The second run asks for the unmarked councils of the year (none) and writes nothing.
    council_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "council_council"' in q["sql"]]
    assert council_reads and all('"quarter_checked" <' in sql for sql in council_reads)
    assert not any(q["sql"].startswith(("INSERT", "UPDATE")) for q in ctx.captured_queries)
    assert not Notification.objects.filter(
        recipient=world.chair, kind=Kind.QUARTER_WITHOUT_SESSION
    ).exists()


def schedule_in_two_days(council: Council) -> Session:
    return session_schedule(
        council=council,
        actor=council.chair,
        date=timezone.localdate() + datetime.timedelta(days=2),
        time=None,
        place="",
        is_year_end=False,
        documents=[],
        free_items=["Маселе"],
    )


def test_agendas_that_went_out_are_not_read_again_however_many_sessions_are_coming(world):
    schedule_in_two_days(world.council)
    assert council_reminders()["agendas"] == 1
    with CaptureQueriesContext(connection) as ctx:
        assert council_reminders()["agendas"] == 0
    steady = len(ctx.captured_queries)
    assert not any("council_councilmember" in q["sql"] for q in ctx.captured_queries)
    more_councils(world, 5)
    for council in Council.objects.exclude(pk=world.council.pk).select_related("chair"):
        schedule_in_two_days(council)
    assert council_reminders()["agendas"] == 6  # the new councils' and the other school's
    assert queries(council_reminders) == steady
    # Every member of every council had the agenda of their session, once.
    agendas = Notification.objects.filter(kind=Kind.SESSION_SCHEDULED)
    assert agendas.count() == CouncilMember.objects.count()


def test_a_member_added_after_the_agenda_went_out_gets_it_and_nobody_twice(world):
    session = schedule_in_two_days(world.council)
    council_reminders()
    newcomer = User.objects.create(username="newcomer", school=world.school)
    CouncilMember.objects.create(
        council=world.council, user=newcomer, category=MemberCategory.ASSOCIATION_HEAD
    )
    assert council_reminders()["agendas"] == 0  # nothing reads the session again …
    assert council_agendas_reopen(council=world.council) == 1  # … until the admin saves
    assert council_reminders()["agendas"] == 1
    agendas = Notification.objects.filter(
        kind=Kind.SESSION_SCHEDULED, url=reverse("council:session", args=[session.pk])
    )
    assert sorted(agendas.values_list("recipient_id", flat=True)) == sorted(
        world.council.members.values_list("user_id", flat=True)
    )


def test_the_sweeps_cost_the_same_for_5_and_30_documents(world):
    make_documents(world, 5)
    sweeps = (document_text_sweep, render_missing_files, council_missing_files)
    small = [queries(sweep) for sweep in sweeps]
    make_documents(world, 25, start=5)
    assert [queries(sweep) for sweep in sweeps] == small


def test_the_search_text_sweep_reads_only_unread_documents_whatever_their_age(world):
    (document,) = make_documents(world, 1)
    older = make_documents(world, 20, start=1)
    for built in older:
        document_text_build(built.pk)
    # A build lost long ago is still found; the built ones, however recent, are not.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=30)):
        assert list(documents_to_index()) == [document]


def test_a_missing_protocol_is_reminded_once_and_its_session_marked(world):
    session = schedule_in_two_days(world.council)
    a_week_later = timezone.make_aware(
        datetime.datetime.combine(session.date + datetime.timedelta(days=8), datetime.time(9))
    )
    with time_machine.travel(a_week_later, tick=False):
        assert council_reminders()["protocols"] == 1
        session.refresh_from_db()
        assert session.protocol_reminder_done_at is not None
        with CaptureQueriesContext(connection) as ctx:
            assert council_reminders()["protocols"] == 0
    assert not any(q["sql"].startswith(("INSERT", "UPDATE")) for q in ctx.captured_queries)
    reminders = Notification.objects.filter(kind=Kind.PROTOCOL_MISSING, recipient=world.chair)
    assert reminders.filter(dedupe_key=f"protocol_missing:{session.pk}").count() == 1


def test_the_council_steps_sweep_starts_from_the_unconfirmed_protocols(world):
    """Not a join of every past session with its protocol (PostgreSQL hashed the whole
    country's sessions for it): the partial index of unconfirmed protocols first."""
    from council.services import council_tasks_due

    session = schedule_in_two_days(world.council)
    with CaptureQueriesContext(connection) as ctx:
        # The session's day has come: its protocol is asked for.
        assert council_tasks_due(today=session.date + datetime.timedelta(days=1)) == 1
    assert session.tasks.filter(kind=CouncilTask.Kind.PROTOCOL).exists()
    sweep = next(q["sql"] for q in ctx.captured_queries if 'FROM "council_session"' in q["sql"])
    assert 'JOIN "council_protocol"' not in sweep
    assert 'FROM "council_protocol" U' in sweep and '"confirmed_at" IS NULL' in sweep
