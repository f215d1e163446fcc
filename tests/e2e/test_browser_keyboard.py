"""In a real browser, in Kyrgyz: an expert gives a review with the keyboard alone; a
teacher who goes Back after saving a new draft and saves again still has one document; the
reason box of an answer shows only for a declined recommendation (CSS alone: without
`:has()` the box simply stays, and the server asks for the reason either way).

Both run on a phone-sized window, and every page they pass is checked by axe-core
(tests/e2e/support.py)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import Document, Opinion, Recommendation, Review
from tests.conftest import build_world
from tests.e2e.support import CHROMIUM, PHONE, Kyrgyz, KyrgyzBrowser
from tests.helpers import create_and_submit, the_task

pytestmark = pytest.mark.e2e

COMMENT = "Максаттар так жазылган, бирок көрсөткүчтөр жетишсиз."
REC_1 = "Ар бир максат үчүн өлчөнгүдөй көрсөткүч кошуу."
REC_2 = "Күтүлгөн натыйжалардын мөөнөттөрүн көрсөтүү."
DRAFT = "Сабактын планы: Ң, Ө, Ү тамгалары"


def focused(page) -> str:
    """What has the keyboard focus: a tag with its name or text."""
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          const name = e.getAttribute("name")
            || (e.hasAttribute("data-add-row") ? "add-row" : e.textContent.trim());
          return e.tagName.toLowerCase() + ":" + name;
        }"""
    )


def tab_to(page, target: str, *, limit: int = 60) -> None:
    """Press Tab until `target` (as `focused` names it) has the focus."""
    for _ in range(limit):
        if focused(page) == target:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}; the focus is on {focused(page)}")


def test_an_expert_reviews_with_the_keyboard_alone(live_server):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import expect, sync_playwright

    world = build_world()
    world.expert1.language = "ky"
    world.expert1.save(update_fields=["language"])
    document = create_and_submit(world)
    due = timezone.localdate() + datetime.timedelta(days=7)
    world.client(world.chair).post(
        reverse("flows:task", args=[the_task(world.chair, "screen").pk]),
        {"action": "accept", "experts": [world.expert1.pk], "due_date": due.strftime("%d.%m.%Y")},
    )
    task_url = reverse("flows:task", args=[the_task(world.expert1, "review").pk])

    ky = Kyrgyz()
    with sync_playwright() as p:
        signed_in = KyrgyzBrowser(p, base=live_server.url, ky=ky)
        context, page = signed_in.log_in(world.expert1)
        page.set_viewport_size(PHONE)
        page.goto(live_server.url + task_url)
        expect(page.get_by_test_id("review-form")).to_be_visible()

        # The first Tab reaches the skip link; Enter jumps over the menu into the page.
        page.keyboard.press("Tab")
        assert focused(page) == "a:" + ky("Skip to the content")
        page.keyboard.press("Enter")
        tab_to(page, "input:opinion")
        # Arrow keys move through the opinions and choose; the second is "with changes".
        page.keyboard.press("Space")
        page.keyboard.press("ArrowDown")
        expect(page.locator("input[name='opinion']:checked")).to_have_value(
            Opinion.APPROVE_WITH_CHANGES.value
        )
        page.keyboard.press("Tab")
        assert focused(page) == "textarea:comment"
        page.keyboard.type(COMMENT)
        page.keyboard.press("Tab")
        assert focused(page) == "textarea:rec-0-text"
        page.keyboard.type(REC_1)
        tab_to(page, "button:add-row")
        page.keyboard.press("Enter")  # a new box, and the focus goes into it
        assert focused(page) == "textarea:rec-3-text"
        page.keyboard.type(REC_2)
        tab_to(page, "button:" + ky("Submit the review"))
        page.keyboard.press("Enter")
        # The redirect keeps the skip link's #main (a browser carries a fragment over).
        page.wait_for_url(re.compile(re.escape(reverse("flows:inbox")) + "(#main)?$"))
        expect(page.locator("ul.messages")).to_be_visible()
        context.close()
        signed_in.browser.close()

    assert signed_in.errors == [], signed_in.errors
    assert task_url in signed_in.audited  # axe-core checked the review page
    review = Review.objects.get(round__document=document, expert=world.expert1)
    assert review.submitted_at is not None
    assert review.opinion == Opinion.APPROVE_WITH_CHANGES
    assert review.comment == COMMENT
    assert list(
        Recommendation.objects.filter(review=review).order_by("pk").values_list("text", flat=True)
    ) == [REC_1, REC_2]
    assert ky.untranslated() == []


