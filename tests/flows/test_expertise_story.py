"""The foundation story, through the real HTTP endpoints: a teacher's document goes through
the council's expertise, two rounds (three experts, revision, round two)."""

from __future__ import annotations

import datetime

import pytest
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

pytestmark = pytest.mark.django_db


def open_tasks(user, node: str | None = None):
    qs = Task.objects.filter(owner=user, status=STATUS.ASSIGNED, flow_task_type="HUMAN")
    tasks = list(qs)
    if node:
        tasks = [t for t in tasks if t.flow_task.name == node]
    return tasks


def the_task(user, node: str) -> Task:
    tasks = open_tasks(user, node)
    assert len(tasks) == 1, f"{user} has {len(tasks)} open {node} tasks"
    return tasks[0]


def document_fields(world, **overrides):
    data = {
        "doc_type": "development_program",
        "title": "Мектептин өнүгүү программасы 2026–2030",
        "academic_year": world.year.pk,
        "methodical_association": world.association.pk,
        "description": "Өнүгүү программасынын долбоору",
    }
    data.update(overrides)
    return data


def create_and_submit(world, client=None, **overrides) -> Document:
    client = client or world.client(world.author)
    data = document_fields(world, **overrides)
    data["upload"] = pdf_upload()
    data["submit"] = "1"
    response = client.post(reverse("documents:create"), data)
    assert response.status_code == 302
    return Document.objects.get(title=data["title"])


def review_post(opinion: str, recommendations: list[str], comment: str = "") -> dict:
    data = {
        "opinion": opinion,
        "comment": comment,
        "rec-TOTAL_FORMS": str(max(3, len(recommendations))),
        "rec-INITIAL_FORMS": "0",
        "rec-MIN_NUM_FORMS": "0",
        "rec-MAX_NUM_FORMS": "1000",
    }
    for i, text in enumerate(recommendations):
        data[f"rec-{i}-text"] = text
    return data


