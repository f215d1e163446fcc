"""The foundation story, through the real HTTP endpoints: a teacher's document goes through
the council's expertise, two rounds (three experts, revision, round two)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from documents.models import (
    Document,
    DocumentEvent,
    DocumentVersion,
    EventKind,
    ExpertiseRound,
    Recommendation,
    Review,
    Stage,
)
from flows.models import ExpertiseProcess
from tests.conftest import docx_upload, pdf_upload
from tests.helpers import (
    create_and_submit,
    document_fields,
    open_tasks,
    review_post,
    story_step,
    the_task,
)

# Every step's timeline events are checked against the registry of nodes (flows/stages.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("timeline_checked_against_registry")]


@dataclass
class Story:
    """What the steps of the two-round story pass on to each other."""

    world: Any
    author: Client
    chair: Client
    due: datetime.date
    document: Document | None = None
    v1: DocumentVersion | None = None
    recs: list[Recommendation] = field(default_factory=list)


@story_step("1. The teacher drafts, saves twice, then submits")
def teacher_drafts_saves_and_submits(story: Story) -> None:
    world, author = story.world, story.author
    response = author.post(
        reverse("documents:create"), {**document_fields(world), "upload": pdf_upload(), "save": "1"}
    )
    assert response.status_code == 302, "saving the new draft should lead to its page"
    document = story.document = Document.objects.get(author=world.author)
    assert document.stage == Stage.DRAFT, "a saved draft should stay a draft"
    assert document.version_count == 0, "saving should freeze no version"
    response = author.post(
        reverse("documents:edit", args=[document.pk]),
        {**document_fields(world, title="Мектептин өнүгүү программасы"), "save": "1"},
    )
    assert response.status_code == 302, "saving the edited draft should lead to its page"
    document.refresh_from_db()
    assert document.title == "Мектептин өнүгүү программасы", "the new title should be saved"
    assert document.file_kind == "pdf", "an edit without a new file should keep the file"

    response = author.post(reverse("documents:submit", args=[document.pk]))
    assert response.status_code == 302, "submitting should lead to the document's page"
    document.refresh_from_db()
    assert document.stage == Stage.SCREENING, "a submitted document should await screening"
    assert document.version_count == 1, "the submission should freeze version 1"
    story.v1 = DocumentVersion.objects.get(document=document, number=1)
    assert story.v1.title == "Мектептин өнүгүү программасы", "version 1 keeps the title"
    mine = author.get(reverse("documents:mine"))
    assert "Мектептин өнүгүү программасы" in mine.content.decode(), (
        "the teacher's list should show the document"
    )
    assert mine.context["page"].object_list[0].stage == Stage.SCREENING, (
        "the teacher's list should show it awaiting screening"
    )


@story_step("2. The chair finds it in the inbox, opens the file and assigns three experts")
def chair_assigns_three_experts(story: Story) -> None:
    world, chair, document = story.world, story.chair, story.document
    inbox = chair.get(reverse("flows:inbox")).content.decode()
    assert "Мектептин өнүгүү программасы" in inbox, "the chair's inbox should list it"
    screen = the_task(world.chair, "screen")
    assert chair.get(reverse("flows:task", args=[screen.pk])).status_code == 200, (
        "the screening page should open"
    )
    download = chair.get(reverse("documents:version_file", args=[document.pk, 1]))
    assert download.status_code == 200, "the chair should download version 1"
    assert download["Content-Disposition"].startswith("attachment"), "as an attachment"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF-"), "the PDF itself"

    response = chair.post(
        reverse("flows:task", args=[screen.pk]),
        {
            "action": "accept",
            "experts": [e.pk for e in world.experts],
            "due_date": story.due.isoformat(),
        },
    )
    assert response.status_code == 302, "assigning experts should go back to the inbox"
    document.refresh_from_db()
    assert document.stage == Stage.IN_EXPERTISE, "the document should be in expertise"


@story_step("3. Each expert reviews from their own inbox; the chair decides only after the last")
def experts_review_in_parallel(story: Story) -> None:
    world, document = story.world, story.document
    for expert in world.experts:
        assert len(open_tasks(expert, "review")) == 1, f"{expert} should have one review task"
        page = world.client(expert).get(reverse("flows:inbox"))
        assert len(page.context["rows"]) == 1, f"{expert}'s inbox should show one row"
    assert open_tasks(world.chair) == [], "the chair should have nothing while experts review"

    reviews = {
        world.expert1: review_post("revise", ["Максаттарды так жазуу.", "Көрсөткүчтөрдү кошуу."]),
        world.expert2: review_post("approve_with_changes", ["Адабияттарды жаңылоо."]),
        world.expert3: review_post("approve", [], comment="Жакшы иш."),
    }
    for n, (expert, data) in enumerate(reviews.items(), 1):
        task = the_task(expert, "review")
        response = world.client(expert).post(reverse("flows:task", args=[task.pk]), data)
        assert response.status_code == 302, f"{expert}'s review was refused: {response.content}"
        if n < 3:
            # 4. The chair decides only when the last expert is done.
            assert open_tasks(world.chair, "decide") == [], (
                f"the chair should not decide after {n} of 3 reviews"
            )
    assert Recommendation.objects.filter(review__round__document=document).count() == 3, (
        "the three recommendations should be stored"
    )
    document.refresh_from_db()
    assert document.stage == Stage.DECISION, "after the last review the chair should decide"


@story_step("4. The chair sees every opinion side by side and sends the document to revision")
def chair_sends_to_revision(story: Story) -> None:
    world, chair, document = story.world, story.chair, story.document
    decide = the_task(world.chair, "decide")
    page = chair.get(reverse("flows:task", args=[decide.pk])).content.decode()
    for text in [
        "Максаттарды так жазуу.",
        "Көрсөткүчтөрдү кошуу.",
        "Адабияттарды жаңылоо.",
        "Жакшы иш.",
    ]:
        assert text in page, f"the decision page should show {text!r} beside the others"
    response = chair.post(
        reverse("flows:task", args=[decide.pk]),
        {"decision": "revise", "reason": "Сунуштарды эске алыңыз."},
    )
    assert response.status_code == 302, "the decision should be recorded"
    document.refresh_from_db()
    assert document.stage == Stage.REVISION, "the document should be in revision"


@story_step("5. The author must answer every recommendation; a half answer loses nothing")
def author_answers_and_resubmits(story: Story) -> None:
    world, author, document, v1 = story.world, story.author, story.document, story.v1
    revise = the_task(world.author, "revise")
    recs = story.recs = list(
        Recommendation.objects.filter(review__round__document=document).order_by("pk")
    )
    page = author.get(reverse("flows:task", args=[revise.pk])).content.decode()
    assert all(r.text in page for r in recs), "the revision page should list every recommendation"
    partial = {
        **document_fields(world, title="Мектептин өнүгүү программасы (2-версия)"),
        f"rec-{recs[0].pk}-answer": "accepted",
        "submit": "1",
    }
    response = author.post(reverse("flows:task", args=[revise.pk]), partial)
    assert response.status_code == 200, "a half answer should be refused on the same page"
    assert "Answer every recommendation" in response.content.decode(), "and say why"
    document.refresh_from_db()
    assert document.version_count == 1, "a refused submission should freeze no version"
    assert document.title == "Мектептин өнүгүү программасы", (
        "the title should be rolled back with the refusal"
    )
    assert the_task(world.author, "revise").pk == revise.pk, "the same task should stay open"

    answers = {
        **document_fields(world, title="Мектептин өнүгүү программасы (2-версия)"),
        f"rec-{recs[0].pk}-answer": "accepted",
        f"rec-{recs[1].pk}-answer": "declined",
        f"rec-{recs[1].pk}-reason": "Көрсөткүчтөр 3-бөлүмдө бар.",
        f"rec-{recs[2].pk}-answer": "accepted",
        "upload": docx_upload("v2.docx", "Экинчи версия"),
        "submit": "1",
    }
    response = author.post(reverse("flows:task", args=[revise.pk]), answers)
    assert response.status_code == 302, f"the full answer was refused: {response.content.decode()}"
    document.refresh_from_db()
    assert document.stage == Stage.SCREENING, "version 2 should await screening"
    assert document.version_count == 2, "the resubmission should freeze version 2"
    v2 = DocumentVersion.objects.get(document=document, number=2)
    assert (v2.file_kind, v2.title) == ("docx", "Мектептин өнүгүү программасы (2-версия)"), (
        "version 2 should hold the new file and title"
    )
    v1_again = DocumentVersion.objects.get(pk=v1.pk)
    assert (v1_again.file_kind, v1_again.sha256, v1_again.file.name) == (
        "pdf",
        v1.sha256,
        v1.file.name,
    ), "version 1 should be unchanged"
    for rec in Recommendation.objects.filter(pk__in=[r.pk for r in recs]):
        assert rec.answered_in_id == v2.pk, f"recommendation {rec.pk} answered in version 2"


@story_step("6. Round 2 goes to the same experts by default and ends in a recommendation")
def round_two_recommends(story: Story) -> None:
    world, chair, document = story.world, story.chair, story.document
    screen2 = the_task(world.chair, "screen")
    form = chair.get(reverse("flows:task", args=[screen2.pk])).context["form"]
    assert sorted(form.initial["experts"]) == sorted(e.pk for e in world.experts), (
        "round 2's screening should preselect round 1's experts"
    )
    chair.post(
        reverse("flows:task", args=[screen2.pk]),
        {"action": "accept", "experts": form.initial["experts"], "due_date": story.due.isoformat()},
    )
    for expert in world.experts:
        task = the_task(expert, "review")
        assert (
            world.client(expert)
            .post(reverse("flows:task", args=[task.pk]), review_post("approve", []))
            .status_code
            == 302
        ), f"{expert}'s round 2 review was refused"
    decide2 = the_task(world.chair, "decide")
    chair.post(reverse("flows:task", args=[decide2.pk]), {"decision": "recommend", "reason": ""})

    # Recommended to a council session: the process waits for the session's protocol.
    document.refresh_from_db()
    assert document.stage == Stage.RECOMMENDED, "the document should await a council session"
    process = ExpertiseProcess.objects.get(document=document)
    assert process.status == PROCESS.NEW, "the process should still be running"
    waiting = Task.objects.get(process=process, status=STATUS.NEW)
    assert waiting.flow_task.name == "council_session", "it should wait for the session"
    assert ExpertiseRound.objects.filter(document=document).count() == 2, "two rounds"
    assert (
        Review.objects.filter(round__document=document, submitted_at__isnull=False).count() == 6
    ), "six submitted reviews"
    assert [r.decision for r in ExpertiseRound.objects.filter(document=document)] == [
        "revise",
        "recommend",
    ], "the rounds' decisions"
    for user in [world.author, world.chair, *world.experts]:
        assert open_tasks(user) == [], f"{user} should have no open task left"


@story_step("7. The document's page shows versions, answers, timeline and chart")
def document_page_tells_the_story(story: Story) -> None:
    document = story.document
    page = story.author.get(reverse("documents:detail", args=[document.pk]))
    html = page.content.decode()
    assert "Көрсөткүчтөр 3-бөлүмдө бар." in html, "the author's answer next to round 1"
    assert "<svg" in html, "the workflow chart"
    assert [v.number for v in page.context["versions"]] == [2, 1], "both versions, newest first"
    kinds = list(DocumentEvent.objects.filter(document=document).values_list("kind", flat=True))
    assert kinds == [
        EventKind.CREATED,
        EventKind.SUBMITTED,
        EventKind.EXPERTS_ASSIGNED,
        EventKind.REVIEWED,
        EventKind.REVIEWED,
        EventKind.REVIEWED,
        EventKind.SENT_TO_REVISION,
        EventKind.SUBMITTED,
        EventKind.EXPERTS_ASSIGNED,
        EventKind.REVIEWED,
        EventKind.REVIEWED,
        EventKind.REVIEWED,
        EventKind.RECOMMENDED,
    ], "the timeline should list every step in order"


def test_a_document_goes_through_two_rounds_of_expertise(world):
    story = Story(
        world=world,
        author=world.client(world.author),
        chair=world.client(world.chair),
        due=timezone.localdate() + datetime.timedelta(days=7),
    )
    teacher_drafts_saves_and_submits(story)
    chair_assigns_three_experts(story)
    experts_review_in_parallel(story)
    chair_sends_to_revision(story)
    author_answers_and_resubmits(story)
    round_two_recommends(story)
    document_page_tells_the_story(story)


def test_the_chair_returns_a_submission_for_formal_fixes(world):
    document = create_and_submit(world)
    chair = world.client(world.chair)
    screen = the_task(world.chair, "screen")
    response = chair.post(
        reverse("flows:task", args=[screen.pk]), {"action": "return", "reason": ""}
    )
    assert response.status_code == 200  # a return needs a reason
    assert the_task(world.chair, "screen").pk == screen.pk

    chair.post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "return", "reason": "Титулдук баракты кошуңуз."},
    )
    document.refresh_from_db()
    assert document.stage == Stage.RETURNED
    fix = the_task(world.author, "fix")
    author = world.client(world.author)
    page = author.get(reverse("flows:task", args=[fix.pk])).content.decode()
    assert "Титулдук баракты кошуңуз." in page

    response = author.post(
        reverse("flows:task", args=[fix.pk]),
        {**document_fields(world), "upload": pdf_upload("fixed.pdf", "Fixed"), "submit": "1"},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.stage, document.version_count) == (Stage.SCREENING, 2)
    assert the_task(world.chair, "screen")
    event = DocumentEvent.objects.get(document=document, kind=EventKind.RETURNED)
    assert (event.actor, event.note) == (world.chair, "Титулдук баракты кошуңуз.")


def test_the_chair_rejects_with_a_reason(world):
    document = create_and_submit(world)
    chair = world.client(world.chair)
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    chair.post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [world.expert1.pk], "due_date": due},
    )
    task = the_task(world.expert1, "review")
    world.client(world.expert1).post(
        reverse("flows:task", args=[task.pk]),
        review_post("reject", [], comment="Талаптарга жооп бербейт."),
    )
    decide = the_task(world.chair, "decide")
    response = chair.post(
        reverse("flows:task", args=[decide.pk]), {"decision": "reject", "reason": ""}
    )
    assert response.status_code == 200
    assert the_task(world.chair, "decide").pk == decide.pk
    chair.post(
        reverse("flows:task", args=[decide.pk]),
        {"decision": "reject", "reason": "Программа мектептин максаттарына дал келбейт."},
    )
    document.refresh_from_db()
    assert document.stage == Stage.REJECTED
    assert ExpertiseProcess.objects.get(document=document).status == PROCESS.DONE
    assert open_tasks(world.author) == []


def test_a_draft_without_a_file_cannot_be_submitted(world):
    author = world.client(world.author)
    author.post(reverse("documents:create"), {**document_fields(world), "save": "1"})
    document = Document.objects.get(author=world.author)
    response = author.post(reverse("documents:submit", args=[document.pk]), follow=True)
    assert "Attach the document" in response.content.decode()
    document.refresh_from_db()
    assert (document.stage, document.version_count) == (Stage.DRAFT, 0)
    assert not ExpertiseProcess.objects.exists()


def test_submitting_twice_starts_one_expertise(world):
    document = create_and_submit(world)
    response = world.client(world.author).post(
        reverse("documents:submit", args=[document.pk]), follow=True
    )
    assert "already been submitted" in response.content.decode()
    assert ExpertiseProcess.objects.filter(document=document).count() == 1
    assert DocumentVersion.objects.filter(document=document).count() == 1


def test_the_chair_cannot_pick_the_author_or_outsiders_as_experts(world):
    create_and_submit(world)
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    for bad in (world.author, world.outsider, world.teacher2):
        response = world.client(world.chair).post(
            reverse("flows:task", args=[screen.pk]),
            {"action": "accept", "experts": [bad.pk], "due_date": due},
        )
        assert response.status_code == 200
        assert response.context["form"].errors
    assert the_task(world.chair, "screen").pk == screen.pk
    assert not Review.objects.exists()


def test_an_expert_opinion_that_asks_for_changes_needs_a_recommendation(world):
    create_and_submit(world)
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [world.expert1.pk], "due_date": due},
    )
    task = the_task(world.expert1, "review")
    response = world.client(world.expert1).post(
        reverse("flows:task", args=[task.pk]), review_post("revise", [])
    )
    assert response.status_code == 200
    assert "at least one recommendation" in response.content.decode()
    assert Review.objects.get(expert=world.expert1).submitted_at is None


def test_submission_without_a_council_is_refused_with_a_clear_message(world):
    world.council.members.all().delete()
    world.council.delete()
    author = world.client(world.author)
    response = author.post(
        reverse("documents:create"),
        {**document_fields(world), "upload": pdf_upload(), "submit": "1"},
        follow=True,
    )
    assert "has not been set up yet" in response.content.decode()
    document = Document.objects.get(author=world.author)
    assert (document.stage, document.version_count) == (Stage.DRAFT, 0)
