"""The two-round story through the API: a program acting for each person with their
personal token does what the pages do, under the same rules."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from council.models import Session
from documents.models import Document, DocumentVersion, Recommendation, Stage
from tests.conftest import docx_upload, pdf_upload
from tests.helpers import protocol_post

from .conftest import ApiClient

pytestmark = pytest.mark.django_db
API = "/api/v1"


def the_task(client: ApiClient, step: str) -> dict:
    response = client.get(f"{API}/tasks")
    assert response.status_code == 200
    tasks = [t for t in response.json()["items"] if t["step"] == step]
    assert len(tasks) == 1, response.json()
    return tasks[0]


def test_a_document_goes_through_two_rounds_through_the_api(world, step):
    author, chair = ApiClient(world.author), ApiClient(world.chair)
    experts = [ApiClient(e) for e in world.experts]
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()

    # The teacher creates the draft with its file and submits it (the ids from /choices).
    step("1. The teacher creates the draft with its file and submits it")
    offered = author.get(f"{API}/choices").json()
    assert [y["id"] for y in offered["academic_years"] if y["current"]] == [world.year.pk]
    assert {"id": world.association.pk, "name": "Кыргыз тили"} in offered["methodical_associations"]
    assert {"value": "work_plan", "label": "Plan of scientific-methodical work"} in offered[
        "doc_types"
    ]
    response = author.post(
        f"{API}/documents",
        {
            "doc_type": "work_plan",
            "title": "ИМКнын иш планы 2026–2027",
            "academic_year": world.year.pk,
            "methodical_association": world.association.pk,
            "description": "Үч чейрек боюнча",
            "upload": pdf_upload(),
        },
    )
    assert response.status_code == 201, response.content
    doc_id = response.json()["id"]
    assert response.json()["stage"] == "draft"
    response = author.post(f"{API}/documents/{doc_id}/submit")
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "screening"

    # The chair accepts with three experts; an expert of another school is refused.
    step("2. The chair accepts with three experts; an outsider is refused as expert")
    screen = the_task(chair, "screen")
    assert screen["document"]["id"] == doc_id
    detail = chair.get(f"{API}/tasks/{screen['id']}").json()
    assert {c["id"] for c in detail["expert_candidates"]} >= {e.pk for e in world.experts}
    refused = chair.post_json(
        f"{API}/tasks/{screen['id']}/screen",
        {"action": "accept", "experts": [world.outsider.pk], "due_date": due},
    )
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert "experts" in refused.json()["errors"]
    response = chair.post_json(
        f"{API}/tasks/{screen['id']}/screen",
        {"action": "accept", "experts": [e.pk for e in world.experts], "due_date": due},
    )
    assert response.status_code == 200, response.content
    assert response.json()["document"]["stage"] == "in_expertise"

    # Round 1: expert 1 asks for a revision; until expert 2 has given their own opinion,
    # they do not see expert 1's; the chair sees everything.
    step("3. Round 1: expert 1 asks for a revision; expert 2 does not see it yet")
    task = the_task(experts[0], "review")
    assert task["due_date"] == due
    empty = experts[0].post_json(f"{API}/tasks/{task['id']}/review", {"opinion": "revise"})
    assert empty.status_code == 422
    assert empty.json()["detail"] == "Write at least one recommendation for this opinion."
    response = experts[0].post_json(
        f"{API}/tasks/{task['id']}/review",
        {
            "opinion": "revise",
            "comment": "Максаттар так эмес",
            "recommendations": ["Максаттарды тактоо", "Мөөнөттөрдү көрсөтүү"],
        },
    )
    assert response.status_code == 200, response.content
    again = experts[0].post_json(f"{API}/tasks/{task['id']}/review", {"opinion": "approve"})
    assert again.status_code == 409

    seen_by_expert2 = experts[1].get(f"{API}/documents/{doc_id}").json()
    blind = seen_by_expert2["rounds"][0]
    assert blind["hidden"] is True and blind["awaits_my_review"] is True
    assert blind["reviews"] == []
    # Nor does the timeline tell them expert 1's opinion.
    reviewed = [e for e in seen_by_expert2["timeline"] if e["kind"] == "reviewed"]
    assert len(reviewed) == 1 and reviewed[0]["note"] == ""
    seen_by_chair = chair.get(f"{API}/documents/{doc_id}").json()
    reviewed = [e for e in seen_by_chair["timeline"] if e["kind"] == "reviewed"]
    assert reviewed[0]["note"] == "Revise"
    first = {r["expert"]["id"]: r for r in seen_by_chair["rounds"][0]["reviews"]}
    assert first[world.expert1.pk]["opinion"] == "revise"
    assert [r["text"] for r in first[world.expert1.pk]["recommendations"]] == [
        "Максаттарды тактоо",
        "Мөөнөттөрдү көрсөтүү",
    ]

    step("4. Experts 2 and 3 review; expert 2 then sees expert 1's opinion")
    for client, opinion, recs in [
        (experts[1], "approve_with_changes", ["Тиркемени кошуу"]),
        (experts[2], "approve", []),
    ]:
        task = the_task(client, "review")
        response = client.post_json(
            f"{API}/tasks/{task['id']}/review", {"opinion": opinion, "recommendations": recs}
        )
        assert response.status_code == 200, response.content
    # Now that expert 2 has given theirs, they see expert 1's.
    seen_by_expert2 = experts[1].get(f"{API}/documents/{doc_id}").json()
    assert seen_by_expert2["rounds"][0]["hidden"] is False
    first = {r["expert"]["id"]: r for r in seen_by_expert2["rounds"][0]["reviews"]}
    assert first[world.expert1.pk]["opinion"] == "revise"

    step("5. The chair decides: a rejection needs a reason; the document goes to revision")
    decide = the_task(chair, "decide")
    rejected = chair.post_json(f"{API}/tasks/{decide['id']}/decide", {"decision": "reject"})
    assert rejected.status_code == 422
    assert rejected.json()["errors"]["reason"] == ["Give the reason for the rejection."]
    response = chair.post_json(
        f"{API}/tasks/{decide['id']}/decide",
        {"decision": "revise", "reason": "Сунуштарды эске алыңыз"},
    )
    assert response.json()["document"]["stage"] == "revision"

    # Revision: a new file, every recommendation answered, the new version submitted.
    step("6. Revision: a new file, every recommendation answered, version 2 submitted")
    revise = the_task(author, "revise")
    detail = author.get(f"{API}/tasks/{revise['id']}").json()
    recs = detail["open_recommendations"]
    assert len(recs) == 3
    response = author.post(
        f"{API}/documents/{doc_id}",
        {
            "doc_type": "work_plan",
            "title": "ИМКнын иш планы 2026–2027 (2-версия)",
            "academic_year": world.year.pk,
            "methodical_association": world.association.pk,
            "description": "Сунуштар эске алынды",
            "upload": docx_upload(),
        },
    )
    assert response.status_code == 200, response.content
    missing = author.post_json(
        f"{API}/tasks/{revise['id']}/resubmit",
        {"answers": [{"recommendation": recs[0]["id"], "answer": "accepted"}]},
    )
    assert missing.status_code == 422
    assert "Answer every recommendation" in missing.json()["detail"]
    declined_without_reason = author.post_json(
        f"{API}/tasks/{revise['id']}/resubmit",
        {"answers": [{"recommendation": recs[0]["id"], "answer": "declined"}]},
    )
    assert declined_without_reason.status_code == 422
    answers = [{"recommendation": r["id"], "answer": "accepted"} for r in recs[:2]]
    answers.append({"recommendation": recs[2]["id"], "answer": "declined", "reason": "Тиркеме бар"})
    response = author.post_json(f"{API}/tasks/{revise['id']}/resubmit", {"answers": answers})
    assert response.status_code == 200, response.content
    assert response.json()["document"]["version_count"] == 2

    # Round 2 with the same experts (preselected), who approve; the chair recommends.
    step("7. Round 2 with the same experts, who approve; the chair recommends")
    screen = the_task(chair, "screen")
    detail = chair.get(f"{API}/tasks/{screen['id']}").json()
    assert sorted(detail["previous_experts"]) == sorted(e.pk for e in world.experts)
    chair.post_json(
        f"{API}/tasks/{screen['id']}/screen",
        {"action": "accept", "experts": detail["previous_experts"], "due_date": due},
    )
    for client in experts:
        task = the_task(client, "review")
        assert (
            client.post_json(f"{API}/tasks/{task['id']}/review", {"opinion": "approve"}).status_code
            == 200
        )
    decide = the_task(chair, "decide")
    chair.post_json(f"{API}/tasks/{decide['id']}/decide", {"decision": "recommend"})

    step("8. The author reads the recommended document: versions, rounds, answers, file")
    detail = author.get(f"{API}/documents/{doc_id}").json()
    assert detail["stage"] == "recommended"
    assert [v["number"] for v in detail["versions"]] == [2, 1]
    assert [r["number"] for r in detail["rounds"]] == [2, 1]
    answered = {
        r["text"]: r for rv in detail["rounds"][1]["reviews"] for r in rv["recommendations"]
    }
    assert answered["Тиркемени кошуу"]["answer"] == "declined"
    assert answered["Тиркемени кошуу"]["answer_reason"] == "Тиркеме бар"
    assert answered["Максаттарды тактоо"]["answered_in_version"] == 2
    assert [e["kind"] for e in detail["timeline"]][:3] == [
        "created",
        "submitted",
        "experts_assigned",
    ]
    file = author.get(detail["versions"][1]["file_url"])
    assert file.status_code == 200 and file["Content-Type"] == "application/pdf"

    # The council's session: scheduled and written on the pages (the API reads them);
    # the protocol is confirmed through the API by the chair and the secretary.
    step("9. The council's session and its protocol, confirmed through the API")
    chair_page = world.client(world.chair)
    chair_page.post(
        "/council/sessions/new/",
        {
            "date": (world.year.starts_on + datetime.timedelta(days=20)).isoformat(),
            "place": "Китепкана",
            "documents": [doc_id],
            "free_items": "Катчыны шайлоо",
        },
    )
    session = Session.objects.get(council=world.council)
    members = [world.chair, world.expert1, world.expert2, world.expert3]
    world.client(world.secretary).post(
        f"/council/sessions/{session.pk}/protocol/",
        protocol_post(
            session,
            members,
            {1: ("recommend_approval", (4, 0, 0)), 2: ("other", (4, 0, 0))},
            secretary=world.secretary,
        ),
    )
    sessions = chair.get(f"{API}/council/sessions").json()
    assert [s["id"] for s in sessions["items"]] == [session.pk]
    seen = chair.get(f"{API}/council/sessions/{session.pk}").json()
    assert seen["items"][0]["document_id"] == doc_id
    assert seen["items"][0]["decision"] == "recommend_approval"
    assert sum(a["present"] for a in seen["attendance"]) == 4
    assert (
        ApiClient(world.author)
        .post(f"{API}/council/sessions/{session.pk}/confirm-protocol")
        .status_code
        == 403
    )
    response = chair.post(f"{API}/council/sessions/{session.pk}/confirm-protocol")
    assert response.status_code == 200 and response.json()["protocol"]["number"] is None
    response = ApiClient(world.secretary).post(
        f"{API}/council/sessions/{session.pk}/confirm-protocol"
    )
    assert response.json()["protocol"]["number"] == 1
    from council.tasks import render_protocol

    render_protocol(session.protocol.pk)  # the worker's job after the commit
    pdf = chair.get(f"{API}/council/sessions/{session.pk}/protocol.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert (
        ApiClient(world.outsider)
        .get(f"{API}/council/sessions/{session.pk}/protocol.pdf")
        .status_code
        == 404
    )

    # The pedagogical council ("Каралды") and the director ("Бекитем").
    step("10. The pedagogical council considers it and the director approves")
    pedagogical = the_task(chair, "pedagogical")
    future = chair.post_json(
        f"{API}/tasks/{pedagogical['id']}/pedagogical",
        {
            "outcome": "considered",
            "protocol_number": "3",
            "considered_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        },
    )
    assert future.status_code == 422
    assert future.json()["detail"] == "The date cannot be in the future."
    chair.post_json(
        f"{API}/tasks/{pedagogical['id']}/pedagogical",
        {
            "outcome": "considered",
            "protocol_number": "3",
            "considered_on": timezone.localdate().isoformat(),
        },
    )
    director = ApiClient(world.director)
    approve = the_task(director, "approve")
    response = director.post_json(f"{API}/tasks/{approve['id']}/approve", {"outcome": "approve"})
    assert response.status_code == 200
    assert response.json()["message"] == "The document is approved and registered."

    document = Document.objects.get(pk=doc_id)
    assert document.stage == Stage.APPROVED and document.registry_number
    assert document.pedagogical_protocol_number == "3"
    assert DocumentVersion.objects.filter(document=document).count() == 2
    assert Recommendation.objects.filter(review__round__document=document).count() == 3
    assert author.get(f"{API}/tasks").json()["count"] == 0


def test_messages_come_in_the_callers_language(world):
    world.chair.language = "ru"
    world.chair.save(update_fields=["language"])
    client = ApiClient(world.chair)
    response = client.get(f"{API}/tasks/999999")
    assert response.status_code == 404
    assert response.json() == {"type": "about:blank", "title": "Не найдено", "status": 404}
    assert response["Content-Language"] == "ru"
    assert client.get(f"{API}/me")["Content-Language"] == "ru"
    world.author.language = "ky"
    world.author.save(update_fields=["language"])
    author = ApiClient(world.author)
    response = author.post(f"{API}/documents", {"doc_type": "lesson_plan", "academic_year": 0})
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Маалыматтар туура эмес."
    assert body["errors"]["title"]
    assert Document.objects.count() == 0


def test_the_inbox_says_for_whom_a_substitute_acts(world):
    from accounts.models import Absence
    from tests.helpers import create_and_submit

    today = timezone.localdate()
    Absence.objects.create(
        user=world.expert1,
        substitute=world.expert3,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=10),
    )
    document = create_and_submit(world)
    chair = ApiClient(world.chair)
    screen = the_task(chair, "screen")
    due = (today + datetime.timedelta(days=5)).isoformat()
    chair.post_json(
        f"{API}/tasks/{screen['id']}/screen",
        {"action": "accept", "experts": [world.expert1.pk], "due_date": due},
    )
    substitute = ApiClient(world.expert3)
    task = the_task(substitute, "review")
    assert task["acting_for"]["id"] == world.expert1.pk
    assert task["document"]["id"] == document.pk and task["due_date"] == due
    assert ApiClient(world.expert1).get(f"{API}/tasks").json()["count"] == 0
    response = substitute.post_json(f"{API}/tasks/{task['id']}/review", {"opinion": "approve"})
    assert response.status_code == 200
    review = document.rounds.get().reviews.get()
    assert review.expert == world.expert1 and review.acting_expert == world.expert3


def test_it_gives_the_author_the_reason_of_a_return_for_formal_fixes(world):
    from tests.helpers import create_and_submit

    create_and_submit(world)
    chair = ApiClient(world.chair)
    screen = the_task(chair, "screen")
    response = chair.post_json(
        f"{API}/tasks/{screen['id']}/screen",
        {"action": "return", "reason": "Титулдук баракты кошуңуз."},
    )
    assert response.status_code == 200, response.content
    author = ApiClient(world.author)
    fix = the_task(author, "fix")
    detail = author.get(f"{API}/tasks/{fix['id']}").json()
    assert detail["return_reason"] == "Титулдук баракты кошуңуз."
    assert detail["open_recommendations"] == []
