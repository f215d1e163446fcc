"""No input makes a 500: every URL pattern × persona × GET/POST, with garbage in every path
parameter, query parameter and form field.

The URLs come from walking the resolver, so a new URL is covered (and must get a row in the
permission matrix, whose builders give a valid URL for each name). Field and parameter names
are discovered from the pages themselves: every form and every link of every page a persona
can open, mapped to the URL it submits to; the admin's from its add and change forms.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from accounts.models import User
from tests.html_forms import page_forms
from tests.permission_matrix import EXTRA, MATRIX, PERSONAS, Scene

pytestmark = pytest.mark.django_db

# Non-numeric, huge and negative numbers, empty, very long, impossible dates, unknown
# choices, NUL, mixed scripts and digits Python's int() refuses though str.isdigit() says yes.
GARBAGE = [
    "abc",
    "",
    "9223372036854775808",
    "-1",
    "x" * 100_000,
    "2026-02-30",
    "\x00",
    "²",
    "unknown_choice",
    "-9223372036854775809",
    "0",
    "1" * 40,
    "1.5e309",
    "0000-00-00",
    "a\x00b",
    "Өнүгүү ١٢٣ 𝟙 Ωμέγα",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "../../etc/passwd",
    "%",
]
# Where the rotations start (request i gives field j GARBAGE[start_i + j]): the thorough
# pass, the admin's, and the light one for the other personas.
ROTATION = GARBAGE[:8]
ROTATION_ADMIN = GARBAGE[:4]
LIGHT = [GARBAGE[0], GARBAGE[2], GARBAGE[6]]
# The ones that broke parsers before, for one field at a time.
# (NUL is refused for every URL at once, by project.middleware.RefuseNulMiddleware.)
SHARP = ["abc", "9223372036854775808", "²"]
# Path parameters: whatever their converter lets through to the view.
PATH_INT = ["0", "9223372036854775807", "9223372036854775808", "1" * 40]
PATH_STR = ["abc", "Өнүгүү", "x" * 2000, "..", "\x00"]

ADMIN_PERSONAS = ["anonymous", "author", "admin", "superuser"]
ALL_PERSONAS = [*PERSONAS, "superuser"]
# Query parameters every list page may read, whether or not a link shows them today.
COMMON_QUERY = {"page", "year", "q", "export", "next"}


@dataclass
class Names:
    """What is submitted to one URL name: form fields by method, files, links' params."""

    post: set[str] = field(default_factory=set)
    get: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    # a valid value per field, from the page (so that one field at a time can be garbage)
    valid: dict[str, list[str]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)

    def valid_value(self, name: str) -> str:
        """What a person would send: the page's value, else a choice, else by input type."""
        import datetime

        given = [v for v in self.valid.get(name, []) if v]
        if given:
            return given[0]
        offered = [v for v in self.choices.get(name, []) if v]
        if offered:
            return offered[0]
        today = datetime.date.today()
        return {
            "date": (today + datetime.timedelta(days=3)).isoformat(),
            "datetime-local": f"{today.isoformat()}T10:00",
            "time": "10:00",
            "number": "1",
            "email": "someone@example.org",
        }.get(self.types.get(name, "text"), "Өнүгүү")


_names_cache: dict[str, Names] = {}


def url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


# Sessions made once, in the module's transaction (a session made inside a test would be
# rolled back with it). A request that ends one (a logout) is noticed; the test then signs
# in afresh, and the rollback at its end brings the module's session back.
_module_sessions: dict[str, str] = {}
_test_sessions: dict[str, str] = {}
_ended = {"in_this_test": False}


def _sign_in(scene: Scene, persona: str) -> str:
    from django.conf import settings

    client = Client()
    client.force_login(
        scene.superuser() if persona == "superuser" else getattr(scene.world, persona)
    )
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def client_for(scene: Scene, persona: str) -> Client:
    from django.conf import settings

    client = Client()
    if persona == "anonymous":
        return client
    sessions = _test_sessions if _ended["in_this_test"] else _module_sessions
    if persona not in sessions:
        sessions[persona] = _sign_in(scene, persona)
    client.cookies[settings.SESSION_COOKIE_NAME] = sessions[persona]
    return client


def _forget_ended_sessions(response) -> None:
    from django.conf import settings

    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is not None:  # the session was flushed or rotated: sign in afresh
        _ended["in_this_test"] = True
        _test_sessions.clear()


