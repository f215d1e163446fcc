"""The admin speaks Kyrgyz and Russian: Django's admin chrome, django-celery-beat, django-axes
and the role groups, on every page of every registered model (changelist, add, change).

A page's visible text (and the text a screen reader reads: aria-label, title, placeholder,
alt, button values) must hold no English word. What may stay in Latin letters is only data
(the values stored in the rows the page shows, e.g. a login name or an e-mail address, and
codes shown as themselves, such as time zone and task names in a select) and the few proper
nouns listed below, deliberately.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.helpers import create_and_submit

pytestmark = pytest.mark.django_db

# Proper nouns, acronyms and key names, read as they are in Kyrgyz and Russian too.
PROPER_NOUNS = {
    *("English", "Django", "Celery", "Telegram", "RabbitMQ", "Redis", "LDAP", "REST", "API"),
    *("postgresql", "redis"),  # the services' names on the admin's health panel
    *("ID", "URL", "UTC", "JSON", "PDF", "AMQP", "HTTP", "GET", "POST", "IP", "IPv", "SHA", "sha"),
    *("Control", "Command", "Mac", "CTRL", "Cmd"),  # keys, in Django's own help texts
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")
# A secret shown masked (the admin's password hash summary: "Os******"): data.
MASKED = re.compile(r"\w+\*{3,}")
SKIPPED_TAGS = {"script", "style", "template", "noscript"}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class VisibleText(HTMLParser):
    """Text a person sees or hears on a page, without the option texts that are codes
    (an option whose text is its value: a time zone, a task's dotted path)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.option_value: str | None = None
        self.option_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        if found.get("type") == "hidden":
            return
        for name in READ_ATTRIBUTES:
            if found.get(name):
                self.parts.append(found[name] or "")
        if tag == "input" and found.get("type") in ("submit", "button") and found.get("value"):
            self.parts.append(found["value"] or "")
        if tag == "option":
            self.option_value, self.option_text = found.get("value") or "", []

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1
        if tag == "option" and self.option_value is not None:
            text = "".join(self.option_text).strip()
            if text not in (self.option_value, self.option_value.replace("_", " ")):
                self.parts.append(text)
            self.option_value = None

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.option_value is not None:
            self.option_text.append(data)
        else:
            self.parts.append(data)


def data_words() -> set[str]:
    """Every Latin word stored in any row (text, JSON, file names, time zones, the
    representation of a row): data, shown as typed."""
    words: set[str] = set()
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if not f.is_relation]
        for row in model._default_manager.all():
            for name in fields:
                words.update(LATIN_WORD.findall(str(getattr(row, name) or "")))
    return words


def english_on(html: str, allowed: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for word in LATIN_WORD.findall(MASKED.sub("", part)):
            if word not in allowed:
                found.append(f"{word} ← {' '.join(part.split())[:90]}")
    return found


def admin_pages(user: User) -> list[str]:
    """The index, each app's index, and changelist, add (where the admin allows adding)
    and change page of every model."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        urls.append(reverse("admin:app_list", args=[meta.app_label]))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
    return sorted(set(urls))


def some_of_everything(world) -> None:
    """At least one row of every model the admin shows, so that change pages render."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    create_and_submit(world)
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute="0", hour="17")
    ClockedSchedule.objects.create(clocked_time=timezone.now() + datetime.timedelta(days=1))
    SolarSchedule.objects.create(event="sunrise", latitude=42.87, longitude=74.59)
    PeriodicTask.objects.get_or_create(
        name="Эскертмелерди жөнөтүү",
        defaults={"task": "notifications.tasks.sweep", "interval": every_minute},
    )
    now = timezone.now()
    AccessAttempt.objects.create(
        username=world.author.username,
        ip_address="127.0.0.1",
        user_agent="Chromium",
        path_info="/login/",
        get_data="",
        post_data="username=" + world.author.username,
        failures_since_start=1,
        attempt_time=now,
    )
    AccessFailureLog.objects.create(
        username=world.author.username,
        ip_address="127.0.0.1",
        user_agent="Chromium",
        path_info="/login/",
        attempt_time=now,
        locked_out=False,
    )
    AccessLog.objects.create(
        username=world.author.username,
        ip_address="127.0.0.1",
        user_agent="Chromium",
        path_info="/login/",
        attempt_time=now,
        logout_time=now,
    )


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_every_admin_page_is_in_the_readers_language(world, language):
    some_of_everything(world)
    root = User.objects.create_superuser(
        username="root", email="root@example.org", password="x", language=language
    )
    client = Client()
    client.force_login(root)
    allowed = PROPER_NOUNS | data_words()
    english: dict[str, list[str]] = {}
    pages = admin_pages(root)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == language, url
        found = english_on(response.content.decode(), allowed)
        if found:
            english[url] = found
    assert len(pages) > 60
    report = "\n".join(f"{url}\n    " + "\n    ".join(sorted(set(w))) for url, w in english.items())
    assert english == {}, f"English in the {language} admin:\n{report}"


def test_role_groups_are_shown_by_their_names(world):
    from django.contrib.auth.models import Group
    from django.utils import translation

    from accounts.roles import Role

    with translation.override("ky"):
        chair = str(Role.CHAIR.label)
    root = User.objects.create_superuser(
        username="root", email="root@example.org", password="x", language="ky"
    )
    client = Client()
    client.force_login(root)
    page = client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert f">{chair}<" in page
    assert Group.objects.filter(name="chair").exists()  # the stored code does not change
    assert ">chair<" not in page
