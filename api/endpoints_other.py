"""Who I am, my notifications, the council's sessions and protocols, the dashboard."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field

from accounts.models import School
from council.models import Session
from council.selectors import can_view_council, council_of_user
from documents.downloads import attachment_response
from notifications.models import Notification
from notifications.rendering import subject_of
from notifications.services import mark_read
from reports import selectors as reports

from . import present
from .pagination import MAX_PAGE_SIZE, ObjectId, paginate
from .problems import ERRORS, Problem
from .schemas import (
    Choices,
    Dashboard,
    Marked,
    Me,
    NotificationPage,
    SessionDetail,
    SessionOut,
    SessionPage,
)

router = Router()
ID = Field(None, ge=1, le=2**31 - 1)


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


@router.get("/me", response={200: Me, ERRORS: Problem}, tags=["me"], url_name="me")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    school, district, association = user.school, user.district, user.methodical_association
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": str(user),
        "short_name": user.get_short_name(),
        "email": user.email,
        "position": user.position,
        "language": user.language,
        "school": {"id": school.pk, "name": str(school)} if school else None,
        "district": {"id": district.pk, "name": str(district)} if district else None,
        "methodical_association": (
            {"id": association.pk, "name": association.name} if association else None
        ),
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "can_create_documents": user.school_id is not None
        and user.has_perm("documents.add_document"),
        "can_view_school_documents": user.has_perm("documents.view_school_documents"),
        "can_view_dashboard": user.has_perm("reports.view_dashboard"),
    }


@router.get("/choices", response={200: Choices, ERRORS: Problem}, tags=["me"], url_name="choices")
def choices(request: HttpRequest) -> dict[str, Any]:
    """The academic years, the caller's school's methodical associations, and the codes of
    document types, stages, opinions and decisions, with their labels."""
    from accounts.models import AcademicYear, MethodicalAssociation
    from documents.models import DocumentType, ExpertiseRound, Opinion

    current = AcademicYear.current()
    return {
        "academic_years": [
            {"id": y.pk, "name": str(y), "current": current is not None and y.pk == current.pk}
            for y in AcademicYear.objects.order_by("-starts_on")
        ],
        "methodical_associations": [
            {"id": a.pk, "name": a.name}
            for a in MethodicalAssociation.objects.filter(
                school_id=request.user.school_id
            ).order_by("name", "pk")
        ],
        "doc_types": [{"value": v, "label": str(label)} for v, label in DocumentType.choices],
        "stages": [
            {"value": key, "label": str(label)} for key, label, _stages in reports.STAGE_GROUPS
        ],
        "opinions": [{"value": v, "label": str(label)} for v, label in Opinion.choices],
        "decisions": [
            {"value": v, "label": str(label)} for v, label in ExpertiseRound.Decision.choices
        ],
    }


# ------------------------------------------------------------------------ notifications


class NotificationQuery(PageQuery):
    unread: bool = False


@router.get(
    "/notifications",
    response={200: NotificationPage, ERRORS: Problem},
    tags=["notifications"],
    url_name="notifications",
)
def notifications(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    """The caller's notifications, newest first, each subject in the caller's language."""
    rows = Notification.objects.filter(recipient=request.user).select_related("recipient")
    if query.unread:
        rows = rows.filter(read_at__isnull=True)
    return paginate(
        rows.order_by("-created_at", "-pk"),
        page=query.page,
        page_size=query.page_size,
        present=lambda items: [
            {
                "id": n.pk,
                "kind": n.kind,
                "subject": subject_of(n),
                "url": n.url,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in items
        ],
    )


@router.post(
    "/notifications/{notification_id}/read",
    response={200: Marked, ERRORS: Problem},
    tags=["notifications"],
    url_name="notification_read",
)
def notification_read(request: HttpRequest, notification_id: ObjectId) -> dict[str, int]:
    """Mark one of the caller's notifications read (someone else's: 404)."""
    get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    return {"marked": mark_read(user=request.user, notification_id=notification_id)}


@router.post(
    "/notifications/read-all",
    response={200: Marked, ERRORS: Problem},
    tags=["notifications"],
    url_name="notifications_read_all",
)
def notifications_read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": mark_read(user=request.user)}


# ------------------------------------------------------------------------------ council


def _session_row(s: Session) -> dict[str, Any]:
    protocol = getattr(s, "protocol", None)
    return {
        "id": s.pk,
        "date": s.date,
        "time": s.time.strftime("%H:%M") if s.time else None,
        "place": s.place,
        "quarter": s.quarter,
        "is_first": s.is_first,
        "is_year_end": s.is_year_end,
        "status": s.status,
        "status_label": str(s.get_status_display()),
        "protocol": (
            {
                "number": protocol.number,
                "chair_confirmed_at": protocol.chair_confirmed_at,
                "secretary_confirmed_at": protocol.secretary_confirmed_at,
                "confirmed_at": protocol.confirmed_at,
            }
            if protocol
            else None
        ),
    }


class SessionQuery(PageQuery):
    year: int | None = ID


@router.get(
    "/council/sessions",
    response={200: SessionPage, ERRORS: Problem},
    tags=["council"],
    url_name="sessions",
)
def sessions(request: HttpRequest, query: Query[SessionQuery]) -> dict[str, Any]:
    """The sessions of the caller's council (the current academic year, or `year`), in
    date order, with their protocols' state."""
    council = council_of_user(request.user, year_id=str(query.year) if query.year else None)
    if council is None:
        raise Http404
    if not can_view_council(request.user, council):
        raise PermissionDenied
    return paginate(
        Session.objects.filter(council=council).select_related("protocol").order_by("date", "pk"),
        page=query.page,
        page_size=query.page_size,
        present=lambda items: [_session_row(s) for s in items],
    )


