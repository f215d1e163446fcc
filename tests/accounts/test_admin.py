"""Admins manage people, associations and the council in Django's admin, within their school."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import MethodicalAssociation, User
from accounts.roles import Role
from council.models import CouncilMember

pytestmark = pytest.mark.django_db


def test_a_school_admin_sees_only_their_schools_people(world):
    client = world.client(world.admin)
    page = client.get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200
    shown = {u.username for u in page.context["cl"].result_list}
    assert "author" in shown and "outsider" not in shown
    assert (
        client.get(reverse("admin:accounts_user_change", args=[world.outsider.pk])).status_code
        == 302
    )


def test_a_school_admin_adds_an_association_in_their_own_school(world):
    client = world.client(world.admin)
    response = client.post(
        reverse("admin:accounts_methodicalassociation_add"),
        {"name": "Математика", "head": world.expert1.pk},
    )
    assert response.status_code == 302
    association = MethodicalAssociation.objects.get(name="Математика")
    assert association.school == world.school


def test_adding_a_council_member_gives_the_member_role(world):
    client = world.client(world.admin)
    members = list(CouncilMember.objects.filter(council=world.council))
    data = {
        "school": world.school.pk,
        "academic_year": world.year.pk,
        "chair": world.chair.pk,
        "secretary": world.secretary.pk,
        "members-TOTAL_FORMS": str(len(members) + 1),
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
    n = len(members)
    data.update(
        {
            f"members-{n}-council": world.council.pk,
            f"members-{n}-user": world.teacher2.pk,
            f"members-{n}-category": "creative_group",
        }
    )
    response = client.post(reverse("admin:council_council_change", args=[world.council.pk]), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert CouncilMember.objects.filter(council=world.council, user=world.teacher2).exists()
    assert User.objects.get(pk=world.teacher2.pk).groups.filter(name=Role.COUNCIL_MEMBER).exists()
    assert (
        Group.objects.get(name=Role.COUNCIL_MEMBER).user_set.filter(pk=world.teacher2.pk).exists()
    )
