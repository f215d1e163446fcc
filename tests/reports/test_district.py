"""The district administrator: each school's dashboard, and the comparison table."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import School
from council.models import Council, Protocol
from council.services import session_schedule
from documents.models import Document, Stage
from reports import selectors

from .helpers import at, start_moment, submit

pytestmark = pytest.mark.django_db


def test_the_comparison_table(world):
    fifth = School.objects.create(name="№5 мектеп", short_name="№5", district=world.district)
    # №94: two in expertise (one of them overdue: never screened for 20 days), one approved.
    with at(start_moment()):
        submit(world, "Эски долбоор")
    submit(world, "Жаңы долбоор")
    Document.objects.create(
        school=world.school,
        author=world.author,
        academic_year=world.year,
        doc_type="other",
        title="Бекитилген",
        stage=Stage.APPROVED,
    )
    # №5: one in expertise (stage only), no council this year.
    Document.objects.create(
        school=fifth,
        author=world.author,
        academic_year=world.year,
        doc_type="other",
        title="№5 документ",
        stage=Stage.DECISION,
    )
    # The other school is not in the district: its documents never count.
    Document.objects.create(
        school=world.other_school,
        author=world.outsider,
        academic_year=world.year,
        doc_type="other",
        title="Башка район",
        stage=Stage.IN_EXPERTISE,
    )
    # №94 held a session in the 1st quarter (protocol confirmed), scheduled one in the 2nd.
    year = world.year
    q1 = session_schedule(
        council=world.council,
        actor=world.chair,
        date=year.starts_on + datetime.timedelta(days=10),
        time=None,
        place="",
        is_year_end=False,
        documents=[],
        free_items=["Иш планы"],
    )
    Protocol.objects.filter(session=q1).update(confirmed_at=timezone.now())
    session_schedule(
        council=world.council,
        actor=world.chair,
        date=year.quarter_bounds()[1][0] + datetime.timedelta(days=3),
        time=None,
        place="",
        is_year_end=False,
        documents=[],
        free_items=["Маселе"],
    )
    # In the 3rd quarter: the 1st and 2nd are past.
    today = year.quarter_bounds()[2][0] + datetime.timedelta(days=5)

    rows = selectors.district_comparison(
        schools=list(selectors.district_schools(world.district_admin)),
        academic_year=year,
        today=today,
    )

    assert [
        (r.school.short_name, r.in_expertise, r.overdue, r.quarters_without_session) for r in rows
    ] == [
        ("№5", 1, 0, 2),  # no council: no session in either past quarter
        ("№94", 2, 1, 1),  # the 2nd quarter's session is not held (no confirmed protocol)
    ]
    assert [r.has_council for r in rows] == [False, True]


def test_the_district_page_and_its_export(world):
    School.objects.create(name="№5 мектеп", short_name="№5", district=world.district)
    client = world.client(world.district_admin)
    response = client.get(reverse("reports:district"))
    assert response.status_code == 200
    assert [r.school.short_name for r in response.context["rows"]] == ["№5", "№94"]
    assert "№12" not in response.content.decode()
    response = client.get(reverse("reports:district"), {"export": "csv"})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "School,Documents in expertise,Overdue tasks,Past quarters without a session"
    )
    assert len(lines) == 3


def test_a_district_admin_sees_only_their_districts_schools(world):
    client = world.client(world.district_admin)
    assert client.get(reverse("reports:school", args=[world.school.pk])).status_code == 200
    assert client.get(reverse("reports:school", args=[world.other_school.pk])).status_code == 404
    assert client.get(reverse("reports:overdue", args=[world.other_school.pk])).status_code == 404
    # A school admin never sees another school's dashboard, even in the same district.
    world.other_school.district = world.district
    world.other_school.save()
    admin = world.client(world.admin)
    assert admin.get(reverse("reports:school", args=[world.other_school.pk])).status_code == 404
    assert Council.objects.filter(school=world.other_school).exists()
