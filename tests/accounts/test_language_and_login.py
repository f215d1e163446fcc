from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def in_language(language: str, msgid: str) -> str:
    with translation.override(language):
        text = gettext(msgid)
    assert text != msgid, f"{msgid!r} has no {language} translation"
    return text


def test_kyrgyz_is_the_default_whatever_the_browser_asks(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="ru,en;q=0.8").get(reverse("login"))
    html = response.content.decode()
    assert '<html lang="ky">' in html
    assert in_language("ky", "Sign in") in html


def test_a_visitor_switches_language_before_signing_in(db):
    client = Client()
    response = client.post(reverse("set_language"), {"language": "ru", "next": reverse("login")})
    assert response.status_code == 302
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="ru">' in html
    assert in_language("ru", "Sign in") in html


def test_a_users_choice_is_saved_on_their_account(world):
    world.author.language = "ky"
    world.author.save()
    client = world.client(world.author)
    assert '<html lang="ky">' in client.get(reverse("flows:inbox")).content.decode()
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    world.author.refresh_from_db()
    assert world.author.language == "ru"
    fresh = world.client(world.author)  # another browser: the account's language follows
    html = fresh.get(reverse("flows:inbox")).content.decode()
    assert '<html lang="ru">' in html
    assert in_language("ru", "Inbox") in html


def test_an_unknown_language_or_foreign_redirect_is_ignored(world):
    client = world.client(world.author)
    response = client.post(
        reverse("set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    world.author.refresh_from_db()
    assert world.author.language == "en"


def test_viewflow_strings_are_translated_into_kyrgyz():
    # viewflow ships no Kyrgyz; the project's catalog (locale_viewflow/ky) provides it.
    with translation.override("ky"):
        assigned = pgettext("STATUS", "Assigned")
        inbox = gettext("Inbox")
    assert assigned != "Assigned"
    assert inbox != "Inbox"


def test_signing_in_through_the_form(world):
    client = Client()
    response = client.post(reverse("login"), {"username": "author", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("flows:inbox")).status_code == 200


def test_wrong_passwords_lock_that_name_from_that_address_only(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(3):
        client.post(reverse("login"), {"username": "author", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "author", "password": PASSWORD})
    assert locked.status_code == 429
    # The rest of the school behind the same NAT address can still sign in.
    colleague = Client(REMOTE_ADDR="10.0.0.5")
    ok = colleague.post(reverse("login"), {"username": "teacher2", "password": PASSWORD})
    assert ok.status_code == 302