def learn_from(
    names: dict[str, Names], page_url: str, html: str, as_name: str | None = None
) -> None:
    for form in page_forms(html):
        target = url_name(urlsplit(form.action or page_url).path)
        if as_name is not None and target == url_name(urlsplit(page_url).path):
            target = as_name
        if target is None:
            continue
        entry = names[target]
        if form.method == "post":
            entry.post |= form.names
            entry.files |= form.files
            for key, values in form.data.items():
                entry.valid.setdefault(key, values)
            for key, kind in form.types.items():
                entry.types.setdefault(key, kind)
            for key, values in form.choices.items():
                entry.choices.setdefault(key, values)
        else:
            entry.get |= form.names
    for href in _links(html):
        parts = urlsplit(href)
        if parts.netloc or not parts.query:
            continue
        target = url_name(parts.path or urlsplit(page_url).path)
        if target is not None:
            names[target].get |= {key for key, _value in parse_qsl(parts.query)}


def _links(html: str) -> Iterator[str]:
    import re
    from html import unescape

    for match in re.finditer(r'href="([^"]*)"', html):
        yield unescape(match.group(1))


def discovered(scene: Scene) -> dict[str, Names]:
    """Crawl every page of the matrix as every persona; cached for the module (names do not
    depend on the scene's ids)."""
    if _names_cache:
        return _names_cache
    names: dict[str, Names] = defaultdict(Names)
    rows = {**MATRIX, **EXTRA}
    for persona in ALL_PERSONAS:
        client = client_for(scene, persona)
        for build, _method, expected in rows.values():
            # The matrix says who sees each page; the superuser sees what the admin does.
            if expected.get("admin" if persona == "superuser" else persona) != 200:
                continue
            url = build(scene)
            response = client.get(url)
            if response.status_code == 200 and not response.streaming:
                learn_from(names, url, response.content.decode(errors="replace"))
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        client = client_for(scene, "superuser")
        for url in _admin_object_urls(scene, model, info):
            response = client.get(url)
            if response.status_code == 200:
                learn_from(names, url, response.content.decode(errors="replace"))
    for case, (owner, _node, _title) in TASK_CASES.items():
        url = build_valid(scene, case)
        response = client_for(scene, owner).get(url)
        assert response.status_code == 200, case
        learn_from(names, url, response.content.decode(errors="replace"), as_name=case)
    _names_cache.update(names)
    return _names_cache


def _admin_object_urls(scene: Scene, model, info) -> list[str]:
    prefix = "admin:{}_{}_".format(*info)
    urls = [reverse(prefix + "changelist"), reverse(prefix + "add")]
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        urls.append(reverse(prefix + "change", args=[obj.pk]))
    return urls


# ---------------------------------------------------------------------------------------
# Every URL pattern, with a way to build a valid URL for it.


def all_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple]:
    for entry in (resolver or get_resolver()).url_patterns:
        if _is_rest_api(entry):
            continue  # garbage for the REST API: tests/api/test_garbage.py and schemathesis
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from all_patterns(entry, ns)
        elif isinstance(entry, URLPattern):
            yield prefix + (entry.name or f"<unnamed {entry.pattern}>"), entry


def _is_rest_api(entry: URLPattern | URLResolver) -> bool:
    # The API answers problem details, not pages with forms: it has its own garbage test
    # and schemathesis walks its schema, so this walk leaves /api/ to them.
    if isinstance(entry, URLResolver) and entry.namespace == "api-1":
        return True
    return str(entry.pattern).lstrip("^").startswith("api/")


# One URL, /tasks/<id>/, serves every kind of task with its own form: each kind the scene
# can reach is walked as a case of its own (case id -> the owner, the node, the document).
TASK_CASES = {
    "flows:task@screen": ("chair", "screen", "Garbage: screening"),
    "flows:task@decide": ("chair", "decide", "Garbage: decision"),
    "flows:task@revise": ("author", "revise", "Garbage: revision"),
}


def pattern_ids() -> list[str]:
    return sorted({name for name, _entry in all_patterns()} | set(TASK_CASES))


def task_scene(scene: Scene) -> None:
    """Documents waiting at screening, at the chair's decision and at the author's revision."""
    import datetime

    from django.utils import timezone

    from tests.helpers import create_and_submit, review_post

    world = scene.world
    chair, expert3 = world.client(world.chair), world.client(world.expert3)
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    for _owner, node, title in TASK_CASES.values():
        create_and_submit(world, title=title)
        if node == "screen":
            continue
        screen = _task(world.chair, "screen", title)
        chair.post(
            reverse("flows:task", args=[screen.pk]),
            {"action": "accept", "experts": [world.expert3.pk], "due_date": due},
        )
        opinion = (
            review_post("revise", ["Толуктоо."]) if node == "revise" else review_post("approve", [])
        )
        expert3.post(
            reverse("flows:task", args=[_task(world.expert3, "review", title).pk]), opinion
        )
        if node == "revise":
            decide = _task(world.chair, "decide", title)
            chair.post(
                reverse("flows:task", args=[decide.pk]),
                {"decision": "revise", "reason": "Сунуштарды эске алыңыз."},
            )
    for owner, node, title in TASK_CASES.values():
        _task(getattr(world, owner), node, title)  # each is there


