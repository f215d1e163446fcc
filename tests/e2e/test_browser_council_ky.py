"""The first council session of the year and the approval of the work plan, in a real
browser, in the Kyrgyz UI.

The work plan has been through expertise (through the test client, before the browser
starts) and waits for a council session. In headless Debian Chromium, through Playwright:
the chair schedules session №1 from the "Council" menu, writes its protocol (until a
secretary is elected the chair writes it: attendance, the election, УГУЛДУ / СҮЙЛӨДҮ /
ТОКТОМ, decisions and votes) and signs it; the elected secretary signs too, so the protocol
becomes №1 and the plan moves on; the chair records the pedagogical council ("Каралды",
protocol №3); the acting director approves it ("Бекитем") and the document gets its
registry number.

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

from council.models import AgendaItem, Protocol, Session
from documents.models import Document, DocumentType, Stage
from flows.models import ExpertiseProcess
from tests.conftest import build_world
from tests.e2e.support import CHROMIUM, DESKTOP, PHONE, Kyrgyz, KyrgyzBrowser
from tests.helpers import through_expertise

PLAN_TITLE = "ИМКнын 2026–2027 окуу жылына иш планы"
PLACE = "Мугалимдер бөлмөсү"
FREE_ITEM = "Катчыны шайлоо"
ACTING_DIRECTOR = "Мектептин директорунун милдетин аткаруучу"
PED_PROTOCOL = "3"

pytestmark = pytest.mark.e2e


# The whole story on a phone as well as on a laptop: people read and act on their tasks
# from phones (every page checked for sideways scroll and by axe-core on the way).
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_first_council_session_and_approval_in_the_kyrgyz_ui(live_server, tmp_path, viewport, step):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import expect, sync_playwright

    # Everything the browser part needs from the database is read here, before it starts.
    step("0. The work plan goes through expertise (test client), no secretary; Chromium starts")
    world = build_world()
    council = world.council
    council.secretary = None  # 5.4: elected at the first session
    council.save()
    plan = through_expertise(world, world.secretary, PLAN_TITLE, "work_plan")
    for user in (world.chair, world.secretary, world.director):
        user.language = "ky"
        user.save(update_fields=["language"])
    world.director.position = ACTING_DIRECTOR
    world.director.save(update_fields=["position"])

    members = [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]
    present = members[:4]
    session_day = world.year.starts_on + datetime.timedelta(days=20)
    assert world.year.quarter_of(session_day) == 1
    today = timezone.localdate()
    ped_day = min(session_day, today)
    registry_number = f"{world.year.starts_on.year}-001"
    document_url = reverse("documents:detail", args=[plan.pk])
    secretary_name = world.secretary.get_full_name()
    plan_author = world.secretary.get_short_name()
    director_short = world.director.get_short_name()

    ky = Kyrgyz()
    plan_item_title = ky("On the document «%(title)s» (%(type)s), author %(author)s") % {
        "title": PLAN_TITLE,
        "type": ky(DocumentType.WORK_PLAN.label),
        "author": plan_author,
    }
    base = live_server.url
    with sync_playwright() as p:
        signed_in = KyrgyzBrowser(p, base=base, ky=ky, viewport=viewport)
        browser = signed_in.browser
        page_errors = signed_in.errors
        log_in = signed_in.log_in

        def open_council(page):
            page.locator("nav.mainnav").get_by_role("link", name=ky("Council")).click()
            page.wait_for_url(f"{base}{reverse('council:overview')}")
            expect(page.locator("html")).to_have_attribute("lang", "ky")
            expect(page.locator("h1")).to_contain_text(ky("Scientific-methodical council"))

        def open_the_only_task(page, title_msgid):
            rows = page.get_by_test_id("inbox-row")
            expect(rows).to_have_count(1)
            expect(page.get_by_test_id("inbox-count")).to_have_text("1")
            expect(rows.first).to_contain_text(PLAN_TITLE)
            rows.first.get_by_role("link", name=ky(title_msgid)).click()
            page.wait_for_url(re.compile(r".*/tasks/\d+/$"))
            expect(page.locator("html")).to_have_attribute("lang", "ky")
            expect(page.locator("h1")).to_contain_text(ky(title_msgid))
            expect(page.locator("h1")).to_contain_text(PLAN_TITLE)

        def choice(scope, name, value, label):
            """Tick the radio/checkbox `name=value` and check that its label reads `label`."""
            selector = f"input[name='{name}'][value='{value}']"
            box = scope.locator(selector)
            # `has` is matched inside each label, so it takes a bare (page-rooted) locator.
            expect(scope.locator("label", has=scope.page.locator(selector))).to_have_text(
                re.compile(rf"^\s*{re.escape(label)}(\s|$)")
            )
            box.check()

        def protocol_status(page, text):
            expect(page.get_by_test_id("protocol-status")).to_have_text(text)

        step('1. The chair schedules session №1 from the "Council" menu')
        chair_context, chair = log_in(world.chair)
        open_council(chair)
        expect(chair.get_by_text(ky("No sessions yet."))).to_be_visible()
        expect(chair.get_by_text(ky("to be elected at the first session"))).to_be_visible()
        chair.get_by_test_id("schedule-session").click()
        chair.wait_for_url(re.compile(re.escape(f"{base}{reverse('council:session_new')}")))
        expect(chair.locator("h1")).to_contain_text(ky("Schedule a session"))
        form = chair.get_by_test_id("session-form")
        expect(form.locator("label[for='id_date']")).to_have_text(f"{ky('Date')} *")
        form.locator("input[name='date']").fill(session_day.strftime("%d.%m.%Y"))
        form.locator("input[name='place']").fill(PLACE)
        choice(
            form,
            "documents",
            plan.pk,
            f"{PLAN_TITLE} — {ky(DocumentType.WORK_PLAN.label)}, {plan_author}",
        )
        form.locator("textarea[name='free_items']").fill(FREE_ITEM)
        form.get_by_role("button", name=ky("Schedule"), exact=True).click()
        chair.wait_for_url(re.compile(r".*/sessions/\d+/$"))
        session_url = chair.url
        expect(chair.locator("ul.messages")).to_contain_text(ky("The session is scheduled."))
        expect(chair.locator("h1")).to_have_text(
            f"{ky('Council session')} {session_day.strftime('%d.%m.%Y')}"
        )
        expect(chair.get_by_test_id("session-status")).to_have_text(
            ky(Session.Status.SCHEDULED.label)
        )
        agenda = chair.get_by_test_id("agenda").locator("> li")
        expect(agenda).to_have_count(2)
        expect(agenda.nth(0)).to_contain_text(plan_item_title)
        expect(agenda.nth(1)).to_contain_text(FREE_ITEM)
        protocol_status(chair, ky("draft"))

        step("2. The chair writes the protocol: attendance, the election, the two items")
        chair.get_by_test_id("edit-protocol").click()
        chair.wait_for_url(re.compile(r".*/sessions/\d+/protocol/$"))
        expect(chair.locator("h1")).to_contain_text(ky("Protocol"))
        form = chair.get_by_test_id("protocol-form")
        for member in present:
            choice(form, "att-present", member.pk, member.get_full_name())
        expect(form.locator("input[name='att-present']:checked")).to_have_count(4)
        expect(
            form.get_by_role("heading", name=ky("Election of the secretary (first session)"))
        ).to_be_visible()
        form.locator("select[name='sec-secretary']").select_option(str(world.secretary.pk))
        expect(form.locator("select[name='sec-secretary'] option:checked")).to_have_text(
            secretary_name
        )
        items = [
            ("item-1", plan_item_title, AgendaItem.Decision.RECOMMEND_APPROVAL),
            ("item-2", FREE_ITEM, AgendaItem.Decision.OTHER),
        ]
        for testid, title, decision in items:
            section = form.get_by_test_id(testid)
            expect(section.locator("h2")).to_contain_text(title)
            section.get_by_label(ky("Heard (УГУЛДУ)")).fill(f"{title}: баяндама")
            section.get_by_label(ky("Spoke (СҮЙЛӨДҮ)")).fill("Сыдыкова Г., Мамытов Ү.")
            section.get_by_label(ky("Resolved (ТОКТОМ)")).fill("Бир добуштан кабыл алынсын.")
            select = section.locator("select[name$='-decision']")
            select.select_option(decision.value)
            expect(select.locator("option:checked")).to_have_text(ky(decision.label))
            section.locator("input[name$='-votes_for']").fill("4")
            section.locator("input[name$='-votes_against']").fill("0")
            section.locator("input[name$='-votes_abstained']").fill("0")
        chair.screenshot(path=str(tmp_path / "protocol-form.png"), full_page=True)
        # The full-page screenshot leaves the page scrolled so that the button, at the edge
        # of the viewport, would not get the click (no request is sent): back to the top.
        chair.evaluate("window.scrollTo(0, 0)")
        form.get_by_role("button", name=ky("Save the protocol")).click()
        chair.wait_for_url(session_url)
        expect(chair.locator("ul.messages")).to_contain_text(ky("The protocol has been saved."))
        expect(chair.get_by_test_id("quorum")).to_contain_text(
            ky("%(present)s of %(total)s present") % {"present": 4, "total": 5}
        )
        # Elected: from now on the secretary writes the protocol, not the chair.
        expect(chair.get_by_test_id("edit-protocol")).to_have_count(0)
        for _testid, _title, decision in items:
            expect(chair.get_by_test_id("agenda")).to_contain_text(ky(decision.label))
        expect(chair.get_by_test_id("agenda")).to_contain_text(
            ky("for %(f)s, against %(a)s, abstained %(ab)s") % {"f": 4, "a": 0, "ab": 0}
        )
        expect(chair.locator(".note")).to_have_count(0)  # nothing stands in the way

        step("3. The chair signs (one signature of two)")
        chair.get_by_test_id("confirm-protocol").click()
        chair.wait_for_url(session_url)
        expect(chair.locator("ul.messages")).to_contain_text(
            ky("Your confirmation is recorded; the other signature is awaited.")
        )
        protocol_status(chair, f"{ky('draft')} · {ky('confirmed by the chair')}")
        expect(chair.get_by_test_id("confirm-protocol")).to_have_count(0)  # signed: no button

        step("4. The elected secretary opens the session from the council page and signs")
        context, page = log_in(world.secretary)
        open_council(page)
        sessions = page.get_by_test_id("sessions").locator("tbody tr")
        expect(sessions).to_have_count(1)
        expect(sessions.first).to_contain_text(ky("not confirmed"))
        sessions.first.get_by_role("link", name=session_day.strftime("%d.%m.%Y")).click()
        page.wait_for_url(session_url)
        protocol_status(page, f"{ky('draft')} · {ky('confirmed by the chair')}")
        expect(page.get_by_test_id("edit-protocol")).to_be_visible()  # the secretary writes
        page.get_by_test_id("confirm-protocol").click()
        page.wait_for_url(session_url)
        expect(page.locator("ul.messages")).to_contain_text(
            ky("Protocol №%(number)s is confirmed. The documents move on.") % {"number": 1}
        )
        protocol_status(page, ky("№%(n)s, confirmed") % {"n": 1})
        expect(page.locator("h1")).to_contain_text(ky("protocol №%(n)s") % {"n": 1})
        expect(page.get_by_test_id("confirm-protocol")).to_have_count(0)
        expect(page.get_by_test_id("edit-protocol")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "session-confirmed.png"), full_page=True)
        context.close()

        step('5. The chair records the pedagogical council ("Каралды")')
        chair.goto(f"{base}{reverse('flows:inbox')}")
        open_the_only_task(chair, "Pedagogical council")
        expect(chair.get_by_test_id("stage")).to_have_text(ky(Stage.PEDAGOGICAL.label))
        form = chair.get_by_test_id("pedagogical-form")
        considered = ExpertiseProcess.PedagogicalOutcome.CONSIDERED
        choice(form, "outcome", considered, ky(considered.label))
        form.get_by_label(ky("Pedagogical council protocol №")).fill(PED_PROTOCOL)
        form.get_by_label(ky("Date of the pedagogical council")).fill(ped_day.strftime("%d.%m.%Y"))
        form.get_by_role("button", name=ky("Record"), exact=True).click()
        chair.wait_for_url(f"{base}{reverse('flows:inbox')}")
        expect(chair.locator("ul.messages")).to_contain_text(
            ky("The pedagogical council's consideration has been recorded.")
        )
        expect(chair.get_by_test_id("inbox-empty")).to_be_visible()
        chair_context.close()

        step('6. The acting director approves ("Бекитем")')
        context, page = log_in(world.director)
        expect(page.get_by_test_id("inbox-count")).to_have_text("1")
        open_the_only_task(page, "Approval by the director")
        expect(page.get_by_test_id("stage")).to_have_text(ky(Stage.DIRECTOR.label))
        expect(page.get_by_test_id("pedagogical")).to_have_text(
            ky("protocol №%(n)s of %(d)s") % {"n": PED_PROTOCOL, "d": ped_day.strftime("%d.%m.%Y")}
        )
        expect(page.locator("dt", has_text=ky("Pedagogical council"))).to_be_visible()
        form = page.get_by_test_id("approve-form")
        approve = ExpertiseProcess.DirectorDecision.APPROVE
        choice(form, "outcome", approve, ky(approve.label))
        page.screenshot(path=str(tmp_path / "approval.png"), full_page=True)
        form.get_by_role("button", name=ky("Confirm"), exact=True).click()
        page.wait_for_url(f"{base}{reverse('flows:inbox')}")
        expect(page.locator("ul.messages")).to_contain_text(
            ky("The document is approved and registered.")
        )
        expect(page.get_by_test_id("inbox-empty")).to_be_visible()
        expect(page.get_by_test_id("inbox-count")).to_have_count(0)

        page.goto(f"{base}{document_url}")
        expect(page.locator("html")).to_have_attribute("lang", "ky")
        expect(page.locator("h1")).to_have_text(PLAN_TITLE)
        expect(page.get_by_test_id("stage")).to_have_text(ky(Stage.APPROVED.label))
        approval = page.get_by_test_id("approval")
        expect(approval).to_contain_text(f"{ky('registry number')} {registry_number}")
        expect(approval).to_contain_text(f"{ACTING_DIRECTOR} {director_short}")
        expect(approval).to_contain_text(
            ky("pedagogical council, protocol №%(n)s of %(d)s")
            % {"n": PED_PROTOCOL, "d": ped_day.strftime("%d.%m.%Y")}
        )
        page.screenshot(path=str(tmp_path / "document-approved.png"), full_page=True)
        context.close()
        browser.close()

    print(f"\nscreenshots: {tmp_path}")
    step("7. After the browser: no page, console or axe-core error, and axe-core ran")
    assert page_errors == [], page_errors
    assert len(signed_in.audited) >= 10, f"axe-core checked only {signed_in.audited}"

    step("8. After the browser: the database holds session, protocol №1 and approved plan")
    # What the database says. (Queried only here, outside the Playwright block: ORM calls
    # made inside it run in another context and would open a second connection that
    # nobody closes, which then blocks dropping the test database.)
    session = Session.objects.get(council=council)
    assert session_url == f"{base}{reverse('council:session', args=[session.pk])}"
    assert session.is_first and session.quarter == 1 and session.date == session_day
    assert session.secretary_elected == world.secretary
    council.refresh_from_db()
    assert council.secretary == world.secretary
    assert set(session.attendance.filter(present=True).values_list("user", flat=True)) == {
        u.pk for u in present
    }
    assert [
        (i.document_id, i.decision, i.votes_for, i.votes_against, i.votes_abstained)
        for i in session.items.order_by("position")
    ] == [
        (plan.pk, AgendaItem.Decision.RECOMMEND_APPROVAL, 4, 0, 0),
        (None, AgendaItem.Decision.OTHER, 4, 0, 0),
    ]
    protocol = Protocol.objects.get(session=session)
    assert protocol.number == 1 and protocol.is_confirmed
    assert protocol.chair_confirmed_by == world.chair
    assert protocol.secretary_confirmed_by == world.secretary
    document = Document.objects.get(pk=plan.pk)
    assert document.stage == Stage.APPROVED
    assert document.pedagogical_protocol_number == PED_PROTOCOL
    assert document.pedagogical_reviewed_on == ped_day
    assert document.registry_number == registry_number
    assert document.approved_by == world.director
    assert document.approver_position == ACTING_DIRECTOR

    step("9. After the browser: every Kyrgyz string checked is a real translation")
    assert ky.untranslated() == [], "no Kyrgyz translation (locale/ky) for: " + "; ".join(
        ky.untranslated()
    )