def test_back_and_save_again_keeps_one_document(live_server):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import expect, sync_playwright

    world = build_world()
    world.author.language = "ky"
    world.author.save(update_fields=["language"])
    ky = Kyrgyz()
    with sync_playwright() as p:
        signed_in = KyrgyzBrowser(p, base=live_server.url, ky=ky)
        context, page = signed_in.log_in(world.author)
        page.set_viewport_size(PHONE)
        page.goto(live_server.url + reverse("documents:create"))
        form = page.get_by_test_id("document-form")
        form.locator("select[name='doc_type']").select_option("lesson_plan")
        form.locator("input[name='title']").fill(DRAFT)
        token = form.locator("input[name='form_token']").input_value()
        assert len(token) > 16
        form.get_by_role("button", name=ky("Save the draft")).click()
        page.wait_for_url(re.compile(r".*/documents/\d+/$"))
        first_url = page.url
        expect(page.locator("h1")).to_have_text(DRAFT)

        # Back to the filled form, and Save once more: the same document, edited.
        page.go_back()
        page.wait_for_url(f"{live_server.url}{reverse('documents:create')}")
        form = page.get_by_test_id("document-form")
        expect(form.locator("input[name='form_token']")).to_have_value(token)
        form.locator("input[name='title']").fill(DRAFT + " (2)")
        form.get_by_role("button", name=ky("Save the draft")).click()
        page.wait_for_url(first_url)
        expect(page.locator("h1")).to_have_text(DRAFT + " (2)")

        # A new form is a new document.
        page.goto(live_server.url + reverse("documents:create"))
        expect(
            page.get_by_test_id("document-form").locator("input[name='form_token']")
        ).not_to_have_value(token)
        context.close()
        signed_in.browser.close()

    assert signed_in.errors == [], signed_in.errors
    assert list(Document.objects.filter(author=world.author).values_list("title", flat=True)) == [
        DRAFT + " (2)"
    ]
    assert ky.untranslated() == []


def test_the_reason_box_shows_only_for_a_declined_recommendation(live_server):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import expect, sync_playwright

    from tests.reports.helpers import accept, review, task_of

    world = build_world()
    world.author.language = "ky"
    world.author.save(update_fields=["language"])
    document = create_and_submit(world)
    accept(world, document, [world.expert1], timezone.localdate() + datetime.timedelta(days=7))
    review(world, world.expert1, document, opinion="revise")
    world.client(world.chair).post(
        reverse("flows:task", args=[task_of(world.chair, "decide", document).pk]),
        {"decision": "revise", "reason": "Сунушту эске алыңыз."},
    )
    task_url = reverse("flows:task", args=[task_of(world.author, "revise", document).pk])

    ky = Kyrgyz()
    with sync_playwright() as p:
        signed_in = KyrgyzBrowser(p, base=live_server.url, ky=ky)
        context, page = signed_in.log_in(world.author)
        page.set_viewport_size(PHONE)
        page.goto(live_server.url + task_url)
        block = page.get_by_test_id("answer")
        reason = block.get_by_label(ky("Reason for declining"))
        expect(reason).to_be_hidden()  # nothing chosen yet
        block.locator("input[value='accepted']").check()
        expect(reason).to_be_hidden()
        block.locator("input[value='declined']").check()
        expect(reason).to_be_visible()
        reason.fill("Бул бөлүм башка документте.")
        block.locator("input[value='accepted']").check()
        expect(reason).to_be_hidden()
        context.close()
        signed_in.browser.close()
    assert signed_in.errors == [], signed_in.errors
    assert ky.untranslated() == []