def _visible_session(request: HttpRequest, session_id: ObjectId) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("council__academic_year", "protocol"),
        pk=session_id,
        council__school_id=request.user.school_id,
    )
    if not can_view_council(request.user, session.council):
        raise PermissionDenied
    return session


@router.get(
    "/council/sessions/{session_id}",
    response={200: SessionDetail, ERRORS: Problem},
    tags=["council"],
    url_name="session",
)
def session_detail(request: HttpRequest, session_id: ObjectId) -> dict[str, Any]:
    """A session with its agenda, the protocol's record of each item, and attendance."""
    session = _visible_session(request, session_id)
    data = _session_row(session)
    year = session.council.academic_year
    data["academic_year"] = {"id": year.pk, "name": str(year)}
    data["items"] = [
        {
            "position": item.position,
            "title": item.title,
            "document_id": item.document_id,
            "heard": item.heard,
            "speakers": item.speakers,
            "resolution": item.resolution,
            "decision": item.decision,
            "decision_label": str(item.get_decision_display()) if item.decision else "",
            "votes_for": item.votes_for,
            "votes_against": item.votes_against,
            "votes_abstained": item.votes_abstained,
        }
        for item in session.items.order_by("position", "pk")
    ]
    data["attendance"] = [
        {"user": present.user_ref(a.user), "present": a.present}
        for a in session.attendance.select_related("user").order_by("user__last_name", "pk")
    ]
    return data


@router.post(
    "/council/sessions/{session_id}/confirm-protocol",
    response={200: SessionOut, ERRORS: Problem},
    tags=["council"],
    url_name="protocol_confirm",
)
def protocol_confirm(request: HttpRequest, session_id: ObjectId) -> dict[str, Any]:
    """The chair's or the secretary's confirmation of the protocol. With the second one the
    protocol is numbered and each document on the agenda moves on by the council's
    decision (under each document's flow lock, like the page)."""
    from council.services import protocol_confirm as confirm

    session = _visible_session(request, session_id)
    council = session.council
    if request.user.pk not in (council.chair_id, council.secretary_id):
        raise PermissionDenied
    confirm(session=session, actor=request.user)
    return _session_row(Session.objects.select_related("protocol").get(pk=session.pk))


PROTOCOL_FILE = {
    200: {
        "description": "The confirmed protocol's PDF, as an attachment.",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/council/sessions/{session_id}/protocol.pdf",
    response={ERRORS: Problem},
    tags=["council"],
    url_name="protocol_pdf",
    openapi_extra={"responses": PROTOCOL_FILE},
)
def protocol_pdf(request: HttpRequest, session_id: ObjectId) -> FileResponse:
    """The protocol's PDF, once confirmed and rendered (404 before)."""
    session = _visible_session(request, session_id)
    protocol = session.protocol
    return attachment_response(protocol.pdf, f"protocol-{protocol.number}.pdf", "pdf")


# ---------------------------------------------------------------------------- dashboard


class DashboardQuery(Schema):
    school: int | None = ID
    year: int | None = ID


@router.get(
    "/dashboard",
    response={200: Dashboard, ERRORS: Problem},
    tags=["dashboard"],
    url_name="dashboard",
)
def dashboard(request: HttpRequest, query: Query[DashboardQuery]) -> dict[str, Any]:
    """The dashboard's figures of a school (the caller's own, or `school` for a district
    administrator) and academic year (the current one, or `year`)."""
    school_id = query.school or request.user.school_id
    if school_id is None:
        raise Http404
    school = get_object_or_404(School.objects.select_related("district"), pk=school_id)
    if not reports.can_view_school(request.user, school):
        if request.user.school_id == school.pk:
            raise PermissionDenied
        raise Http404
    year = reports.year_choice(str(query.year) if query.year else None)
    if year is None:
        raise Http404
    data = reports.school_dashboard(school=school, academic_year=year)
    return {
        "school": {"id": school.pk, "name": str(school)},
        "academic_year": {"id": year.pk, "name": str(year)},
        "total": data.total,
        "by_stage": [
            {"stage": key, "label": str(label), "count": n} for key, label, n in data.by_stage
        ],
        "stage_groups": [key for key, _label, _stages in reports.STAGE_GROUPS],
        "by_type": [
            {"label": str(b.label), "counts": b.counts, "total": b.total} for b in data.by_type
        ],
        "by_association": [
            {"label": str(b.label), "counts": b.counts, "total": b.total}
            for b in data.by_association
        ],
        "stage_times": [
            {
                "step": t.node,
                "title": str(t.title),
                "finished": t.finished,
                "median_seconds": t.median,
                "p90_seconds": t.p90,
            }
            for t in data.stage_times
        ],
        "experts": [
            {
                "expert": present.user_ref(e.expert),
                "open": e.open,
                "done": e.done,
                "median_seconds": e.median,
            }
            for e in data.experts
        ],
        "overdue": [
            {
                "task_id": r.task.pk,
                "document_id": r.document.pk,
                "document_title": r.document.title,
                "step": r.node,
                "title": str(r.title),
                "owner": present.user_ref(r.owner),
                "since": r.since,
                "days_late": r.days_late,
            }
            for r in data.overdue
        ],
        "overdue_after_days": data.overdue_after_days,
    }