def _task(user: User, node: str, title: str):
    from tests.helpers import open_tasks

    tasks = [t for t in open_tasks(user, node) if t.process.coerced.document.title == title]
    assert len(tasks) == 1, (user, node, title, tasks)
    return tasks[0]


def test_every_pattern_is_walked():
    """An unnamed pattern cannot be built from its name: name it (the admin's own two are
    built by hand)."""
    unnamed = [n for n in pattern_ids() if "<unnamed" in n and n not in UNNAMED_ADMIN]
    assert unnamed == []


def _converters(name: str) -> dict[str, str]:
    name = name.split("@", 1)[0]
    for candidate, entry in all_patterns():
        if candidate == name:
            converters = {
                key: type(conv).__name__ for key, conv in entry.pattern.converters.items()
            }
            regex = getattr(entry.pattern, "regex", None)
            for group in regex.groupindex if regex is not None else ():
                converters.setdefault(group, "RegexGroup")
            return converters
    raise KeyError(name)


def valid_kwargs(scene: Scene, name: str) -> dict[str, object] | None:
    """A URL of the admin built from the scene (ours come from the matrix)."""
    converters = _converters(name)
    kwargs: dict[str, object] = {}
    for key in converters:
        if key == "app_label":
            kwargs[key] = "accounts"
        elif key == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            kwargs[key] = ContentType.objects.get_for_model(User).pk
        elif key in ("object_id", "id"):
            model = _admin_model(name)
            obj = model._default_manager.order_by("pk").first() if model else None
            kwargs[key] = obj.pk if obj is not None else scene.world.teacher2.pk
        elif key == "url":
            kwargs[key] = "nothing/here/"
        else:
            return None
    return kwargs


def _admin_model(name: str):
    short = name.split(":", 1)[1]
    for model in admin.site._registry:
        if short.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    if short.startswith("auth_user_"):
        return User
    return None


# The admin's unnamed patterns: its catch-all, and the old object URL it redirects.
UNNAMED_ADMIN = {
    "admin:<unnamed (?P<url>.*)$>": ("/admin/{}/", ["no-such-page"]),
    "admin:<unnamed <path:object_id>/>": ("/admin/accounts/user/{}/", None),
}


def build_valid(scene: Scene, name: str) -> str:
    if name in TASK_CASES:
        owner, node, title = TASK_CASES[name]
        return reverse("flows:task", args=[_task(getattr(scene.world, owner), node, title).pk])
    if name in MATRIX:
        return MATRIX[name][0](scene)
    if name in UNNAMED_ADMIN:
        template, values = UNNAMED_ADMIN[name]
        return template.format(values[0] if values else scene.world.teacher2.pk)
    kwargs = valid_kwargs(scene, name)
    assert kwargs is not None, f"no way to build {name}: add it to the permission matrix"
    return reverse(name, kwargs=kwargs)


def garbage_paths(scene: Scene, name: str, valid_url: str) -> list[str]:
    """The valid URL with each path parameter replaced by garbage its converter accepts."""
    if name in UNNAMED_ADMIN:
        template = UNNAMED_ADMIN[name][0]
        return [template.format(value) for value in [*PATH_INT, *PATH_STR] if value != ".."]
    resolved = resolve(urlsplit(valid_url).path)
    name = name.split("@", 1)[0]
    urls = []
    for key, converter in _converters(name).items():
        values = PATH_INT if converter == "IntConverter" else PATH_STR
        if key == "app_label":  # a regex of the installed apps' labels
            values = ["auth", "accounts"]
        for value in values:
            kwargs = {**resolved.kwargs, key: value}
            try:
                urls.append(reverse(name, kwargs=kwargs))
            except NoReverseMatch:
                continue
    return urls


# ---------------------------------------------------------------------------------------
# The requests.


@dataclass
class Failure:
    persona: str
    method: str
    url: str
    what: str

    def __str__(self) -> str:
        return f"{self.persona} {self.method} {self.url[:120]}: {self.what[:300]}"


