"""Steps 1-4 of the expertise in a real browser, in the Kyrgyz UI.

A teacher submits a document through the form, the chair screens it and assigns three
experts, the experts review (one of them adds a recommendation row with the JavaScript
button), the chair sees every opinion side by side and recommends the document to a council
session. Everything is done the way a person does it: the login form, the top menu, the
inbox, radio buttons and check boxes, in headless Debian Chromium through Playwright.

The Kyrgyz strings the pages must show are computed from the catalogs
(`translation.override("ky")`), and the test also demands that each of them really is a
translation (differs from the English msgid), so it fails while `locale/ky` lacks them.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import (
    Document,
    DocumentType,
    ExpertiseRound,
    Opinion,
    Recommendation,
    Review,
    Stage,
)
from documents.samples import sample_pdf
from flows.models import ExpertiseProcess
from tests.conftest import build_world
from tests.e2e.support import CHROMIUM, DESKTOP, PHONE, Kyrgyz, KyrgyzBrowser

TITLE = "Өнүгүү программасы: мектептин келечеги"
DESCRIPTION = "Мектептин 2026–2030-жылдарга өнүгүү программасынын долбоору."
REC_1A = "Максаттарды так жана өлчөнгүдөй жазуу."
REC_1B = "Күтүлгөн натыйжалардын көрсөткүчтөрүн кошуу."  # in the row added by JavaScript
REC_2 = "Адабияттардын тизмесин жаңылоо."
COMMENT_3 = "Жакшы иш, түзөтүүсүз колдойм."

pytestmark = pytest.mark.e2e


# The whole story on a phone as well as on a laptop: people read and act on their tasks
# from phones (every page checked for sideways scroll and by axe-core on the way).
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_expertise_steps_1_to_4_in_the_kyrgyz_ui(live_server, tmp_path, viewport, step):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import expect, sync_playwright

    step("0. The school's people switch to Kyrgyz and Chromium starts")
    world = build_world()
    people = [world.author, world.chair, *world.experts]
    for user in people:
        user.language = "ky"
        user.save(update_fields=["language"])

    ky = Kyrgyz()
    base = live_server.url
    pdf = tmp_path / "programma.pdf"
    pdf.write_bytes(sample_pdf("Development program 2026-2030"))
    due = timezone.localdate() + datetime.timedelta(days=7)
    with sync_playwright() as p:
        signed_in = KyrgyzBrowser(p, base=base, ky=ky, viewport=viewport)
        browser = signed_in.browser
        page_errors = signed_in.errors
        log_in = signed_in.log_in

        def open_the_only_task(page, title_msgid):
            rows = page.get_by_test_id("inbox-row")
            expect(rows).to_have_count(1)
            expect(page.get_by_test_id("inbox-count")).to_have_text("1")
            expect(rows.first).to_contain_text(TITLE)
            rows.first.get_by_role("link", name=ky(title_msgid)).click()
            page.wait_for_url(re.compile(r".*/tasks/\d+/$"))
            expect(page.locator("html")).to_have_attribute("lang", "ky")
            expect(page.locator("h1")).to_contain_text(ky(title_msgid))
            expect(page.locator("h1")).to_contain_text(TITLE)

        def choice(page, name, value, label):
            """Tick the radio/checkbox `name=value` and check that its label reads `label`."""
            box = page.locator(f"input[name='{name}'][value='{value}']")
            expect(page.locator("label", has=box)).to_have_text(
                re.compile(rf"^\s*{re.escape(label)}(\s|$)")
            )
            box.check()

        step("1. The teacher submits the document through the form, from the top menu")
        context, page = log_in(world.author)
        expect(page.get_by_test_id("inbox-empty")).to_have_text(
            ky("Nothing waits for you. New tasks appear here.")
        )
        page.locator("nav.mainnav").get_by_role("link", name=ky("New document")).click()
        page.wait_for_url(f"{base}{reverse('documents:create')}")
        expect(page.locator("h1")).to_have_text(ky("New document"))
        form = page.get_by_test_id("document-form")
        form.locator("select[name='doc_type']").select_option(
            DocumentType.DEVELOPMENT_PROGRAM.value
        )
        expect(form.locator("select[name='doc_type'] option:checked")).to_have_text(
            ky(DocumentType.DEVELOPMENT_PROGRAM.label)
        )
        form.locator("input[name='title']").fill(TITLE)
        form.locator("select[name='academic_year']").select_option(str(world.year.pk))
        form.locator("select[name='methodical_association']").select_option(
            str(world.association.pk)
        )
        form.locator("textarea[name='description']").fill(DESCRIPTION)
        form.locator("input[type='file'][name='upload']").set_input_files(str(pdf))
        form.get_by_role("button", name=ky("Save and submit for expertise")).click()
        page.wait_for_url(re.compile(r".*/documents/\d+/$"))
        document_url = page.url
        expect(page.locator("html")).to_have_attribute("lang", "ky")
        expect(page.locator("h1")).to_have_text(TITLE)
        expect(page.get_by_test_id("stage")).to_have_text(ky(Stage.SCREENING.label))
        expect(page.get_by_test_id("versions").locator("tbody tr")).to_have_count(1)
        expect(page.locator("ul.messages")).to_contain_text(
            ky("The document was submitted for expertise (version %(n)s).") % {"n": 1}
        )
        context.close()

        step("2. The chair screens it: accept, three experts, a due date")
        chair_context, chair = log_in(world.chair)
        open_the_only_task(chair, "Screening by the chair")
        form = chair.get_by_test_id("screen-form")
        choice(
            chair,
            "action",
            ExpertiseProcess.Screening.ACCEPT.value,
            ky(ExpertiseProcess.Screening.ACCEPT.label),
        )
        expect(form.locator(".when-accept")).to_be_visible()
        expect(form.locator(".when-return")).to_be_hidden()  # app.js switched the parts
        for expert in world.experts:
            choice(chair, "experts", expert.pk, expert.get_full_name())
        due_input = form.locator("input[name='due_date']")
        expect(due_input).to_have_attribute("placeholder", ky("dd.mm.yyyy"))
        due_input.fill(due.strftime("%d.%m.%Y"))  # day first, as the page prints dates
        form.get_by_role("button", name=ky("Confirm")).click()
        chair.wait_for_url(f"{base}{reverse('flows:inbox')}")
        expect(chair.get_by_test_id("inbox-empty")).to_be_visible()
        expect(chair.get_by_test_id("inbox-count")).to_have_count(0)

        step("3. Each expert reviews their own single task")
        reviews = [
            (world.expert1, Opinion.REVISE, "", [REC_1A, REC_1B]),
            (world.expert2, Opinion.APPROVE_WITH_CHANGES, "", [REC_2]),
            (world.expert3, Opinion.APPROVE, COMMENT_3, []),
        ]
        for expert, opinion, comment, recommendations in reviews:
            context, page = log_in(expert)
            open_the_only_task(page, "Expert review")
            expect(page.get_by_test_id("stage")).to_have_text(ky(Stage.IN_EXPERTISE.label))
            form = page.get_by_test_id("review-form")
            expect(page.locator("p.note")).to_have_text(
                ky("Please give your opinion by %(d)s.") % {"d": due.strftime("%d.%m.%Y")}
            )
            choice(page, "opinion", opinion.value, ky(opinion.label))
            if comment:
                form.locator("textarea[name='comment']").fill(comment)
            rows = form.locator("[data-formset='rec'] .formset-row textarea")
            expect(rows).to_have_count(3)
            if expert == world.expert1:
                # The first recommendation in the first box, the second in a row added by
                # the "Add a recommendation" button (app.js clones the empty form).
                form.get_by_role("button", name=ky("Add a recommendation")).click()
                expect(rows).to_have_count(4)
                expect(form.locator("input[name='rec-TOTAL_FORMS']")).to_have_value("4")
                expect(rows.nth(3)).to_have_attribute("name", "rec-3-text")
                expect(rows.nth(3)).to_be_focused()
                rows.nth(0).fill(recommendations[0])
                rows.nth(3).fill(recommendations[1])
            else:
                for i, text in enumerate(recommendations):
                    rows.nth(i).fill(text)
            form.get_by_role("button", name=ky("Submit the review")).click()
            page.wait_for_url(f"{base}{reverse('flows:inbox')}")
            expect(page.locator("ul.messages")).to_be_visible()
            expect(page.get_by_test_id("inbox-empty")).to_be_visible()
            context.close()

        step("4. The chair decides, with all three opinions side by side")
        chair.goto(f"{base}{reverse('flows:inbox')}")
        open_the_only_task(chair, "Decision of the chair")
        expect(chair.get_by_test_id("stage")).to_have_text(ky(Stage.DECISION.label))
        expect(
            chair.get_by_role("heading", name=ky("Opinions and recommendations"))
        ).to_be_visible()
        round_1 = chair.get_by_test_id("round-1")
        cards = round_1.get_by_test_id("review")
        expect(cards).to_have_count(3)
        for expert, opinion, comment, recommendations in reviews:
            card = cards.filter(has_text=expert.get_full_name())
            expect(card).to_have_count(1)
            expect(card.locator(".opinion")).to_have_text(ky(opinion.label))
            if recommendations:
                expect(card.get_by_test_id("recommendation")).to_have_text(recommendations)
            else:
                expect(card.get_by_test_id("recommendation")).to_have_count(0)
            if comment:
                expect(card).to_contain_text(comment)
        boxes = [cards.nth(i).bounding_box() for i in range(3)]
        if viewport == DESKTOP:
            tops = {round(box["y"]) for box in boxes}
            assert len(tops) == 1, f"the three opinions are not side by side: tops at {tops}"
        else:  # one under the other, each the width of the phone's column
            assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"], boxes
            assert all(box["x"] + box["width"] <= PHONE["width"] for box in boxes), boxes
        form = chair.get_by_test_id("decide-form")
        choice(
            chair,
            "decision",
            ExpertiseRound.Decision.RECOMMEND.value,
            ky(ExpertiseRound.Decision.RECOMMEND.label),
        )
        chair.screenshot(path=str(tmp_path / "chair-decision.png"), full_page=True)
        form.get_by_role("button", name=ky("Record the decision")).click()
        chair.wait_for_url(f"{base}{reverse('flows:inbox')}")
        expect(chair.locator("ul.messages")).to_be_visible()
        expect(chair.get_by_role("link", name=ky("Decision of the chair"))).to_have_count(0)

        chair.goto(document_url)
        expect(chair.locator("html")).to_have_attribute("lang", "ky")
        expect(chair.get_by_test_id("stage")).to_have_text(ky(Stage.RECOMMENDED.label))
        expect(chair.locator("p.decision")).to_contain_text(
            ky(ExpertiseRound.Decision.RECOMMEND.label)
        )
        chair.screenshot(path=str(tmp_path / "document-recommended.png"), full_page=True)
        chair_context.close()
        browser.close()

    print(f"\nscreenshots: {tmp_path}")
    step("5. After the browser: no page, console or axe-core error, and axe-core ran")
    assert page_errors == [], page_errors
    assert len(signed_in.audited) >= 10, f"axe-core checked only {signed_in.audited}"

    step("6. After the browser: the database holds the recommendation and the reviews")
    # What the database says. (Queried only here, outside the Playwright block: ORM calls
    # made inside it run in another context and would open a second connection that
    # nobody closes, which then blocks dropping the test database.)
    document = Document.objects.get(title=TITLE)
    assert document_url == f"{base}{reverse('documents:detail', args=[document.pk])}"
    assert document.stage == Stage.RECOMMENDED
    assert Review.objects.filter(round__document=document, submitted_at__isnull=False).count() == 3
    assert ExpertiseRound.objects.get(document=document).decision == "recommend"
    assert sorted(
        Recommendation.objects.filter(review__round__document=document).values_list(
            "text", flat=True
        )
    ) == sorted([REC_1A, REC_1B, REC_2])

    step("7. After the browser: every Kyrgyz string checked is a real translation")
    assert ky.untranslated() == [], "no Kyrgyz translation (locale/ky) for: " + "; ".join(
        ky.untranslated()
    )