def test_a_document_goes_through_two_rounds_of_expertise(world):
    author = world.client(world.author)

    # 1. The teacher drafts, saves twice, then submits.
    response = author.post(
        reverse("documents:create"), {**document_fields(world), "upload": pdf_upload(), "save": "1"}
    )
    assert response.status_code == 302
    document = Document.objects.get(author=world.author)
    assert document.stage == Stage.DRAFT
    assert document.version_count == 0
    response = author.post(
        reverse("documents:edit", args=[document.pk]),
        {**document_fields(world, title="Мектептин өнүгүү программасы"), "save": "1"},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Мектептин өнүгүү программасы"
    assert document.file_kind == "pdf"  # the file was kept

    response = author.post(reverse("documents:submit", args=[document.pk]))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.stage == Stage.SCREENING
    assert document.version_count == 1
    v1 = DocumentVersion.objects.get(document=document, number=1)
    assert v1.title == "Мектептин өнүгүү программасы"
    mine = author.get(reverse("documents:mine"))
    assert "Мектептин өнүгүү программасы" in mine.content.decode()
    assert mine.context["page"].object_list[0].stage == Stage.SCREENING

    # 2. The chair finds it in the inbox, opens the file, and assigns three experts.
    chair = world.client(world.chair)
    inbox = chair.get(reverse("flows:inbox")).content.decode()
    assert "Мектептин өнүгүү программасы" in inbox
    screen = the_task(world.chair, "screen")
    assert chair.get(reverse("flows:task", args=[screen.pk])).status_code == 200
    download = chair.get(reverse("documents:version_file", args=[document.pk, 1]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")

    due = timezone.localdate() + datetime.timedelta(days=7)
    response = chair.post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [e.pk for e in world.experts], "due_date": due.isoformat()},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.stage == Stage.IN_EXPERTISE

    # 3. Each expert has exactly their own review in their inbox.
    for expert in world.experts:
        assert len(open_tasks(expert, "review")) == 1
        page = world.client(expert).get(reverse("flows:inbox"))
        assert len(page.context["rows"]) == 1
    assert open_tasks(world.chair) == []

    reviews = {
        world.expert1: review_post("revise", ["Максаттарды так жазуу.", "Көрсөткүчтөрдү кошуу."]),
        world.expert2: review_post("approve_with_changes", ["Адабияттарды жаңылоо."]),
        world.expert3: review_post("approve", [], comment="Жакшы иш."),
    }
    for n, (expert, data) in enumerate(reviews.items(), 1):
        task = the_task(expert, "review")
        response = world.client(expert).post(reverse("flows:task", args=[task.pk]), data)
        assert response.status_code == 302, response.content
        if n < 3:
            # 4. The chair decides only when the last expert is done.
            assert open_tasks(world.chair, "decide") == []
    assert Recommendation.objects.filter(review__round__document=document).count() == 3
    document.refresh_from_db()
    assert document.stage == Stage.DECISION

    decide = the_task(world.chair, "decide")
    page = chair.get(reverse("flows:task", args=[decide.pk])).content.decode()
    for text in [
        "Максаттарды так жазуу.",
        "Көрсөткүчтөрдү кошуу.",
        "Адабияттарды жаңылоо.",
        "Жакшы иш.",
    ]:
        assert text in page  # every opinion and recommendation side by side
    response = chair.post(
        reverse("flows:task", args=[decide.pk]),
        {"decision": "revise", "reason": "Сунуштарды эске алыңыз."},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.stage == Stage.REVISION

    # 5. The author must answer every recommendation; a half answer loses nothing.
    revise = the_task(world.author, "revise")
    recs = list(Recommendation.objects.filter(review__round__document=document).order_by("pk"))
    page = author.get(reverse("flows:task", args=[revise.pk])).content.decode()
    assert all(r.text in page for r in recs)
    partial = {
        **document_fields(world, title="Мектептин өнүгүү программасы (2-версия)"),
        f"rec-{recs[0].pk}-answer": "accepted",
        "submit": "1",
    }
    response = author.post(reverse("flows:task", args=[revise.pk]), partial)
    assert response.status_code == 200
    assert "Answer every recommendation" in response.content.decode()
    document.refresh_from_db()
    assert document.version_count == 1
    assert document.title == "Мектептин өнүгүү программасы"  # rolled back with the refusal
    assert the_task(world.author, "revise").pk == revise.pk

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
    assert response.status_code == 302, response.content.decode()
    document.refresh_from_db()
    assert document.stage == Stage.SCREENING
    assert document.version_count == 2
    v2 = DocumentVersion.objects.get(document=document, number=2)
    assert (v2.file_kind, v2.title) == ("docx", "Мектептин өнүгүү программасы (2-версия)")
    v1_again = DocumentVersion.objects.get(pk=v1.pk)
    assert (v1_again.file_kind, v1_again.sha256, v1_again.file.name) == (
        "pdf",
        v1.sha256,
        v1.file.name,
    )
    for rec in Recommendation.objects.filter(pk__in=[r.pk for r in recs]):
        assert rec.answered_in_id == v2.pk

    # Round 2: the same experts by default.
    screen2 = the_task(world.chair, "screen")
    form = chair.get(reverse("flows:task", args=[screen2.pk])).context["form"]
    assert sorted(form.initial["experts"]) == sorted(e.pk for e in world.experts)
    chair.post(
        reverse("flows:task", args=[screen2.pk]),
        {"action": "accept", "experts": form.initial["experts"], "due_date": due.isoformat()},
    )
    for expert in world.experts:
        task = the_task(expert, "review")
        assert (
            world.client(expert)
            .post(reverse("flows:task", args=[task.pk]), review_post("approve", []))
            .status_code
            == 302
        )
    decide2 = the_task(world.chair, "decide")
    chair.post(reverse("flows:task", args=[decide2.pk]), {"decision": "recommend", "reason": ""})

    # 6. Recommended to a council session: the process waits for the session's protocol.
    document.refresh_from_db()
    assert document.stage == Stage.RECOMMENDED
    process = ExpertiseProcess.objects.get(document=document)
    assert process.status == PROCESS.NEW
    waiting = Task.objects.get(process=process, status=STATUS.NEW)
    assert waiting.flow_task.name == "council_session"
    assert ExpertiseRound.objects.filter(document=document).count() == 2
    assert Review.objects.filter(round__document=document, submitted_at__isnull=False).count() == 6
    assert [r.decision for r in ExpertiseRound.objects.filter(document=document)] == [
        "revise",
        "recommend",
    ]
    for user in [world.author, world.chair, *world.experts]:
        assert open_tasks(user) == []

    # 7. The document's page: versions, reviews, answers next to round 1, timeline, chart.
    page = author.get(reverse("documents:detail", args=[document.pk]))
    html = page.content.decode()
    assert "Көрсөткүчтөр 3-бөлүмдө бар." in html
    assert "<svg" in html
    assert [v.number for v in page.context["versions"]] == [2, 1]
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
    ]


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
