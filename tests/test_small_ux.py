"""The small things people meet: a warning before a lockout, one document per form, the
signed protocol's button, "within a minute" on the timeline, dates as 30.11.2026, the
favicon, and where a document stands in the reader's language."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from accounts.dates import parse_day
from council.models import Session
from documents.models import Document, Stage
from tests.conftest import PASSWORD
from tests.helpers import create_and_submit, document_fields, the_task

pytestmark = pytest.mark.django_db


def ky(msgid: str) -> str:
    with translation.override("ky"):
        text = gettext(msgid)
    assert text != msgid, f"no Kyrgyz for {msgid!r}"
    return text


def test_the_login_form_warns_when_two_attempts_are_left(world, settings):
    settings.AXES_FAILURE_LIMIT = 5
    client = Client(REMOTE_ADDR="10.0.0.7")
    seen = []
    for _ in range(4):
        page = client.post(reverse("login"), {"username": "author", "password": "wrong"})
        assert page.status_code == 200
        seen.append(page.context["form"].attempts_left)
    assert seen == [None, None, 2, 1]
    assert 'data-testid="attempts-left"' in page.content.decode()
    assert "15" in page.content.decode()  # the cool-off, in minutes
    assert client.post(reverse("login"), {"username": "author", "password": "x"}).status_code == 429


def test_the_same_new_document_form_sent_twice_makes_one_document(world):
    client = world.client(world.author)
    form = client.get(reverse("documents:create"))
    token = form.context["form_token"]
    assert f'name="form_token" value="{token}"' in form.content.decode()
    first = client.post(
        reverse("documents:create"), {**document_fields(world), "save": "1", "form_token": token}
    )
    document = Document.objects.get(author=world.author)
    assert first.url == reverse("documents:detail", args=[document.pk])
    again = client.post(
        reverse("documents:create"),
        {**document_fields(world, title="Экинчи аталыш"), "save": "1", "form_token": token},
    )
    assert again.status_code == 302 and again.url == first.url
    assert list(Document.objects.filter(author=world.author).values_list("title", flat=True)) == [
        "Экинчи аталыш"
    ]
    # Sent once more after submitting: still the same document, never a copy.
    client.post(
        reverse("documents:create"),
        {**document_fields(world), "submit": "1", "form_token": token},
    )
    client.post(
        reverse("documents:create"),
        {**document_fields(world), "submit": "1", "form_token": token},
    )
    assert Document.objects.filter(author=world.author).count() == 1
    # A new form makes a new document.
    fresh = client.get(reverse("documents:create")).context["form_token"]
    assert fresh != token
    client.post(
        reverse("documents:create"), {**document_fields(world), "save": "1", "form_token": fresh}
    )
    assert Document.objects.filter(author=world.author).count() == 2


def test_a_token_of_someone_else_makes_them_no_document_of_mine(world):
    author = world.client(world.author)
    token = author.get(reverse("documents:create")).context["form_token"]
    author.post(
        reverse("documents:create"), {**document_fields(world), "save": "1", "form_token": token}
    )
    # The token lives in the author's session: another teacher sending it gets their own.
    other = world.client(world.teacher2)
    other.post(
        reverse("documents:create"),
        {**document_fields(world, title="Өз документим"), "save": "1", "form_token": token},
    )
    assert Document.objects.get(author=world.teacher2).title == "Өз документим"
    assert Document.objects.get(author=world.author).title != "Өз документим"


def test_steps_under_a_minute_apart_read_within_a_minute(world):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        document = create_and_submit(world)
    world.author.language = "ky"
    world.author.save(update_fields=["language"])
    page = world.client(world.author).get(reverse("documents:detail", args=[document.pk]))
    html = page.content.decode()
    assert ky("within a minute of the previous step") in html
    assert "0 мүнөт" not in html and "0\xa0мүнөт" not in html


def test_dates_are_typed_and_shown_day_first(world):
    assert parse_day("30.11.2026") == datetime.date(2026, 11, 30)
    assert parse_day(" 2026-11-30 ") == datetime.date(2026, 11, 30)
    with pytest.raises(ValueError):
        parse_day("11/30/2026")
    document = create_and_submit(world)
    chair = world.client(world.chair)
    task = the_task(world.chair, "screen")
    page = chair.get(reverse("flows:task", args=[task.pk])).content.decode()
    due = re.search(r'<input type="text" name="due_date" value="([^"]*)"[^>]*>', page)
    assert due is not None, "the due date is a text input, not the browser's date picker"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", due.group(1))
    assert 'inputmode="numeric"' in due.group(0)
    day = timezone.localdate() + datetime.timedelta(days=5)
    chair.post(
        reverse("flows:task", args=[task.pk]),
        {"action": "accept", "experts": [world.expert1.pk], "due_date": day.strftime("%d.%m.%Y")},
    )
    assert document.rounds.get().due_date == day


def test_a_session_time_is_typed_in_24_hours(world):
    chair = world.client(world.chair)
    day = world.year.starts_on + datetime.timedelta(days=10)
    chair.post(
        reverse("council:session_new"),
        {"date": day.strftime("%d.%m.%Y"), "time": "14:30", "place": "", "free_items": "Маселе"},
    )
    session = Session.objects.get(council=world.council)
    assert (session.date, session.time) == (day, datetime.time(14, 30))


def test_the_protocol_button_goes_once_signed(world):
    chair = world.client(world.chair)
    day = world.year.starts_on + datetime.timedelta(days=10)
    chair.post(
        reverse("council:session_new"),
        {"date": day.strftime("%d.%m.%Y"), "place": "", "free_items": "Маселе"},
    )
    session = Session.objects.get(council=world.council)
    protocol = session.protocol
    url = reverse("council:session", args=[session.pk])
    assert chair.get(url).context["can_sign"] is True
    protocol.chair_confirmed_by, protocol.chair_confirmed_at = world.chair, timezone.now()
    protocol.save()
    page = chair.get(url)
    assert page.context["can_sign"] is False
    assert 'data-testid="confirm-protocol"' not in page.content.decode()
    assert world.client(world.secretary).get(url).context["can_sign"] is True


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"


def test_where_the_document_stands_reads_in_kyrgyz(world):
    document = create_and_submit(world)
    world.chair.language = "ky"
    world.chair.save(update_fields=["language"])
    page = world.client(world.chair).get(reverse("documents:detail", args=[document.pk]))
    html = page.content.decode()
    steps = page.context["steps"]
    assert [s.state for s in steps][:3] == ["done", "current", "todo"]
    assert document.stage == Stage.SCREENING
    with translation.override("ky"):
        screening = gettext("Screening by the chair")
        yes, no = pgettext("workflow chart", "yes"), pgettext("workflow chart", "no")
    assert screening in html
    # viewflow's own chart title-cased every word ("Төраганын Алгачкы Текшерүүсү").
    assert screening.title() not in html
    chart = html[html.index('class="flowchart"') :]
    assert f">{yes}<" in chart and f">{no}<" in chart
    assert ">yes<" not in chart and ">no<" not in chart
    sizes = {int(s) for s in re.findall(r'font-size="(\d+)"', chart)}
    assert min(sizes) >= 12
    width = int(re.search(r'class="flowchart" width="(\d+)"', html).group(1))
    assert width > 1000  # drawn at its natural size, in a box that scrolls


def test_the_login_page_says_so_in_russian_too(world):
    client = Client(REMOTE_ADDR="10.0.0.8")
    client.cookies["language"] = "ru"
    for _ in range(3):
        page = client.post(reverse("login"), {"username": "author", "password": "wrong"})
    assert "попытки" in page.content.decode() or "попытка" in page.content.decode()
    assert PASSWORD  # the right one still works afterwards
    assert (
        Client(REMOTE_ADDR="10.0.0.9")
        .post(reverse("login"), {"username": "author", "password": PASSWORD})
        .status_code
        == 302
    )