def garbage_sets(
    fields: list[str], names: Names, one_at_a_time: list[str], values: list[str]
) -> Iterator[dict[str, str]]:
    """Every field garbage at once, rotating: request i gives field j GARBAGE[start_i + j], so
    the fields of one request differ, each field meets len(values) values and the fields
    together meet all of them. Then one field at a time with the sharpest values and the
    others as a person would fill them, so that a view that stops at its first bad field
    still meets garbage in each of the others."""
    for i in range(len(values)):
        yield {
            f: GARBAGE[(GARBAGE.index(values[i]) + j) % len(GARBAGE)] for j, f in enumerate(fields)
        }
    for name, value in itertools.product(one_at_a_time, SHARP):
        data = {f: names.valid_value(f) for f in fields}
        data[name] = value
        yield data


def send(client: Client, method: str, url: str, data: dict, files: set[str]) -> object:
    if method == "get":
        response = client.get(url, data)
    else:
        payload: dict[str, object] = dict(data)
        for name in files:
            payload[name] = SimpleUploadedFile("garbage.docx", b"PK\x03\x04garbage")
        response = client.post(url, payload)
    _forget_ended_sessions(response)
    return response


def check(failures: list[Failure], persona: str, method: str, url: str, call) -> int | None:
    try:
        response = call()
    except Exception as error:  # the test client re-raises what the view raised
        failures.append(Failure(persona, method, url, f"{type(error).__name__}: {error}"))
        return None
    status = response.status_code
    if status >= 500:
        failures.append(Failure(persona, method, url, f"HTTP {status}"))
    elif not response.streaming and b"Traceback" in response.content:
        failures.append(Failure(persona, method, url, "a traceback in the page"))
    return status


def reaches_view(response_status: int | None) -> bool:
    return response_status is not None and response_status < 400


def run_garbage(scene: Scene, name: str, personas: list[str]) -> list[Failure]:
    names = discovered(scene).get(name, Names())
    valid_url = build_valid(scene, name)
    base, _q, query = valid_url.partition("?")
    failures: list[Failure] = []
    seen_query = names.get | {k for k, _v in parse_qsl(query)}
    query_fields = sorted(seen_query | COMMON_QUERY)
    post_fields = sorted(names.post - names.files) or ["field"]
    is_admin = name.startswith("admin:")
    bad_paths = garbage_paths(scene, name, base)

    def fresh(persona: str) -> Client:
        # A fresh client per request: a garbage POST to logout must not sign the next out.
        return client_for(scene, persona)

    # Who gets through, asked the way the page is used (a POST-only action by POST).
    probe = MATRIX[name][1] if name in MATRIX else "get"
    reaching = []
    for persona in personas:
        response = None

        def first(persona=persona):
            nonlocal response
            response = send(fresh(persona), probe, valid_url, {}, set())
            return response

        status = check(failures, persona, probe, valid_url, first)
        to_login = status == 302 and "login" in (response.get("Location") or "")
        if status is not None and status < 400 and not to_login:
            reaching.append(persona)

    if name in MATRIX:
        # The walk is only worth something if the personas really are who they say: the
        # ones the permission matrix lets in must be the ones that got in.
        expected = MATRIX[name][2]
        assert [p for p in reaching if p != "superuser"] == [
            p for p in personas if isinstance(expected.get(p), int) and expected[p] < 400
        ], f"{name}: {reaching}"
    elif name.endswith("_changelist"):
        assert "superuser" in reaching, f"{name}: {reaching}"
    elif name in TASK_CASES:
        assert reaching == [TASK_CASES[name][0]], f"{name}: {reaching}"
        assert names.post, f"{name}: no form found on the task's page"

    def run(persona: str, method: str, sets: Iterator[dict[str, str]], paths: list[str]) -> None:
        for data in sets:
            check(
                failures,
                persona,
                method,
                f"{base} {sorted(data.items())!r:.200}",
                lambda data=data: send(
                    fresh(persona), method, base, data, names.files if method == "post" else set()
                ),
            )
        for url in paths:
            check(
                failures,
                persona,
                method,
                url,
                lambda url=url: send(fresh(persona), method, url, {}, set()),
            )

    # The budget goes where the view's own code runs: all of it for the first persona the
    # view serves, a lighter pass for the last (the roles differ most at the ends of the
    # list), one GET and one POST for each persona it refuses (the same decorator refuses
    # them all). In the admin, whose views are Django's own around our ModelAdmins, the
    # first persona served gets the full pass and the others one request per method.
    for persona in personas:
        for method in ("get", "post"):
            fields = query_fields if method == "get" else post_fields
            if reaching and persona == reaching[0]:
                one_at_a_time = [
                    f
                    for f in (sorted(seen_query) if method == "get" else post_fields)
                    if f != "csrfmiddlewaretoken"
                ]
                if is_admin:
                    run(persona, method, garbage_sets(fields, names, [], ROTATION_ADMIN), bad_paths)
                else:
                    run(
                        persona,
                        method,
                        garbage_sets(fields, names, one_at_a_time, ROTATION),
                        bad_paths,
                    )
            elif persona in reaching and not is_admin:
                run(persona, method, garbage_sets(fields, names, [], LIGHT), bad_paths[:1])
            else:
                run(persona, method, garbage_sets(fields, names, [], LIGHT[1:2]), [])
    return failures


