"""Each figure of the dashboard against known data: documents by stage and the breakdowns,
overdue tasks (who, how many days), time per step (median and 90th percentile, in
PostgreSQL and in the Python fallback), the experts' load."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AcademicYear, MethodicalAssociation
from documents.models import Document, Stage
from flows.services import review_extend
from reports import selectors
from reports.selectors import Filters
from reports.stats import percentile_cont

from .helpers import HOUR, accept, at, review, start_moment, submit, task_of

pytestmark = pytest.mark.django_db


def make_document(world, stage: str, **fields) -> Document:
    fields.setdefault("author", world.author)
    fields.setdefault("school", world.school)
    fields.setdefault("academic_year", world.year)
    fields.setdefault("doc_type", "lesson_plan")
    return Document.objects.create(
        title=f"{stage} {Document.objects.count()}", stage=stage, **fields
    )


def test_documents_by_stage_group_the_flow_stages(world):
    for stage, n in [
        (Stage.DRAFT, 2),
        (Stage.SCREENING, 1),
        (Stage.IN_EXPERTISE, 2),
        (Stage.DECISION, 1),
        (Stage.RETURNED, 1),
        (Stage.REVISION, 1),
        (Stage.RECOMMENDED, 1),
        (Stage.PEDAGOGICAL, 1),
        (Stage.DIRECTOR, 1),
        (Stage.APPROVED, 3),
        (Stage.REJECTED, 1),
    ]:
        for _ in range(n):
            make_document(world, stage)
    # Not counted: another year, another school.
    other_year = AcademicYear.objects.create(
        starts_on=world.year.starts_on.replace(year=world.year.starts_on.year - 1),
        ends_on=world.year.ends_on.replace(year=world.year.ends_on.year - 1),
    )
    make_document(world, Stage.APPROVED, academic_year=other_year)
    make_document(world, Stage.APPROVED, school=world.other_school, author=world.outsider)

    data = selectors.school_dashboard(school=world.school, academic_year=world.year)

    assert {key: n for key, _label, n in data.by_stage} == {
        "draft": 2,
        "in_expertise": 4,
        "in_revision": 2,
        "awaiting_council": 1,
        "awaiting_pedagogical": 1,
        "awaiting_director": 1,
        "approved": 3,
        "rejected": 1,
    }
    assert data.total == 15


def test_breakdowns_by_type_and_association(world):
    maths = MethodicalAssociation.objects.create(school=world.school, name="Математика")
    make_document(world, Stage.APPROVED, doc_type="work_plan", methodical_association=maths)
    make_document(world, Stage.IN_EXPERTISE, doc_type="work_plan", methodical_association=maths)
    make_document(world, Stage.IN_EXPERTISE, methodical_association=world.association)
    make_document(world, Stage.DRAFT)

    data = selectors.school_dashboard(school=world.school, academic_year=world.year)

    groups = [key for key, _label, _stages in selectors.STAGE_GROUPS]

    def as_dict(rows):
        return {
            row.key: {g: n for g, n in zip(groups, row.counts, strict=True) if n} for row in rows
        }

    assert as_dict(data.by_type) == {
        "lesson_plan": {"in_expertise": 1, "draft": 1},
        "work_plan": {"in_expertise": 1, "approved": 1},
    }
    assert as_dict(data.by_association) == {
        world.association.pk: {"in_expertise": 1},
        maths.pk: {"in_expertise": 1, "approved": 1},
        None: {"draft": 1},  # shown as "No methodical association", last
    }
    assert [row.total for row in data.by_association] == [1, 2, 1]


@pytest.fixture
def story(world):
    """Three documents moved through the flow at known moments (T0 = 20 days ago, 10:00):

    A: submitted T0, screened T0+2h (experts 1 and 2), reviewed by expert 1 at T0+12h
       (10 h) and expert 2 at T0+32h (30 h), recommended by the chair at T0+36h (4 h).
    B: submitted T0+1h, screened T0+7h (6 h, expert 1, due T0+2 days), never reviewed.
    C: submitted T0+2h, never screened.
    """
    t0 = start_moment()
    with at(t0):
        a = submit(world, "A · Өнүгүү программасы")
    with at(t0 + HOUR):
        b = submit(world, "B · Билим берүү программасы")
    with at(t0 + 2 * HOUR):
        c = submit(world, "C · Сабактын планы")
        accept(world, a, [world.expert1, world.expert2], t0.date() + datetime.timedelta(days=5))
    with at(t0 + 7 * HOUR):
        accept(world, b, [world.expert1], t0.date() + datetime.timedelta(days=2))
    with at(t0 + 12 * HOUR):
        review(world, world.expert1, a)
    with at(t0 + 32 * HOUR):
        review(world, world.expert2, a)
    with at(t0 + 36 * HOUR):
        task = task_of(world.chair, "decide", a)
        response = world.client(world.chair).post(
            reverse("flows:task", args=[task.pk]), {"decision": "recommend", "reason": ""}
        )
        assert response.status_code == 302
    a.refresh_from_db()
    assert a.stage == Stage.RECOMMENDED
    return {"a": a, "b": b, "c": c, "t0": t0}


def test_overdue_tasks_name_who_and_how_many_days(world, story):
    data = selectors.school_dashboard(school=world.school, academic_year=world.year)

    rows = [(r.document.pk, r.node, r.owner.username, r.days_late) for r in data.overdue]
    # B's review was due T0+2 days: 18 days late. C's screening has been open 20 days,
    # 7 allowed: 13 days late. A waits for a council session: not a person's task.
    assert rows == [
        (story["b"].pk, "review", "expert1", 18),
        (story["c"].pk, "screen", "chair", 13),
    ]


def test_the_overdue_allowance_is_configurable(world, story, settings):
    settings.REPORTS_TASK_OVERDUE_DAYS = 25
    rows = selectors.overdue_tasks(school_ids=[world.school.pk], filters=Filters(world.year))
    assert [(r.node, r.days_late) for r in rows] == [("review", 18)]


def test_an_extended_due_date_is_not_overdue(world, story):
    from documents.models import Review

    review_row = Review.objects.get(round__document=story["b"], expert=world.expert1)
    review_extend(
        review=review_row,
        actor=world.chair,
        due_date=timezone.localdate() + datetime.timedelta(days=1),
    )
    rows = selectors.overdue_tasks(school_ids=[world.school.pk], filters=Filters(world.year))
    assert [r.node for r in rows] == ["screen"]


def hours(seconds):
    return None if seconds is None else round(seconds / 3600, 3)


@pytest.mark.parametrize("use_database", [True, False], ids=["percentile_cont", "python"])
def test_time_per_step_median_and_90th_percentile(world, story, use_database):
    times = {
        t.node: (t.finished, hours(t.median), hours(t.p90))
        for t in selectors.stage_times(
            school=world.school, academic_year=world.year, use_database=use_database
        )
    }
    assert times["screen"] == (2, 4.0, 5.6)  # 2 h and 6 h
    assert times["review"] == (2, 20.0, 28.0)  # 10 h and 30 h
    assert times["decide"] == (1, 4.0, 4.0)
    assert times["council_session"] == (0, None, None)  # still waiting
    assert times["approve"] == (0, None, None)


@pytest.mark.parametrize("use_database", [True, False], ids=["percentile_cont", "python"])
def test_experts_load(world, story, use_database):
    load = {
        e.expert.username: (e.open, e.done, hours(e.median))
        for e in selectors.expert_load(
            school=world.school, academic_year=world.year, use_database=use_database
        )
    }
    assert load == {
        "expert1": (1, 1, 10.0),
        "expert2": (0, 1, 30.0),
        # Council members without a review are listed: who is free.
        "expert3": (0, 0, None),
        "chair": (0, 0, None),
        "secretary": (0, 0, None),
    }


def test_python_percentile_matches_postgresql_definition():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7], 0.9) == 7
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert percentile_cont([10, 1, 5], 0.9) == pytest.approx(9.0)


def test_the_dashboard_page_shows_the_figures(world, story):
    response = world.client(world.chair).get(reverse("reports:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["data"].total == 3
    assert "<svg" in html and "cdn" not in html.lower()
    assert html.count('data-testid="overdue-row"') == 2
    # The district administrator sees the same page for the school, without links into
    # documents they may not open.
    response = world.client(world.district_admin).get(
        reverse("reports:school", args=[world.school.pk])
    )
    assert response.status_code == 200
    assert reverse("documents:detail", args=[story["b"].pk]) not in response.content.decode()


def test_dashboard_tables_export(world, story):
    from io import BytesIO

    from openpyxl import load_workbook

    client = world.client(world.director)
    response = client.get(reverse("reports:dashboard"), {"export": "xlsx", "table": "experts"})
    assert response["Content-Disposition"].startswith('attachment; filename="experts-')
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Expert", "Open reviews", "Done reviews", "Median review time, hours")
    assert ("Мамытов Үмүт", 1, 1, 10) in rows
    response = client.get(reverse("reports:dashboard"), {"export": "csv", "table": "overdue"})
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[1].endswith(",18")
