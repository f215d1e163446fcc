"""One behaviour per test of accounts.services (the absence page's writes), each named
after what would have broken."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Absence, acting_assignee
from accounts.services import absence_record, absence_remove, user_language_set
from tests.conftest import build_world

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _english():
    """The refusals' messages are matched in English (the UI default is Kyrgyz)."""
    with translation.override("en"):
        yield


def test_it_hands_the_absent_persons_new_tasks_to_the_substitute(world):
    absence_record(
        user=world.expert1,
        substitute=world.expert2,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=3),
    )
    assert acting_assignee(world.expert1, TODAY + datetime.timedelta(days=3)) == world.expert2
    assert acting_assignee(world.expert1, TODAY + datetime.timedelta(days=4)) == world.expert1


def test_it_refuses_an_absence_that_ends_before_it_starts(world):
    with pytest.raises(ValidationError, match="end cannot be before the start"):
        absence_record(
            user=world.expert1,
            substitute=world.expert2,
            starts_on=TODAY,
            ends_on=TODAY - datetime.timedelta(days=1),
        )
    assert not Absence.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "expert1", "inactive"])
def test_it_refuses_a_substitute_who_is_not_an_active_colleague(world, who):
    if who == "inactive":
        world.expert2.is_active = False
        world.expert2.save(update_fields=["is_active"])
    substitute = {"outsider": world.outsider, "expert1": world.expert1}.get(who, world.expert2)
    with pytest.raises(ValidationError, match="substitute from your school"):
        absence_record(user=world.expert1, substitute=substitute, starts_on=TODAY, ends_on=TODAY)
    assert not Absence.objects.exists()


def test_it_removes_only_the_persons_own_absence(world):
    mine = absence_record(
        user=world.expert1, substitute=world.expert2, starts_on=TODAY, ends_on=TODAY
    )
    assert not absence_remove(user=world.expert2, absence_id=mine.pk)
    assert Absence.objects.filter(pk=mine.pk).exists()
    assert absence_remove(user=world.expert1, absence_id=mine.pk)
    assert not Absence.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_records_an_absence_when_the_caller_opened_no_transaction():
    world = build_world()
    assert not connection.in_atomic_block
    absence = absence_record(
        user=world.expert1, substitute=world.expert2, starts_on=TODAY, ends_on=TODAY
    )
    assert Absence.objects.get().pk == absence.pk


def test_it_records_what_the_absence_page_sends(world):
    today = timezone.localdate()
    response = world.client(world.expert1).post(
        reverse("absence"),
        {
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=2)).isoformat(),
            "substitute": world.expert2.pk,
        },
    )
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert (absence.user, absence.substitute) == (world.expert1, world.expert2)
    assert (absence.starts_on, absence.ends_on) == (today, today + datetime.timedelta(days=2))


def test_it_keeps_the_chosen_language_on_the_account(world):
    user_language_set(user=world.author, language="ru")
    world.author.refresh_from_db()
    assert world.author.language == "ru"


def test_it_refuses_a_language_the_site_does_not_speak(world):
    with pytest.raises(ValueError):
        user_language_set(user=world.author, language="xx")
    world.author.refresh_from_db()
    assert world.author.language == "en"
