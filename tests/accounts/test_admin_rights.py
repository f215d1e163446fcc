"""A school administrator's rights cannot grow by their own hand, and every role change is
on record for the director and the district administrator."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, transaction
from django.urls import reverse

from accounts.models import District, RoleChange, School, User
from accounts.roles import Role
from council.models import Council
from documents.models import Document, DocumentType
from tests.conftest import PASSWORD, make_user
from tests.html_forms import admin_form

pytestmark = pytest.mark.django_db


def roles_of(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def group_pk(role: str) -> str:
    return str(Group.objects.get(name=role).pk)


def post_change_form(client, user: User, **changes: list[str]):
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = admin_form(page.content).post_data()
    data.update(changes)
    return client.post(url, data)


@pytest.fixture
def superuser(world) -> User:
    return User.objects.create_superuser(
        username="root94", password=PASSWORD, email="root@example.org", school=world.school
    )


def test_a_school_admin_never_sees_a_superuser_of_their_school(world, superuser):
    client = world.client(world.admin)
    listed = client.get(reverse("admin:accounts_user_changelist"))
    assert "root94" not in {u.username for u in listed.context["cl"].result_list}
    change = client.get(reverse("admin:accounts_user_change", args=[superuser.pk]))
    assert change.status_code == 302  # "no such user" and back to the admin index


def test_a_school_admin_cannot_set_a_superusers_password(world, superuser):
    client = world.client(world.admin)
    url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    response = client.post(
        url,
        {
            "password1": "taken-over-94!",
            "password2": "taken-over-94!",
            "set_usable_password": "true",
        },
    )
    assert response.status_code == 404
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)
    assert not superuser.check_password("taken-over-94!")


@pytest.mark.parametrize("who", ["director", "chair", "secretary", "expert1"])
def test_a_school_admin_cannot_set_the_password_of_someone_who_decides(world, who):
    person = getattr(world, who)
    client = world.client(world.admin)
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        {
            "password1": "taken-over-94!",
            "password2": "taken-over-94!",
            "set_usable_password": "true",
        },
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_a_school_admin_still_sets_a_teachers_and_their_own_password(world):
    client = world.client(world.admin)
    for person, new in ((world.author, "teacher-new-94!"), (world.admin, "admin-new-94!")):
        url = reverse("admin:auth_user_password_change", args=[person.pk])
        response = client.post(
            url, {"password1": new, "password2": new, "set_usable_password": "true"}
        )
        assert response.status_code == 302, response.content[:500]
        person.refresh_from_db()
        assert person.check_password(new)


def test_a_school_admin_never_sees_district_admins_or_other_school_admins(world):
    second_admin = make_user("admin2", world.school, [Role.SCHOOL_ADMIN], is_staff=True)
    # A district administrator who also belongs to the school's rows (school set).
    district_in_school = make_user("district94", world.school, [Role.DISTRICT_ADMIN])
    client = world.client(world.admin)
    listed = client.get(reverse("admin:accounts_user_changelist"))
    shown = {u.username for u in listed.context["cl"].result_list}
    assert "admin" in shown  # their own account
    assert {"admin2", "district94"}.isdisjoint(shown)
    for other in (second_admin, district_in_school):
        url = reverse("admin:accounts_user_change", args=[other.pk])
        assert client.get(url).status_code == 302
        assert client.post(url, {"username": "renamed"}).status_code == 302
        assert User.objects.get(pk=other.pk).username == other.username


def test_a_school_admin_cannot_change_their_own_roles(world):
    client = world.client(world.admin)
    page = client.get(reverse("admin:accounts_user_change", args=[world.admin.pk]))
    assert 'name="groups"' not in page.content.decode()
    response = post_change_form(
        client,
        world.admin,
        groups=[group_pk(Role.DIRECTOR), group_pk(Role.CHAIR), group_pk(Role.SCHOOL_ADMIN)],
        is_superuser=["on"],
        is_staff=["on"],
    )
    assert response.status_code == 302
    assert roles_of(world.admin) == {Role.SCHOOL_ADMIN}
    world.admin.refresh_from_db()
    assert not world.admin.is_superuser
    assert not RoleChange.objects.filter(user=world.admin, actor=world.admin).exists()


@pytest.mark.parametrize("role", [Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN])
def test_a_school_admin_cannot_give_an_administrators_role(world, role):
    client = world.client(world.admin)
    page = client.get(reverse("admin:accounts_user_change", args=[world.teacher2.pk]))
    assert admin_form(page.content).choices["groups"]
    assert group_pk(role) not in admin_form(page.content).choices["groups"]
    response = post_change_form(client, world.teacher2, groups=[group_pk(role)])
    assert response.status_code == 200  # the form refuses the choice
    assert "Select a valid choice" in response.content.decode()
    assert roles_of(world.teacher2) == {Role.TEACHER}


def test_a_school_admin_cannot_make_someone_staff_or_superuser(world):
    client = world.client(world.admin)
    response = post_change_form(client, world.teacher2, is_staff=["on"], is_superuser=["on"])
    assert response.status_code == 302
    world.teacher2.refresh_from_db()
    assert not world.teacher2.is_staff and not world.teacher2.is_superuser


def test_a_school_admin_gives_and_takes_roles_and_each_change_is_recorded(world):
    client = world.client(world.admin)
    before = RoleChange.objects.count()
    response = post_change_form(
        client, world.teacher2, groups=[group_pk(Role.TEACHER), group_pk(Role.SECRETARY)]
    )
    assert response.status_code == 302
    assert roles_of(world.teacher2) == {Role.TEACHER, Role.SECRETARY}
    response = post_change_form(client, world.teacher2, groups=[group_pk(Role.SECRETARY)])
    assert response.status_code == 302
    assert roles_of(world.teacher2) == {Role.SECRETARY}
    rows = list(RoleChange.objects.order_by("pk")[before:])
    assert [(r.actor, r.user, r.role, r.action, r.school) for r in rows] == [
        (world.admin, world.teacher2, Role.SECRETARY, "added", world.school),
        (world.admin, world.teacher2, Role.TEACHER, "removed", world.school),
    ]
    assert all(r.created_at for r in rows)
    assert rows[0].district == world.district


def test_a_superuser_gives_the_school_admin_role_on_record(world, superuser):
    client = world.client(superuser)
    response = post_change_form(
        client,
        world.teacher2,
        groups=[group_pk(Role.TEACHER), group_pk(Role.SCHOOL_ADMIN)],
    )
    assert response.status_code == 302
    assert Role.SCHOOL_ADMIN in roles_of(world.teacher2)
    row = RoleChange.objects.get(user=world.teacher2, role=Role.SCHOOL_ADMIN)
    assert (row.actor, row.action) == (superuser, "added")


def test_a_school_admin_does_not_make_themselves_chair_or_member_of_the_council(world):
    client = world.client(world.admin)
    url = reverse("admin:council_council_change", args=[world.council.pk])
    form = admin_form(client.get(url).content)
    assert str(world.admin.pk) not in form.choices["chair"]
    assert str(world.admin.pk) not in form.choices["secretary"]
    data = form.post_data()
    data["chair"] = [str(world.admin.pk)]
    response = client.post(url, data)
    assert response.status_code == 200
    assert Council.objects.get(pk=world.council.pk).chair == world.chair
    assert roles_of(world.admin) == {Role.SCHOOL_ADMIN}


def test_the_council_set_up_records_the_roles_it_gives(world):
    client = world.client(world.admin)
    url = reverse("admin:council_council_change", args=[world.council.pk])
    data = admin_form(client.get(url).content).post_data()
    data["secretary"] = [str(world.teacher2.pk)]
    response = client.post(url, data)
    assert response.status_code == 302
    row = RoleChange.objects.get(user=world.teacher2, role=Role.SECRETARY)
    assert (row.actor, row.action) == (world.admin, "added")


def test_role_changes_are_append_only(world):
    row = RoleChange.objects.filter(user=world.chair).first()
    assert row is not None
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()
    # The database refuses too, whatever the path.
    with pytest.raises(DatabaseError), transaction.atomic():
        RoleChange.objects.filter(pk=row.pk).update(role=Role.DIRECTOR)
    with pytest.raises(DatabaseError), transaction.atomic():
        RoleChange.objects.filter(pk=row.pk).delete()
    assert RoleChange.objects.get(pk=row.pk).role == row.role


def test_the_director_reads_their_schools_role_changes(world):
    world.outsider.groups.add(Group.objects.get(name=Role.DIRECTOR))  # other school
    page = world.client(world.director).get(reverse("role_changes"))
    assert page.status_code == 200
    rows = list(page.context["page"].object_list)
    assert rows and {r.school_id for r in rows} == {world.school.pk}
    assert "Бөкөнбаева" not in page.content.decode()
    assert "Сыдыкова" in page.content.decode()  # the chair got her roles
    # The page is in the director's menu, not in a teacher's.
    link = f'href="{reverse("role_changes")}"'
    assert link in world.client(world.director).get(reverse("flows:inbox")).content.decode()
    assert link not in world.client(world.author).get(reverse("flows:inbox")).content.decode()


def test_the_district_admin_reads_their_districts_role_changes(world):
    other_district = District.objects.create(name="Октябрь району")
    far = School.objects.create(name="№5 мектеп", district=other_district)
    make_user("far_teacher", far, [Role.TEACHER], last_name="Алыскы")
    page = world.client(world.district_admin).get(reverse("role_changes"))
    assert page.status_code == 200
    rows = list(page.context["page"].object_list)
    assert rows and {r.district_id for r in rows} == {world.district.pk}
    assert "Алыскы" not in page.content.decode()


@pytest.mark.parametrize("persona", ["author", "chair", "admin", "outsider"])
def test_others_do_not_read_the_role_record(world, persona):
    page = world.client(getattr(world, persona)).get(reverse("role_changes"))
    assert page.status_code == 403


def test_the_role_record_page_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    client = world.client(world.director)
    client.get(reverse("role_changes"))
    for i in range(30):
        make_user(f"extra{i}", world.school, [Role.TEACHER, Role.COUNCIL_MEMBER])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("role_changes")).status_code == 200


def other_school_rows(world) -> None:
    """A document, an association and a council in the other school."""
    from accounts.models import MethodicalAssociation

    MethodicalAssociation.objects.create(school=world.other_school, name="Тарых")
    for school, author in ((world.school, world.author), (world.other_school, world.outsider)):
        Document.objects.create(
            school=school,
            author=author,
            doc_type=DocumentType.LESSON_PLAN,
            title="Сабактын планы",
            academic_year=world.year,
        )


@pytest.mark.parametrize(
    "changelist",
    [
        "admin:documents_document_changelist",
        "admin:council_council_changelist",
        "admin:accounts_methodicalassociation_changelist",
        "admin:accounts_user_changelist",
    ],
)
def test_admin_list_filters_show_only_the_admins_school(world, changelist):
    other_school_rows(world)
    page = world.client(world.admin).get(reverse(changelist))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.other_school.name not in html and "№12" not in html
    # The superuser's filter does list both schools.
    root = User.objects.create_superuser(username="root", password=PASSWORD, email="r@e.org")
    assert "№12" in world.client(root).get(reverse(changelist)).content.decode()


def test_district_staff_see_only_their_districts_schools_in_the_admin(world):
    from django.contrib.auth.models import Permission

    other_school_rows(world)  # documents in school №94 (the district's) and in №12 (not)
    staff = make_user("district_staff", None, [], district=world.district, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_document"))
    page = world.client(staff).get(reverse("admin:documents_document_changelist"))
    assert page.status_code == 200
    schools = {d.school_id for d in page.context["cl"].result_list}
    assert schools == {world.school.pk}
    assert "№12" not in page.content.decode()
    # Staff of no school and no district see nothing at all.
    nowhere = make_user("nowhere_staff", None, [], is_staff=True)
    nowhere.user_permissions.add(Permission.objects.get(codename="view_document"))
    page = world.client(nowhere).get(reverse("admin:documents_document_changelist"))
    assert list(page.context["cl"].result_list) == []


def test_every_path_of_a_role_change_is_recorded_once(world):
    from accounts.audit import acting_as

    director_group = Group.objects.get(name=Role.DIRECTOR)
    teacher_group = Group.objects.get(name=Role.TEACHER)
    before = RoleChange.objects.count()
    with acting_as(world.director):
        world.teacher2.groups.add(director_group)  # from the user's side
        director_group.user_set.add(world.teacher2)  # already there: nothing
        world.teacher2.groups.remove(Group.objects.get(name=Role.CHAIR))  # not held: nothing
        director_group.user_set.remove(world.teacher2)  # from the group's side
        world.teacher2.groups.clear()  # takes the teacher role
    rows = [(r.actor, r.role, r.action) for r in RoleChange.objects.order_by("pk")[before:]]
    assert rows == [
        (world.director, Role.DIRECTOR, "added"),
        (world.director, Role.DIRECTOR, "removed"),
        (world.director, Role.TEACHER, "removed"),
    ]
    assert not teacher_group.user_set.filter(pk=world.teacher2.pk).exists()
