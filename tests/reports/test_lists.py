"""The school documents list: every filter, the exports with the same filters; the
overdue list; the timeline's step durations."""

from __future__ import annotations

import datetime
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AcademicYear, MethodicalAssociation
from documents.models import Document, Stage

from .helpers import HOUR, accept, at, start_moment, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents(world):
    maths = MethodicalAssociation.objects.create(school=world.school, name="Математика")
    last_year = AcademicYear.objects.create(
        starts_on=world.year.starts_on.replace(year=world.year.starts_on.year - 1),
        ends_on=world.year.ends_on.replace(year=world.year.ends_on.year - 1),
    )
    with at(start_moment()):
        late = submit(world, "Кечиккен программа")  # screening open 20 days: overdue
    rows = [
        ("Иш планы", "work_plan", maths, world.author, Stage.APPROVED, world.year),
        ("Сабак 1", "lesson_plan", world.association, world.teacher2, Stage.REVISION, world.year),
        ('=HYPERLINK("x")', "lesson_plan", None, world.teacher2, Stage.DECISION, last_year),
        ("Долбоор", "other", None, world.teacher2, Stage.DRAFT, world.year),  # teacher2's draft
    ]
    for title, doc_type, association, author, stage, year in rows:
        Document.objects.create(
            school=world.school,
            author=author,
            title=title,
            doc_type=doc_type,
            methodical_association=association,
            stage=stage,
            academic_year=year,
        )
    return {"maths": maths, "last_year": last_year, "late": late}


def titles(world, **params) -> list[str]:
    response = world.client(world.chair).get(reverse("documents:school"), params)
    assert response.status_code == 200
    return sorted(d.title for d in response.context["page"].object_list)


def test_each_filter_of_the_school_documents_list(world, documents):
    everything = ['=HYPERLINK("x")', "Иш планы", "Кечиккен программа", "Сабак 1"]
    assert titles(world) == everything  # someone else's draft is never listed
    assert titles(world, year=world.year.pk) == ["Иш планы", "Кечиккен программа", "Сабак 1"]
    assert titles(world, year=documents["last_year"].pk) == ['=HYPERLINK("x")']
    assert titles(world, doc_type="lesson_plan") == ['=HYPERLINK("x")', "Сабак 1"]
    assert titles(world, association=documents["maths"].pk) == ["Иш планы"]
    assert titles(world, author=world.teacher2.pk) == ['=HYPERLINK("x")', "Сабак 1"]
    assert titles(world, stage="in_expertise") == ['=HYPERLINK("x")', "Кечиккен программа"]
    assert titles(world, stage="in_revision") == ["Сабак 1"]
    assert titles(world, overdue="on") == ["Кечиккен программа"]
    assert titles(world, stage="in_expertise", year=world.year.pk) == ["Кечиккен программа"]
    # Another school's association is not a valid choice: nothing is filtered by it.
    other = MethodicalAssociation.objects.create(school=world.other_school, name="Башка")
    assert titles(world, association=other.pk) == everything


def test_the_exports_carry_the_filters(world, documents):
    client = world.client(world.chair)
    response = client.get(
        reverse("documents:school"), {"doc_type": "lesson_plan", "export": "xlsx"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("ID", "Title", "Type")
    assert sorted(r[1] for r in rows[1:]) == ['\'=HYPERLINK("x")', "Сабак 1"]  # no formula
    response = client.get(reverse("documents:school"), {"overdue": "on", "export": "csv"})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and "Кечиккен программа" in lines[1]
    # An outsider's export holds only their own school.
    response = world.client(world.outsider).get(reverse("documents:school"), {"export": "csv"})
    assert len(response.content.decode("utf-8-sig").splitlines()) == 1


def test_the_overdue_list_filters_and_exports(world, documents):
    t0 = start_moment()
    with at(t0 + HOUR):
        other = submit(world, "Экинчи", doc_type="lesson_plan")
    with at(t0 + 2 * HOUR):
        accept(world, other, [world.expert3], t0.date() + datetime.timedelta(days=1))
    client = world.client(world.director)
    url = reverse("reports:overdue", args=[world.school.pk])
    response = client.get(url)
    assert [
        (r.document.title, r.owner.username, r.days_late) for r in response.context["page"]
    ] == [
        ("Экинчи", "expert3", 19),
        ("Кечиккен программа", "chair", 13),
    ]
    response = client.get(url, {"doc_type": "lesson_plan"})
    assert [r.document.title for r in response.context["page"]] == ["Экинчи"]
    response = client.get(url, {"doc_type": "lesson_plan", "export": "csv"})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Document,Step,Who,Due or since,Days late"
    assert lines[1].startswith("Экинчи,Expert review,") and lines[1].endswith(",19")


def test_the_timeline_shows_how_long_each_step_took(world):
    t0 = start_moment()
    with at(t0):
        document = submit(world, "Өнүгүү программасы")
    with at(t0 + 2 * datetime.timedelta(days=1) + 3 * HOUR):
        accept(world, document, [world.expert1], t0.date() + datetime.timedelta(days=9))
    response = world.client(world.author).get(reverse("documents:detail", args=[document.pk]))
    events = response.context["events"]
    assert [e.kind for e in events] == ["created", "submitted", "experts_assigned"]
    assert events[0].previous_at is None
    assert events[2].created_at - events[2].previous_at == datetime.timedelta(days=2, hours=3)
    assert "2\xa0days, 3\xa0hours after the previous step" in response.content.decode()
