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


def review(rv: Review) -> dict[str, Any]:
    return {
        "id": rv.pk,
        "expert": user_ref(rv.expert),
        "acting_expert": user_ref(rv.acting_expert),
        "submitted": rv.submitted_at is not None,
        "submitted_at": rv.submitted_at,
        "due_date": rv.effective_due_date,
        "opinion": rv.opinion,
        "opinion_label": str(rv.get_opinion_display()) if rv.opinion else "",
        "comment": rv.comment,
        "recommendations": [recommendation(r) for r in rv.recommendations.all()],
    }


def rounds(items: list[ExpertiseRound]) -> list[dict[str, Any]]:
    """Rounds from flows.selectors.rounds_for: only the reviews the reader may see."""
    return [
        {
            "number": r.number,
            "version_number": r.version.number,
            "due_date": r.due_date,
            "assigned_at": r.assigned_at,
            "hidden": r.hidden,
            "awaits_my_review": r.awaits_my_review,
            "decision": r.decision,
            "decision_label": str(r.get_decision_display()) if r.decision else "",
            "decision_reason": r.decision_reason,
            "decided_by": user_ref(r.decided_by),
            "decided_at": r.decided_at,
            "reviews": [review(rv) for rv in r.reviews.all()],
        }
        for r in items
    ]


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
