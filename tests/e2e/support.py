"""What the browser tests share: Debian's Chromium and the Kyrgyz strings they check."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Kyrgyz:
    """The Kyrgyz text of msgids (or lazy labels), remembering each one it was asked for so
    the test can demand at the end that every one of them is actually translated."""

    def __init__(self) -> None:
        self.asked: dict[str, str] = {}

    def __call__(self, msgid) -> str:
        if isinstance(msgid, str):  # a msgid
            english = msgid
            with translation.override("ky"):
                text = gettext(msgid)
        else:  # a lazy label (choices), e.g. Stage.RECOMMENDED.label
            with translation.override("en"):
                english = str(msgid)
            with translation.override("ky"):
                text = str(msgid)
        self.asked[english] = text
        return text

    def untranslated(self) -> list[str]:
        return sorted(msgid for msgid, text in self.asked.items() if text == msgid)


class KyrgyzBrowser:
    """Debian's Chromium, signing people in through the real login form in Kyrgyz, and
    collecting every page error and console error (but the favicon's 404)."""

    def __init__(self, playwright, *, base: str, ky: Kyrgyz) -> None:
        self.browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        self.base = base
        self.ky = ky
        self.errors: list[str] = []

    def _console(self, user, msg) -> None:
        # Chromium asks every site for /favicon.ico; the product has none (a 404, harmless).
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{user.username}: console {msg.text} {msg.location}")

    def log_in(self, user):
        from playwright.sync_api import expect

        ky, base = self.ky, self.base
        # The browser asks for English: the product must ignore that and speak Kyrgyz.
        context = self.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{user.username}: {exc}"))
        page.on("console", lambda msg: self._console(user, msg))
        page.goto(f"{base}/login/")
        expect(page.locator("html")).to_have_attribute("lang", "ky")
        expect(page.locator("h1")).to_have_text(ky("Sign in"))
        page.get_by_label(ky("Username")).fill(user.username)
        page.get_by_label(ky("Password")).fill(PASSWORD)
        page.locator("main form").get_by_role("button", name=ky("Sign in")).click()
        page.wait_for_url(f"{base}{reverse('flows:inbox')}")
        expect(page.locator("html")).to_have_attribute("lang", "ky")
        expect(page.locator("h1")).to_have_text(ky("Inbox"))
        return context, page
