"""The permission matrix's data: the personas, the scene they act in, and for every URL the
status each persona must get. Asserted by tests/test_permissions.py; the garbage-input walk
and the API's matrix reuse the scene and personas."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from council.models import Session
from documents.models import Document, Review
from notifications.models import Notification
from tests.conftest import pdf_upload
from tests.helpers import create_and_submit, document_fields, the_task

PERSONAS = [
    "anonymous",
    "author",
    "teacher2",
    "expert1",
    "expert3",
    "chair",
    "secretary",
    "director",
    "admin",
    "outsider",
    "district_admin",  # no school; school №94's district
]
LOGIN = "login"  # a redirect to the login page


class Scene:
    """A submitted document (experts 1 and 2 assigned, expert 1's review open), a draft,
    both by the author."""

    def __init__(self, world):
        self.world = world
        self.submitted = create_and_submit(world)
        screen = the_task(world.chair, "screen")
        due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
        world.client(world.chair).post(
            reverse("flows:task", args=[screen.pk]),
            {"action": "accept", "experts": [world.expert1.pk, world.expert2.pk], "due_date": due},
        )
        self.review_task = Task.objects.get(owner=world.expert1, status=STATUS.ASSIGNED)
        self.open_review = Review.objects.get(expert=world.expert2)
        world.client(world.author).post(
            reverse("documents:create"),
            {
                **document_fields(world, title="Сабактын планы (долбоор)"),
                "upload": pdf_upload(),
                "save": "1",
            },
        )
        self.draft = Document.objects.get(title="Сабактын планы (долбоор)")
        world.client(world.chair).post(
            reverse("council:session_new"),
            {
                "date": (world.year.starts_on + datetime.timedelta(days=10)).isoformat(),
                "place": "",
                "free_items": "Маселе",
            },
        )
        self.session = Session.objects.get(council=world.council)
        self.chair_notice = Notification.objects.filter(recipient=world.chair).first()

    def superuser(self):
        """A superuser of school №94 (made on demand: other rows do not see one)."""
        from accounts.models import User

        return User.objects.filter(username="root94").first() or User.objects.create_superuser(
            username="root94",
            password="x-94-root",
            email="root@example.org",
            school=self.world.school,
        )

    def client(self, persona: str) -> Client:
        if persona == "anonymous":
            return Client()
        return self.world.client(getattr(self.world, persona))


def everyone(status: int, **overrides: int | str) -> dict[str, int | str]:
    cells: dict[str, int | str] = dict.fromkeys(PERSONAS, status)
    cells["anonymous"] = LOGIN
    cells.update(overrides)
    return cells


def only(persona_status: dict[str, int], otherwise: int = 404) -> dict[str, int | str]:
    return everyone(otherwise, **persona_status)


SCHOOL_STAFF = {"chair": 200, "secretary": 200, "director": 200, "admin": 200}
NOT_ON_COUNCIL = {"author": 403, "teacher2": 403}
# A person of no school (the district administrator) finds no council: 404.
NO_SCHOOL = {"district_admin": 404}
COUNCIL_VIEWERS = {"expert1": 200, "expert3": 200, **SCHOOL_STAFF}


def council_page(code_for_viewers: int = 200, outsider: int = 200) -> dict[str, int | str]:
    """Council pages: its members and the school's staff; the outsider sees their own
    school's council (they chair it)."""
    cells = everyone(code_for_viewers, outsider=outsider, **NOT_ON_COUNCIL, **NO_SCHOOL)
    return cells


def this_session(allowed: dict[str, int], viewers: int = 403) -> dict[str, int | str]:
    """A page of our session: 404 for the other school, 403 for those who may not."""
    return everyone(viewers, outsider=404, **NOT_ON_COUNCIL, **NO_SCHOOL, **allowed)


SUBMITTED_READERS = {"author": 200, "expert1": 200, **SCHOOL_STAFF}

# url name -> (how to build the URL from the scene, method, expected per persona)
MATRIX: dict[str, tuple[Callable[[Scene], str], str, dict[str, int | str]]] = {
    "home": (lambda s: reverse("home"), "get", everyone(302)),
    "favicon": (lambda s: reverse("favicon"), "get", everyone(200, anonymous=200)),
    "login": (lambda s: reverse("login"), "get", everyone(302, anonymous=200)),
    "logout": (lambda s: reverse("logout"), "get", everyone(405, anonymous=405)),
    "set_language": (lambda s: reverse("set_language"), "get", everyone(405, anonymous=405)),
    # Public, for orchestrators: ok/failing only (tests/test_production_health.py).
    "health": (lambda s: reverse("health") + "?only=database", "get", everyone(200, anonymous=200)),
    "flows:inbox": (lambda s: reverse("flows:inbox"), "get", everyone(200)),
    "flows:task": (
        lambda s: reverse("flows:task", args=[s.review_task.pk]),
        "get",
        only({"expert1": 200}),
    ),
    "documents:mine": (lambda s: reverse("documents:mine"), "get", everyone(200)),
    "documents:school": (
        lambda s: reverse("documents:school"),
        "get",
        # The outsider is a chair in their own school: 200, and sees only that school.
        everyone(403, outsider=200, **SCHOOL_STAFF),
    ),
    "documents:create": (
        lambda s: reverse("documents:create"),
        "get",
        everyone(200, director=403, admin=403, district_admin=403),
    ),
    "documents:detail": (
        lambda s: reverse("documents:detail", args=[s.submitted.pk]),
        "get",
        only(SUBMITTED_READERS),
    ),
    "documents:edit": (
        lambda s: reverse("documents:edit", args=[s.draft.pk]),
        "get",
        only({"author": 200}),
    ),
    "documents:submit": (
        lambda s: reverse("documents:submit", args=[s.draft.pk]),
        "post",
        only({"author": 302}),
    ),
    "documents:draft_file": (
        lambda s: reverse("documents:draft_file", args=[s.draft.pk]),
        "get",
        only({"author": 200}),
    ),
    "documents:version_file": (
        lambda s: reverse("documents:version_file", args=[s.submitted.pk, 1]),
        "get",
        only(SUBMITTED_READERS),
    ),
    "documents:compare": (
        # One version so far: its readers are sent back to the document page.
        lambda s: reverse("documents:compare", args=[s.submitted.pk]),
        "get",
        only(dict.fromkeys(SUBMITTED_READERS, 302)),
    ),
    "documents:approval_sheet": (
        # Not approved yet: no sheet for anyone who may see the document.
        lambda s: reverse("documents:approval_sheet", args=[s.submitted.pk]),
        "get",
        everyone(404),
    ),
    "council:overview": (lambda s: reverse("council:overview"), "get", council_page()),
    "council:compliance": (lambda s: reverse("council:compliance"), "get", council_page()),
    "council:report": (lambda s: reverse("council:report"), "get", council_page()),
    "council:report_file": (
        lambda s: reverse("council:report_file"),
        "get",
        council_page(404, 404),
    ),
    "council:session_new": (
        lambda s: reverse("council:session_new"),
        "get",
        # each chairs their own school's council
        everyone(403, chair=200, outsider=200, **NO_SCHOOL),
    ),
    "council:session": (
        lambda s: reverse("council:session", args=[s.session.pk]),
        "get",
        this_session(COUNCIL_VIEWERS),
    ),
    "council:protocol_edit": (
        lambda s: reverse("council:protocol_edit", args=[s.session.pk]),
        "get",
        this_session({"secretary": 200}),
    ),
    "council:protocol_confirm": (
        lambda s: reverse("council:protocol_confirm", args=[s.session.pk]),
        "post",
        this_session({"chair": 302, "secretary": 302}),
    ),
    "council:session_close": (
        lambda s: reverse("council:session_close", args=[s.session.pk]),
        "post",
        this_session({"chair": 302}),
    ),
    "council:protocol_file": (
        # Not confirmed yet, so no file: 404 even for those who may see the session.
        lambda s: reverse("council:protocol_file", args=[s.session.pk, "pdf"]),
        "get",
        this_session({}, viewers=404),
    ),
    # A district administrator belongs to no school: nothing to substitute, back home.
    "absence": (lambda s: reverse("absence"), "get", everyone(200, district_admin=302)),
    "documents:review_extend": (
        lambda s: reverse("documents:review_extend", args=[s.submitted.pk, s.open_review.pk]),
        "post",
        # The chair of an open expertise only; readers of the document 403, others 404.
        only({**dict.fromkeys(SUBMITTED_READERS, 403), "chair": 302}),
    ),
    "documents:review_replace": (
        lambda s: reverse("documents:review_replace", args=[s.submitted.pk, s.open_review.pk]),
        "post",
        only({**dict.fromkeys(SUBMITTED_READERS, 403), "chair": 302}),
    ),
    # Tasks of people who left: the school administrator and a chair (the outsider chairs
    # their own school's council, and finds only their school's tasks).
    "flows:unowned": (
        lambda s: reverse("flows:unowned"),
        "get",
        everyone(403, chair=200, admin=200, outsider=200),
    ),
    "flows:reassign": (
        # An active owner's task: refused with a message (302); another school's: 404.
        lambda s: reverse("flows:reassign", args=[s.review_task.pk]),
        "post",
        everyone(403, chair=302, admin=302, outsider=404),
    ),
    "notifications:list": (lambda s: reverse("notifications:list"), "get", everyone(200)),
    "notifications:preferences": (
        lambda s: reverse("notifications:preferences"),
        "get",
        everyone(200),
    ),
    "notifications:read_all": (lambda s: reverse("notifications:read_all"), "post", everyone(302)),
    # Status tracking (reports/): the school's chair, director and administrator; the
    # district's administrator for every school of the district.
    "reports:dashboard": (
        lambda s: reverse("reports:dashboard"),
        "get",
        # The outsider chairs their own school: its dashboard. The district administrator
        # is sent on to the district comparison.
        everyone(403, chair=200, director=200, admin=200, outsider=200, district_admin=302),
    ),
    "reports:school": (
        lambda s: reverse("reports:school", args=[s.world.school.pk]),
        "get",
        only({"chair": 200, "director": 200, "admin": 200, "district_admin": 200}),
    ),
    "reports:overdue": (
        lambda s: reverse("reports:overdue", args=[s.world.school.pk]),
        "get",
        only({"chair": 200, "director": 200, "admin": 200, "district_admin": 200}),
    ),
    "reports:district": (
        lambda s: reverse("reports:district"),
        "get",
        everyone(403, district_admin=200),
    ),
    # Everyone may search; what they find is what they may see (test_search_*).
    "reports:search": (lambda s: reverse("reports:search") + "?q=план", "get", everyone(200)),
    "profile": (lambda s: reverse("profile"), "get", everyone(200)),
    # The staff import: a school administrator, into their own school only.
    "staff_import": (lambda s: reverse("staff_import"), "get", everyone(403, admin=200)),
    "staff_import_template": (
        lambda s: reverse("staff_import_template"),
        "get",
        everyone(403, admin=200),
    ),
    # A set-password link with a wrong token: the page says so, to anyone.
    "password_set": (
        lambda s: reverse("password_set", args=["MQ", "wrong-token"]),
        "get",
        everyone(200, anonymous=200),
    ),
    # Revokes only the user's own tokens: see tests/api/test_tokens.py.
    "token_revoke": (lambda s: reverse("token_revoke", args=[1]), "post", everyone(302)),
    # The record of role changes: the director (their school) and the district
    # administrator (their district); see tests/accounts/test_admin_rights.py.
    "role_changes": (
        lambda s: reverse("role_changes"),
        "get",
        everyone(403, director=200, district_admin=200),
    ),
    # The public verification of official papers: no login; a code nobody was issued
    # answers 404 to everyone alike (tests/documents/test_papers.py).
    "verify:start": (lambda s: reverse("verify:start"), "get", everyone(200, anonymous=200)),
    "verify:paper": (
        lambda s: reverse("verify:paper", args=["7KQ2M9XD4PABCDEFGHJKMNPQRS"]),
        "get",
        everyone(404, anonymous=404),
    ),
    # Marks only the user's own: see test_nobody_marks_someone_elses_notification.
    "notifications:read": (
        lambda s: reverse("notifications:read", args=[s.chair_notice.pk]),
        "post",
        everyone(302),
    ),
}

# Cells beyond one per URL: objects that must stay hidden from people who see the URL.
EXTRA = {
    "draft detail": (
        lambda s: reverse("documents:detail", args=[s.draft.pk]),
        "get",
        only({"author": 200}),
    ),
    "another district's school dashboard": (
        lambda s: reverse("reports:school", args=[s.world.other_school.pk]),
        "get",
        only({"outsider": 200}),
    ),
    "school documents exported": (
        lambda s: reverse("documents:school") + "?export=xlsx",
        "get",
        everyone(403, outsider=200, **SCHOOL_STAFF),
    ),
    # The admin: a school administrator never reaches a superuser of their own school (the
    # admin answers "no such user" with a redirect, the password form with 404); people who
    # are not staff are sent to the admin's sign-in.
    "admin: a superuser's change page": (
        lambda s: reverse("admin:accounts_user_change", args=[s.superuser().pk]),
        "get",
        everyone(302, anonymous=LOGIN),
    ),
    "admin: a superuser's password": (
        lambda s: reverse("admin:auth_user_password_change", args=[s.superuser().pk]),
        "post",
        everyone(302, anonymous=LOGIN, admin=404),
    ),
    "admin: the role record": (
        lambda s: reverse("admin:accounts_rolechange_changelist"),
        "get",
        everyone(302, anonymous=LOGIN, admin=403),
    ),
    "post on someone else's task": (
        lambda s: reverse("flows:task", args=[s.review_task.pk]),
        "post",
        only({"expert1": 200}),
    ),
}
