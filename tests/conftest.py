"""Named personas, built once per test (as healthchecks' tests do).

`world` holds school №94 with its council for the current academic year: a teacher
(author), a second teacher, three council members (experts), the chair, the secretary,
the director, a school administrator, and an outsider from another school.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import AcademicYear, District, MethodicalAssociation, School, User
from accounts.roles import Role
from council.models import Council, CouncilMember, MemberCategory
from documents.samples import sample_docx, sample_pdf

PASSWORD = "correct-horse-battery-94"


@dataclass
class World:
    school: School
    other_school: School
    year: AcademicYear
    association: MethodicalAssociation
    council: Council
    author: User
    teacher2: User
    expert1: User
    expert2: User
    expert3: User
    chair: User
    secretary: User
    director: User
    admin: User
    outsider: User
    # School №94's district (the other school is outside it) and its administrator.
    district: District
    district_admin: User

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    @property
    def experts(self) -> list[User]:
        return [self.expert1, self.expert2, self.expert3]


def make_user(username: str, school: School | None, roles: list[str], **extra) -> User:
    # Personas read English so that assertions on messages read plainly; the Kyrgyz UI has
    # its own tests (tests/test_project.py's catalogs, tests/e2e/test_browser_ky.py).
    extra.setdefault("language", "en")
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        school=school,
        email=f"{username}@example.org",
        **extra,
    )
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


def build_world() -> World:
    today = timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    year = AcademicYear.objects.create(
        starts_on=datetime.date(start, 9, 1), ends_on=datetime.date(start + 1, 8, 31)
    )
    school = School.objects.create(name="№94 жалпы орто билим берүү мектеби", short_name="№94")
    other = School.objects.create(name="№12 гимназия", short_name="№12")
    association = MethodicalAssociation.objects.create(school=school, name="Кыргыз тили")
    author = make_user(
        "author",
        school,
        [Role.TEACHER],
        last_name="Асанова",
        first_name="Айгүл",
        methodical_association=association,
    )
    teacher2 = make_user(
        "teacher2", school, [Role.TEACHER], last_name="Жумабеков", first_name="Нурлан"
    )
    expert1 = make_user(
        "expert1",
        school,
        [Role.COUNCIL_MEMBER, Role.TEACHER],
        last_name="Мамытов",
        first_name="Үмүт",
    )
    expert2 = make_user(
        "expert2",
        school,
        [Role.COUNCIL_MEMBER, Role.TEACHER],
        last_name="Осмонова",
        first_name="Айжан",
    )
    expert3 = make_user(
        "expert3",
        school,
        [Role.COUNCIL_MEMBER, Role.TEACHER],
        last_name="Бекова",
        first_name="Өмүркан",
    )
    chair = make_user(
        "chair",
        school,
        [Role.CHAIR, Role.COUNCIL_MEMBER],
        last_name="Сыдыкова",
        first_name="Гүлнара",
    )
    secretary = make_user(
        "secretary",
        school,
        [Role.SECRETARY, Role.COUNCIL_MEMBER],
        last_name="Токтогулова",
        first_name="Нурзат",
    )
    director = make_user(
        "director", school, [Role.DIRECTOR], last_name="Ажыгулова", first_name="Кымбат"
    )
    admin = make_user(
        "admin",
        school,
        [Role.SCHOOL_ADMIN],
        last_name="Исаева",
        first_name="Саламат",
        is_staff=True,
    )
    outsider = make_user(
        "outsider",
        other,
        [Role.TEACHER, Role.CHAIR, Role.COUNCIL_MEMBER],
        last_name="Бөкөнбаева",
        first_name="Чолпон",
    )
    district = District.objects.create(name="Свердлов району")
    school.district = district
    school.save(update_fields=["district"])
    district_admin = make_user(
        "district_admin",
        None,
        [Role.DISTRICT_ADMIN],
        last_name="Үсөнова",
        first_name="Нурсулуу",
        district=district,
    )
    council = Council.objects.create(
        school=school, academic_year=year, chair=chair, secretary=secretary
    )
    for user, category in [
        (chair, MemberCategory.MANAGEMENT),
        (expert1, MemberCategory.ASSOCIATION_HEAD),
        (expert2, MemberCategory.ASSOCIATION_HEAD),
        (expert3, MemberCategory.ASSOCIATION_HEAD),
        (secretary, MemberCategory.CREATIVE_GROUP),
    ]:
        CouncilMember.objects.create(council=council, user=user, category=category)
    # The other school has its own council, so its chair could act there.
    other_year_council = Council.objects.create(school=other, academic_year=year, chair=outsider)
    CouncilMember.objects.create(
        council=other_year_council, user=outsider, category=MemberCategory.MANAGEMENT
    )
    return World(
        school=school,
        other_school=other,
        year=year,
        association=association,
        council=council,
        author=author,
        teacher2=teacher2,
        expert1=expert1,
        expert2=expert2,
        expert3=expert3,
        chair=chair,
        secretary=secretary,
        director=director,
        admin=admin,
        outsider=outsider,
        district=district,
        district_admin=district_admin,
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


class StoryStep:
    """Where a long story test stands: it calls `step("3. The experts review")` as it
    reaches each step, and a failure is reported with the step it happened in (the
    report's first line and a section "Story step")."""

    def __init__(self) -> None:
        self.title = ""

    def __call__(self, title: str) -> None:
        self.title = title


@pytest.fixture
def step() -> StoryStep:
    return StoryStep()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    recorder = getattr(item, "funcargs", {}).get("step")
    if not (report.failed and call.when == "call" and isinstance(recorder, StoryStep)):
        return
    if recorder.title and hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection("Story step", f"The story failed at: {recorder.title}")
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            crash.message = f"[{recorder.title}] {crash.message}"


@pytest.fixture
def timeline_checked_against_registry(monkeypatch) -> list[tuple[str, set[str]]]:
    """Every task page's POST writes only the timeline events that the registry
    (flows/stages.py, NODES[node].events) says its node writes; returns what was seen."""
    from documents.models import DocumentEvent
    from flows.stages import NODES
    from flows.views import TaskView

    original = TaskView.dispatch
    seen: list[tuple[str, set[str]]] = []

    def dispatch(self, request, *args, **kwargs):
        last = DocumentEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = original(self, request, *args, **kwargs)
        node = self.task.flow_task.name
        kinds = set(DocumentEvent.objects.filter(pk__gt=last).values_list("kind", flat=True))
        assert kinds <= set(NODES[node].events), (
            f"completing {node} wrote {sorted(kinds)}; flows/stages.py NODES[{node!r}].events "
            f"lists {list(NODES[node].events)}"
        )
        seen.append((node, kinds))
        return response

    monkeypatch.setattr(TaskView, "dispatch", dispatch)
    return seen


@pytest.fixture(autouse=True)
def _broker_breaker_closed():
    """A broker failure in one test must not make the next skip its publishes."""
    from common.broker import breaker

    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pdf_upload(name: str = "plan.pdf", text: str = "Development program") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample_pdf(text), content_type="application/pdf")


def docx_upload(name: str = "plan.docx", text: str = "Өнүгүү программасы") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample_docx(text))
