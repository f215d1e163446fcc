"""Staff import: template → upload → a dry-run preview with an error per row → import in
the administrator's school only, idempotent, with a set-password e-mail per new person
in their language through the outbox; the district administrator's command."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from accounts.models import MethodicalAssociation, School, User
from accounts.roles import Role
from accounts.staff_import import ACCOUNT_CREATED, StaffRow, staff_import_check
from notifications.models import Delivery, Notification
from notifications.rendering import render_message
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
HEADER = ["Full name", "Position", "E-mail", "Role", "Methodical association", "Language"]


def xlsx(rows: list[list[str]], header: list[str] = HEADER) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("staff.xlsx", buffer.getvalue())


STAFF = [
    [
        "Абдыкадырова Нургүл Бакыт кызы",
        "Кыргыз тили мугалими",
        "nurgul@school94.kg",
        "Teacher",
        "Кыргыз тили",
        "ky",
    ],
    [
        "Иванова Мария Петровна",
        "Учитель математики",
        "m.ivanova@school94.kg",
        "Teacher, Council member",
        "",
        "ru",
    ],
    ["Өмүрбеков Үмүтбек", "Директордун орун басары", "umut@school94.kg", "council_member", "", ""],
]


def preview(client: Client, upload) -> list[tuple[str, str]]:
    response = client.post("/staff/import/", {"file": upload, "action": "preview"})
    assert response.status_code == 200
    return [(r.row.email, r.action, r.errors) for r in response.context["results"]]


def test_the_admin_previews_then_imports_staff_in_their_school(world):
    admin = world.client(world.admin)
    template = admin.get("/staff/import/template.xlsx")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER

    rows = preview(admin, xlsx(STAFF))
    assert [(email, action) for email, action, _e in rows] == [
        ("nurgul@school94.kg", "create"),
        ("m.ivanova@school94.kg", "create"),
        ("umut@school94.kg", "create"),
    ]
    assert not User.objects.filter(email__endswith="@school94.kg").exists()  # a dry run

    response = admin.post("/staff/import/", {"action": "import"})
    assert response.status_code == 302
    nurgul = User.objects.get(email="nurgul@school94.kg")
    assert (nurgul.last_name, nurgul.first_name, nurgul.patronymic) == (
        "Абдыкадырова",
        "Нургүл",
        "Бакыт кызы",
    )
    assert nurgul.school == world.school and nurgul.methodical_association == world.association
    assert nurgul.position == "Кыргыз тили мугалими" and not nurgul.has_usable_password()
    maria = User.objects.get(email="m.ivanova@school94.kg")
    assert set(maria.groups.values_list("name", flat=True)) == {Role.TEACHER, Role.COUNCIL_MEMBER}
    assert maria.language == "ru" and maria.username == "m.ivanova"

    # One set-password e-mail each, in the outbox, in their language.
    notices = Notification.objects.filter(kind=ACCOUNT_CREATED)
    assert notices.count() == 3
    assert Delivery.objects.filter(notification__in=notices).count() == 3
    to_maria = render_message(notices.get(recipient=maria))
    assert "установите пароль" in to_maria.subject.lower()
    assert "m.ivanova" in to_maria.text
    to_nurgul = render_message(notices.get(recipient=nurgul))
    assert "сырсөз" in to_nurgul.subject.lower()

    # The link sets the password, once.
    link = notices.get(recipient=maria).url
    page = Client()
    form_url = page.get(link).url
    response = page.post(
        form_url, {"new_password1": "Kyzyl-Suu-2026!", "new_password2": "Kyzyl-Suu-2026!"}
    )
    assert response.status_code == 302
    signed_in = Client().post(
        "/login/", {"username": "m.ivanova", "password": "Kyzyl-Suu-2026!"}, follow=True
    )
    assert signed_in.context["user"] == maria
    # Anonymous: the page is in Kyrgyz, the school's language.
    assert "шилтеме колдонулуп бүткөн" in Client().get(link, follow=True).content.decode()

    # The same file again: nothing changes, nobody is written to twice.
    rows = preview(admin, xlsx(STAFF))
    assert {action for _email, action, _e in rows} == {"unchanged"}
    admin.post("/staff/import/", {"action": "import"})
    assert Notification.objects.filter(kind=ACCOUNT_CREATED).count() == 3
    assert User.objects.filter(email__endswith="@school94.kg").count() == 3

    # A changed position updates the person.
    changed = [list(r) for r in STAFF]
    changed[0][1] = "Кыргыз тили жана адабияты мугалими"
    assert [a for _e, a, _x in preview(admin, xlsx(changed))] == [
        "update",
        "unchanged",
        "unchanged",
    ]
    admin.post("/staff/import/", {"action": "import"})
    nurgul.refresh_from_db()
    assert nurgul.position == "Кыргыз тили жана адабияты мугалими"


def test_every_refused_row_says_why(world):
    make_user("root", None, [], is_superuser=True)
    rows = [
        ["Асанов Бакыт", "", "not-an-email", "Teacher", "", ""],
        ["Асанов Бакыт", "", "b.asanov@school94.kg", "Teacher", "", ""],
        ["Асанова Жибек", "", "B.Asanov@school94.kg", "Teacher", "", ""],
        ["Токтоматов Азамат", "", "azamat@school94.kg", "Wizard", "", ""],
        ["Сатыбалдиева Айнура", "", "ainura@school94.kg", "School administrator", "", ""],
        ["Кадыров Эрлан", "", "erlan@school94.kg", "district_admin", "", ""],
        ["Мамбетова Гүлзат", "", "gulzat@school94.kg", "Teacher", "Химия", ""],
        ["Root User", "", "root@example.org", "Teacher", "", ""],
        ["Бөкөнбаева Чолпон", "", "outsider@example.org", "Teacher", "", ""],
        ["Исаева Саламат", "", "admin@example.org", "Teacher", "", ""],
        ["Жалгыз", "", "single@school94.kg", "Teacher", "", ""],
        ["Орозова Сезим", "", "sezim@school94.kg", "", "", "de"],
    ]
    admin = world.client(world.admin)
    results = preview(admin, xlsx(rows))
    errors = {email: errs for email, _action, errs in results}
    assert "“not-an-email” is not a valid e-mail address." in errors["not-an-email"]
    assert errors["b.asanov@school94.kg"] == []
    assert errors["B.Asanov@school94.kg"] == ["This e-mail is already on line 3 of the file."]
    assert errors["azamat@school94.kg"] == ["Unknown role “wizard”."]
    assert errors["ainura@school94.kg"] == ["You may not grant the role “School administrator”."]
    assert errors["erlan@school94.kg"] == ["You may not grant the role “District administrator”."]
    assert errors["gulzat@school94.kg"] == ["Unknown methodical association “Химия” in №94."]
    assert "administrator" in errors["root@example.org"][0]
    assert errors["outsider@example.org"] == ["This e-mail belongs to a person of another school."]
    assert "administrator" in errors["admin@example.org"][0]
    assert errors["single@school94.kg"] == [
        "Write the full name: last name, first name (and patronymic)."
    ]
    assert set(errors["sezim@school94.kg"]) == {
        "Give at least one role.",
        "The language is ky, ru or en.",
    }
    admin.post("/staff/import/", {"action": "import"})
    # Only the valid row is imported; nobody outside the school is touched.
    assert list(
        User.objects.filter(email__endswith="@school94.kg").values_list("email", flat=True)
    ) == ["b.asanov@school94.kg"]
    world.outsider.refresh_from_db()
    assert world.outsider.school == world.other_school


def test_a_russian_csv_from_excel_is_read(world):
    text = (
        "ФИО;Должность;E-mail;Роль;МО\nПетров Иван Сергеевич;Учитель;petrov@school94.kg;Учитель;\n"
    )
    upload = SimpleUploadedFile("staff.csv", text.encode("cp1251"))
    world.admin.language = "ru"
    world.admin.save(update_fields=["language"])
    assert preview(world.client(world.admin), upload) == [("petrov@school94.kg", "create", [])]


def test_a_file_that_is_not_a_table_gets_a_clear_message(world):
    response = world.client(world.admin).post(
        "/staff/import/",
        {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04garbage"), "action": "preview"},
    )
    assert response.status_code == 200
    assert "Upload an .xlsx or .csv file." in response.content.decode()
    response = world.client(world.admin).post(
        "/staff/import/", {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n"), "action": "preview"}
    )
    assert "The first row must name the columns" in response.content.decode()


def test_only_a_school_administrator_opens_the_page(world):
    for user in (world.author, world.chair, world.director, world.district_admin):
        assert world.client(user).get("/staff/import/").status_code == 403
        assert world.client(user).get("/staff/import/template.xlsx").status_code == 403
    assert world.client(world.admin).get("/staff/import/").status_code == 200
    assert (
        'data-testid="staff-import-link"'
        in world.client(world.admin).get("/profile/").content.decode()
    )
    assert "staff-import-link" not in world.client(world.chair).get("/profile/").content.decode()


def test_the_district_administrator_imports_into_the_district_schools(world, tmp_path):
    world.district_admin.language = "en"
    world.district_admin.save(update_fields=["language"])
    school3 = School.objects.create(name="№5 лицей", short_name="№5", district=world.district)
    MethodicalAssociation.objects.create(school=school3, name="Математика")
    path = tmp_path / "district.xlsx"
    path.write_bytes(
        xlsx(
            [
                [
                    "Алиева Динара",
                    "Директор",
                    "dinara@lyceum5.kg",
                    "Director, School administrator",
                    "",
                    "ru",
                    "№5",
                ],
                [
                    "Садыков Марат",
                    "Мугалим",
                    "marat@lyceum5.kg",
                    "Teacher",
                    "Математика",
                    "ky",
                    "№5 лицей",
                ],
                ["Касымов Тимур", "Мугалим", "timur@school94.kg", "Teacher", "", "", "№94"],
                ["Бекова Айпери", "Мугалим", "aiperi@school12.kg", "Teacher", "", "", "№12"],
                [
                    "Бекова Айпери",
                    "Мугалим",
                    "aiperi2@school12.kg",
                    "District administrator",
                    "",
                    "",
                    "№5",
                ],
            ],
            header=[*HEADER, "School"],
        ).read()
    )
    out = io.StringIO()
    call_command("import_staff", str(path), "--as", "district_admin", stdout=out)
    assert "dry run" in out.getvalue() and "3 new" in out.getvalue()
    assert "Unknown school “№12”, or not one of yours." in out.getvalue()
    assert not User.objects.filter(email="dinara@lyceum5.kg").exists()
    call_command("import_staff", str(path), "--as", "district_admin", "--apply", stdout=out)
    dinara = User.objects.get(email="dinara@lyceum5.kg")
    assert dinara.school == school3
    assert dinara.groups.filter(name=Role.SCHOOL_ADMIN).exists()
    assert User.objects.get(email="timur@school94.kg").school == world.school
    assert not User.objects.filter(email__startswith="aiperi").exists()


def test_the_check_reads_in_a_fixed_number_of_queries(world):
    def rows(n: int) -> list[StaffRow]:
        return [
            StaffRow(
                line=i + 2,
                full_name=f"Асанов Бакыт{i}",
                email=f"b{i}@school94.kg",
                roles="Teacher",
                association="Кыргыз тили",
            )
            for i in range(n)
        ]

    def count(n: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            staff_import_check(actor=world.admin, rows=rows(n), school=world.school)
        return len(ctx.captured_queries)

    count(1)  # the administrator's permissions, cached on the user
    assert count(5) == count(200)


def test_roles_exist_for_every_grantable_name():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_two_thousand_people_in_one_file(world):
    """A district's large school in one file, through the page (timed in
    bench/staff_import.py)."""
    from bench.staff_import import staff_file

    data = staff_file(2000, "t", ["Кыргыз тили"])
    admin = world.client(world.admin)
    rows = preview(admin, SimpleUploadedFile("staff.xlsx", data))
    assert len(rows) == 2000 and {action for _e, action, _x in rows} == {"create"}
    admin.post("/staff/import/", {"action": "import"})
    imported = User.objects.filter(email__endswith="@bench.kg", school=world.school)
    assert imported.count() == 2000
    assert imported.filter(language="ru").count() == 667
    assert Notification.objects.filter(kind=ACCOUNT_CREATED).count() == 2000
    rows = preview(admin, SimpleUploadedFile("staff.xlsx", data))
    assert {action for _e, action, _x in rows} == {"unchanged"}
