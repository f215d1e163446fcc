"""What the browser tests share: Debian's Chromium, the Kyrgyz strings they check, and the
checks every page gets (no sideways scrolling, axe-core's accessibility rules)."""

from __future__ import annotations

import json
from functools import cache
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


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DESKTOP = {"width": 1366, "height": 768}
SERIOUS = ("serious", "critical")


@cache
def axe_source() -> str:
    """axe-core from the installed package (axe-playwright-python ships axe.min.js): the
    tests never fetch it from a CDN."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


# Runs axe-core once each page has loaded, and reports through the console, so that every
# page a test passes through is checked even when the test moves on at once.
AXE_ON_LOAD = """
window.addEventListener("load", function () {
  setTimeout(function () {
    if (!window.axe) { return; }
    window.axe.run(document, {resultTypes: ["violations"]}).then(function (result) {
      var bad = result.violations.filter(function (v) {
        return v.impact === "serious" || v.impact === "critical";
      }).map(function (v) {
        return {id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); })};
      });
      console.info("axe-result " + JSON.stringify({url: location.pathname, violations: bad}));
    });
    // No sideways page scroll at any size: the page fits the window it is shown in.
    console.info("width-result " + JSON.stringify({url: location.pathname,
      width: document.scrollingElement.scrollWidth, window: window.innerWidth}));
  }, 0);
});
"""


def audit(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    found = page.evaluate(
        """() => axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + " (" + v.impact + "): " + v.help + " @ "
                 + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")))"""
    )
    return [f"{page.url}: {line}" for line in found]


def page_width(page) -> tuple[int, int]:
    """How wide the page is laid out, and how wide the window is."""
    return page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


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
    collecting every page error, console error and axe-core violation of every page."""

    def __init__(self, playwright, *, base: str, ky: Kyrgyz, viewport: dict | None = None) -> None:
        self.browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        self.base = base
        self.ky = ky
        self.viewport = viewport or DESKTOP
        self.errors: list[str] = []
        self.audited: list[str] = []  # every page axe-core checked

    def _console(self, user, msg) -> None:
        if msg.type == "info" and msg.text.startswith("axe-result "):
            result = json.loads(msg.text.removeprefix("axe-result "))
            self.audited.append(result["url"])
            for v in result["violations"]:
                self.errors.append(
                    f"{user.username}: axe {v['id']} ({v['impact']}) on {result['url']}: "
                    f"{v['help']} @ {' | '.join(v['targets'])}"
                )
        elif msg.type == "info" and msg.text.startswith("width-result "):
            result = json.loads(msg.text.removeprefix("width-result "))
            if result["width"] > result["window"]:
                self.errors.append(
                    f"{user.username}: {result['url']} is {result['width']}px wide in a "
                    f"{result['window']}px window"
                )
        elif msg.type == "error":
            self.errors.append(f"{user.username}: console {msg.text} {msg.location}")

    def log_in(self, user):
        from playwright.sync_api import expect

        ky, base = self.ky, self.base
        # The browser asks for English: the product must ignore that and speak Kyrgyz.
        context = self.browser.new_context(locale="en-US", viewport=self.viewport)
        context.set_default_timeout(10_000)
        context.add_init_script(axe_source() + "\n" + AXE_ON_LOAD)
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
