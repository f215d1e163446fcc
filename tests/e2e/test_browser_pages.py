"""Every page of every role, on a phone (390×844) and on a laptop (1366×768), in Kyrgyz
(and one person's pages in Russian).

The demo school is loaded through the real services (documents at every stage, a council
session, tasks in several inboxes). Each demo person signs in through the login form and
the test walks every link of the product it finds, from the inbox on: each page must lay
out within the window (no sideways page scroll: its scrollWidth equals the viewport's
width; a wide table turns into one card per row, a chart scrolls inside its own box) and
axe-core must find no serious or critical accessibility violation, at both sizes.

The other browser tests cover the keyboard: the review form filled and sent with the
keyboard alone, and one document per form submission after Back.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AcademicYear, User
from flows.management.commands.load_demo import DEMO_PASSWORD
from tests.e2e.support import (
    CHROMIUM,
    DESKTOP,
    LAUNCH_ARGS,
    PHONE,
    audit,
    page_width,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = [
    "teacher",
    "teacher2",
    "chair",
    "expert1",
    "secretary",
    "director",
    "admin",
    "district",
    "other_school",
]
# Links that are not pages: downloads, exports, POST-only actions, the admin (Django's own
# responsive pages), the REST API and its documentation, the language switch and logging out.
NOT_A_PAGE = re.compile(
    r"/(file|approval-sheet|logout|language|read|confirm|close|admin|api)(/|$)"
    r"|protocol\.\w+$|report/file|[?&](export|format)=|\.(xlsx|csv|pdf|docx|odt|json)(\?|$)"
)
MAX_PAGES_PER_PERSON = 40
# Russian words run longer than Kyrgyz ones: this person walks the pages in Russian.
IN_RUSSIAN = {"director"}


def pattern(url: str) -> str:
    """One visit per kind of page, but every task, document and session: each task is a
    different form, each document a different stage, each session a different state."""
    path, _, query = url.partition("?")
    keys = sorted(part.split("=")[0] for part in query.split("&") if part)
    if not re.fullmatch(r"/(tasks|documents|council/sessions)/\d+/", path):
        path = re.sub(r"\d+", "N", path)
    return path + ("?" + "&".join(keys) if keys else "")


def check(page, size: dict[str, int], problems: list[str]) -> None:
    page.set_viewport_size(size)
    scroll_width, client_width = page_width(page)
    if scroll_width > client_width:
        wide = page.evaluate(
            """w => [...document.querySelectorAll("body *")]
                 .filter(e => e.getBoundingClientRect().right > w + 1)
                 .slice(0, 3).map(e => e.tagName.toLowerCase() + "." + e.className)""",
            client_width,
        )
        problems.append(
            f"{page.url} at {size['width']} px is {scroll_width} px wide (widest: {wide})"
        )
    problems.extend(f"at {size['width']} px: {v}" for v in audit(page))


def walk(context, base: str, username: str, problems: list[str], shots: Path) -> list[str]:
    """Sign in, then visit every page reachable by links, each once per kind."""
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"{username}: {exc}"))
    page.goto(f"{base}/login/")
    check(page, PHONE, problems)
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{reverse('flows:inbox')}")
    language = page.locator("html").get_attribute("lang")
    assert language == ("ru" if username in IN_RUSSIAN else "ky"), (username, language)
    seen: set[str] = set()
    queue = [reverse("flows:inbox")]
    visited = []
    while queue and len(visited) < MAX_PAGES_PER_PERSON:
        url = queue.pop(0)
        if pattern(url) in seen:
            continue
        seen.add(pattern(url))
        response = page.goto(base + url)
        assert response is not None and response.status == 200, (username, url)
        visited.append(url)
        check(page, PHONE, problems)
        if username == "chair" and url == reverse("flows:inbox"):
            page.screenshot(path=str(shots / "inbox-phone.png"))
        check(page, DESKTOP, problems)
        for href in page.eval_on_selector_all(
            "a[href]", "links => links.map(a => a.getAttribute('href'))"
        ):
            if href.startswith("/") and not NOT_A_PAGE.search(href):
                queue.append(href)
    page.close()
    return visited


def test_every_page_fits_a_phone_and_passes_axe(live_server, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import sync_playwright

    call_command("load_demo", verbosity=0)
    User.objects.filter(username__in=IN_RUSSIAN).update(language="ru")
    # A session still to be held, so that the secretary's protocol form is reachable too.
    chair = Client()
    chair.force_login(User.objects.get(username="chair"))
    year = AcademicYear.current()
    day = min(timezone.localdate() + datetime.timedelta(days=7), year.ends_on)
    scheduled = chair.post(
        reverse("council:session_new"),
        {"date": day.strftime("%d.%m.%Y"), "time": "14:00", "place": "", "free_items": "Маселе"},
    )
    assert scheduled.status_code == 302, scheduled.content[:300]
    # `UPDATE_SCREENSHOTS=1` refreshes the README's picture of the inbox on a phone.
    shots = ROOT / "docs" if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    base = live_server.url
    problems: list[str] = []
    visited: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        # Pages anyone may see, signed in or not.
        context = browser.new_context(locale="ky", viewport=PHONE)
        page = context.new_page()
        page.goto(f"{base}/login/")
        check(page, PHONE, problems)
        page.goto(f"{base}/no-such-page/")
        check(page, PHONE, problems)
        context.close()
        for username in PEOPLE:
            context = browser.new_context(locale="ky", viewport=PHONE)
            context.set_default_timeout(15_000)
            visited[username] = walk(context, base, username, problems, shots)
            context.close()
        browser.close()
    print(f"\nscreenshots: {shots}")
    print("\n".join(f"{who}: {len(urls)} pages" for who, urls in visited.items()))
    assert problems == [], "\n".join(problems)
    # The walk reached the pages of every role, not just the inbox.
    kinds = {re.sub(r"\d+", "N", pattern(url)) for urls in visited.values() for url in urls}
    for expected in (
        "/inbox/",
        "/documents/",
        "/documents/new/",
        "/documents/school/",
        "/documents/N/",
        "/tasks/N/",
        "/council/",
        "/council/sessions/N/",
        "/council/sessions/N/protocol/",
        "/council/sessions/new/?year",
        "/reports/",
        "/reports/search/",
        "/notifications/",
        "/notifications/settings/",
        "/absence/",
    ):
        assert expected in kinds, f"no page like {expected} was reached"
    assert len(visited["chair"]) >= 10
