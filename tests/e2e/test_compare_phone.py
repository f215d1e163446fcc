"""The version comparison on a phone (390×844), from the demo school's data: the work
plan's second version against its first, in Kyrgyz, with no sideways scrolling.

With UPDATE_SCREENSHOTS=1 (`make screenshots`) it also refreshes the README's picture,
docs/version-comparison.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from documents.models import Document, DocumentType, DocumentVersion
from flows.management.commands.load_demo import DEMO_PASSWORD
from reports.tasks import version_text_build
from tests.e2e.support import CHROMIUM, LAUNCH_ARGS, Kyrgyz

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "version-comparison.png"


def test_the_version_comparison_fits_a_phone(live_server, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import expect, sync_playwright

    call_command("load_demo", verbosity=0)
    for version in DocumentVersion.objects.all():
        version_text_build(version.pk)  # what the worker does after each submission
    plan = Document.objects.get(doc_type=DocumentType.WORK_PLAN)
    assert plan.version_count == 2
    ky = Kyrgyz()
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/login/")
        page.get_by_label(ky("Username")).fill("chair")
        page.get_by_label(ky("Password")).fill(DEMO_PASSWORD)
        page.locator("main form").get_by_role("button", name=ky("Sign in")).click()
        page.wait_for_url(f"{base}{reverse('flows:inbox')}")

        page.goto(f"{base}{reverse('documents:detail', args=[plan.pk])}")
        page.get_by_test_id("compare-versions").click()
        page.wait_for_url(f"{base}{reverse('documents:compare', args=[plan.pk])}")
        expect(page.locator("h1")).to_contain_text(ky("What changed"))
        diff = page.get_by_test_id("diff")
        expect(diff.locator("ins").first).to_be_visible()
        expect(diff).to_contain_text("санариптик")  # ң ө ү and all: the added words
        expect(page.get_by_test_id("compare-recommendations")).to_contain_text(
            "Ар бир чейрекке отурум пландаштыруу."
        )
        expect(page.get_by_label(ky("From version"))).to_be_visible()
        # No sideways scrolling at phone width.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path / "shot.png"
        page.screenshot(path=str(target), full_page=True)
        # The other new pages fit the phone too (the inbox with its council steps).
        side = reverse("documents:compare", args=[plan.pk]) + "?view=side"
        for url in (side, reverse("flows:inbox"), reverse("flows:unowned")):
            page.goto(f"{base}{url}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} is {width}px wide on a 390px phone"
        context.close()
        browser.close()
    assert not errors
    assert ky.untranslated() == []
