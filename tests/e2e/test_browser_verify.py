"""A stranger checks a printed approval sheet with a phone: the QR code read from the page,
the public page opened at phone size with no login, the PDF uploaded for its hash, the
language switched. Debian's Chromium through Playwright."""

from __future__ import annotations

import pytest
from django.utils import timezone

from documents.models import OfficialPaper, PaperKind
from flows import tasks
from tests.papers_support import approved_document, qr_codes, stored

from .support import CHROMIUM, LAUNCH_ARGS, Kyrgyz

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_phone_scans_the_sheet_and_the_page_says_it_is_genuine(live_server, settings, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import build_world

    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: `make test` installs it (system-deps)")
    settings.SITE_URL = live_server.url
    settings.PAPERS_SIGNING_PKCS12 = ""
    world = build_world()
    document = approved_document(world)
    assert tasks.render_approval_sheet(document.pk)
    document.refresh_from_db()
    sheet = stored(document.approval_sheet)
    [url] = qr_codes(sheet)
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET, object_id=document.pk)
    assert url == f"{live_server.url}/v/{paper.code}/"
    (tmp_path / "sheet.pdf").write_bytes(sheet)
    ky = Kyrgyz()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        phone.set_default_timeout(10_000)
        page = phone.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        expect(page.get_by_test_id("verify-result")).to_have_text(
            ky("Genuine: the school issued this paper and it is valid.")
        )
        facts = page.get_by_test_id("paper-facts")
        expect(facts).to_contain_text(world.school.name)
        expect(facts).to_contain_text(document.registry_number)
        expect(facts).to_contain_text(timezone.localdate(document.approved_at).strftime("%d.%m.%Y"))
        expect(facts).to_contain_text(ky("Not electronically signed"))
        # Phone-sized: nothing wider than the screen (the hashes wrap).
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390

        page.get_by_label(ky("The file you received")).set_input_files(tmp_path / "sheet.pdf")
        page.get_by_role("button", name=ky("Check the file")).click()
        expect(page.get_by_test_id("file-result")).to_have_text(
            ky("The file is the official PDF of this paper.")
        )

        page.get_by_role("button", name="Русский").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.get_by_test_id("verify-result")).to_contain_text("Подлинный")
        assert errors == []
        browser.close()
    assert ky.untranslated() == []
