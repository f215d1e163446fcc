"""Rows to API output. Every function here reads only what the selectors fetched (no
query per row), except where a docstring says how many queries it adds per page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from documents.models import (
    Document,
    DocumentEvent,
    EventKind,
    ExpertiseRound,
    Recommendation,
    Review,
)


def user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "full_name": str(user)}


def document_summary(d: Document) -> dict[str, Any]:
    association = d.methodical_association
    return {
        "id": d.pk,
        "title": d.title,
        "doc_type": d.doc_type,
        "doc_type_label": str(d.get_doc_type_display()),
        "academic_year": {"id": d.academic_year_id, "name": str(d.academic_year)},
        "methodical_association": (
            {"id": association.pk, "name": association.name} if association else None
        ),
        "author": user_ref(d.author),
        "stage": d.stage,
        "stage_label": str(d.get_stage_display()),
        "version_count": d.version_count,
        "registry_number": d.registry_number,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def recommendation(r: Recommendation) -> dict[str, Any]:
    return {
        "id": r.pk,
        "number": r.number,
        "text": r.text,
        "answer": r.answer,
        "answer_reason": r.answer_reason,
        "answered_in_version": r.answered_in.number if r.answered_in_id else None,
    }


def blind_rounds(
    rounds: list[ExpertiseRound], viewer: User, *, is_chair: bool, own_review_ids: set[int]
) -> set[int]:
    """The rounds whose other opinions the viewer may not see yet: those in which they
    have an open review (their own, or one they hold as a substitute). The chair sees
    every opinion; earlier rounds, and a round after the viewer's own review, are open."""
    if is_chair:
        return set()
    blind = set()
    for r in rounds:
        for review in r.reviews.all():
            mine = review.pk in own_review_ids or review.expert_id == viewer.pk
            if mine and review.submitted_at is None and review.replaced_by_id is None:
                blind.add(r.pk)
    return blind


def review(rv: Review, *, hidden: bool) -> dict[str, Any]:
    return {
        "id": rv.pk,
        "expert": user_ref(rv.expert),
        "acting_expert": user_ref(rv.acting_expert),
        "submitted": rv.submitted_at is not None,
        "submitted_at": rv.submitted_at if not hidden else None,
        "due_date": rv.effective_due_date,
        "hidden": hidden,
        "opinion": "" if hidden else rv.opinion,
        "opinion_label": "" if hidden or not rv.opinion else str(rv.get_opinion_display()),
        "comment": "" if hidden else rv.comment,
        "recommendations": [] if hidden else [recommendation(r) for r in rv.recommendations.all()],
    }


def rounds(
    items: list[ExpertiseRound], viewer: User, *, is_chair: bool, own_review_ids: set[int]
) -> list[dict[str, Any]]:
    blind = blind_rounds(items, viewer, is_chair=is_chair, own_review_ids=own_review_ids)
    out = []
    for r in items:
        out.append(
            {
                "number": r.number,
                "version_number": r.version.number,
                "due_date": r.due_date,
                "assigned_at": r.assigned_at,
                "decision": r.decision,
                "decision_label": str(r.get_decision_display()) if r.decision else "",
                "decision_reason": r.decision_reason,
                "decided_by": user_ref(r.decided_by),
                "decided_at": r.decided_at,
                "reviews": [
                    review(
                        rv,
                        hidden=r.pk in blind
                        and rv.pk not in own_review_ids
                        and rv.expert_id != viewer.pk,
                    )
                    for rv in r.reviews.all()
                ],
            }
        )
    return out


def event(e: DocumentEvent, *, hide_opinion: bool = False) -> dict[str, Any]:
    if hide_opinion and e.kind == EventKind.REVIEWED:
        return {**event(e), "note": ""}
    return {
        "kind": e.kind,
        "text": str(e.get_kind_display()),
        "actor": user_ref(e.actor),
        "version_number": e.version_number,
        "round_number": e.round_number,
        "note": e.display_note,
        "created_at": e.created_at,
    }


def version_url(document_id: int, number: int) -> str:
    return reverse("api-1:version_file", kwargs={"document_id": document_id, "number": number})


def task_title(task: Any) -> str:
    return str(task.flow_task.task_title or _("Task"))