def personas_for(name: str) -> list[str]:
    return ADMIN_PERSONAS if name.startswith("admin:") else ALL_PERSONAS


@pytest.fixture(scope="module")
def module_scene(django_db_setup, django_db_blocker, tmp_path_factory):
    """One scene for the whole module, built inside a transaction that is rolled back at
    the end; each test runs in a savepoint of its own (pytest-django's `db`), so what a
    garbage POST changes is undone before the next pattern."""
    from django.db import transaction
    from django.test import override_settings

    from tests.conftest import build_world

    media = tmp_path_factory.mktemp("garbage-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        scene = Scene(build_world())
        scene.superuser()
        task_scene(scene)
        _module_sessions.clear()
        for persona in ALL_PERSONAS:
            if persona != "anonymous":
                _module_sessions[persona] = _sign_in(scene, persona)
        # Refusals (403, 404) are expected by the thousand here; a 500 is still logged.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        yield scene, media
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _test_settings(settings, module_scene):
    """Overrides the suite's per-test media folder: the scene's files live in the module's."""
    settings.MEDIA_ROOT = module_scene[1]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _ended["in_this_test"] = False
    _test_sessions.clear()


@pytest.mark.parametrize("name", pattern_ids())
def test_no_garbage_makes_a_500(db, module_scene, name):
    scene = module_scene[0]
    failures = run_garbage(scene, name, personas_for(name))
    assert not failures, "\n".join(str(f) for f in failures[:30])


# The 500s this walk found, each pinned with what the person sees instead.


def test_a_year_past_bigint_shows_the_current_council(db, module_scene):
    scene = module_scene[0]
    client = client_for(scene, "chair")
    for year in ("9223372036854775808", "²", "abc"):
        page = client.get(reverse("council:overview"), {"year": year})
        assert page.status_code == 200
        assert page.context["council"] == scene.world.council


def test_garbage_in_the_absence_form_is_a_clear_message(db, module_scene):
    from accounts.models import Absence

    scene = module_scene[0]
    client = client_for(scene, "author")
    for data, message in [
        ({"delete": "abc"}, "There is no such absence."),
        ({"delete": "9223372036854775808"}, "There is no such absence."),
        (
            {"starts_on": "2026-12-01", "ends_on": "2026-12-05", "substitute": "abc"},
            "Choose a substitute from your school.",
        ),
        (
            {"starts_on": "2026-02-30", "ends_on": "2026-12-05", "substitute": "1"},
            "Enter valid dates.",
        ),
    ]:
        page = client.post(reverse("absence"), data, follow=True)
        assert page.status_code == 200
        assert message in [str(m) for m in page.context["messages"]]
    assert not Absence.objects.exists()


def test_a_non_numeric_expert_is_a_clear_message(db, module_scene):
    scene = module_scene[0]
    url = reverse("documents:review_replace", args=[scene.submitted.pk, scene.open_review.pk])
    page = client_for(scene, "chair").post(url, {"expert": "abc"}, follow=True)
    assert page.status_code == 200
    assert "Choose the new expert." in [str(m) for m in page.context["messages"]]


def test_a_nul_character_is_a_translated_400(db, module_scene):
    scene = module_scene[0]
    client = client_for(scene, "author")
    client.post(reverse("set_language"), {"language": "ky"})
    page = client.post(reverse("absence"), {"delete": "a\x00b"})
    assert page.status_code == 400
    assert "NUL" in page.content.decode()
    assert "not allowed" not in page.content.decode()  # in Kyrgyz


def test_a_huge_user_name_is_a_failed_sign_in(db, module_scene):
    page = Client().post(reverse("login"), {"username": "x" * 100_000, "password": "x"})
    assert page.status_code == 200
    assert page.context["form"].errors
