"""Council pages: the year's council, sessions, their protocols, compliance, the annual
report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from viewflow.workflow.exceptions import FlowLockFailed

from accounts.models import User
from documents.downloads import attachment_response

from . import selectors, services
from .forms import AttendanceForm, ItemForm, PresentedForm, ReportForm, SecretaryForm, SessionForm
from .models import AnnualReport, Council, Session


def _council(request: HttpRequest) -> Council:
    council = selectors.council_of_user(request.user, year_id=request.GET.get("year"))
    if council is None:
        raise Http404
    if not selectors.can_view_council(request.user, council):
        raise PermissionDenied
    return council


def _session(request: HttpRequest, pk: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related(
            "council__school",
            "council__academic_year",
            "council__chair",
            "council__secretary",
            "protocol",
            "secretary_elected",
        ),
        pk=pk,
        council__school_id=request.user.school_id,
    )
    if not selectors.can_view_council(request.user, session.council):
        raise PermissionDenied
    return session


def _errors(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    for message in getattr(error, "messages", None) or [str(error)]:
        messages.error(request, message)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    council = _council(request)
    return render(
        request,
        "council/overview.html",
        {
            "council": council,
            "years": selectors.councils_of_school(request.user.school_id),
            "members": selectors.members(council),
            "sessions": selectors.sessions(council),
            "is_chair": services.is_chair(council, request.user),
            "report": AnnualReport.objects.filter(council=council).first(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    council = _council(request)
    if not services.is_chair(council, request.user):
        raise PermissionDenied
    awaiting = services.documents_awaiting_council(council)
    form = SessionForm(request.POST or None, documents=awaiting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_schedule(
                council=council,
                actor=request.user,
                date=data["date"],
                time=data["time"],
                place=data["place"],
                is_year_end=data["is_year_end"],
                documents=list(data["documents"]),
                free_items=(data["free_items"] or "").splitlines(),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The session is scheduled."))
            return redirect("council:session", pk=session.pk)
    return render(request, "council/session_form.html", {"form": form, "council": council})


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    council = session.council
    present, total, reached = services.quorum(session)
    protocol = session.protocol
    return render(
        request,
        "council/session_detail.html",
        {
            "session": session,
            "council": council,
            "protocol": protocol,
            "items": list(session.items.select_related("document").order_by("position")),
            "attendance": list(
                session.attendance.select_related("user").order_by("user__last_name")
            ),
            "present": present,
            "total": total,
            "quorum": reached,
            "problems": [] if protocol.is_confirmed else services.protocol_problems(session),
            "can_write": services.can_write_protocol(council, request.user)
            and not protocol.is_confirmed,
            # The button goes once this person's own signature is on the protocol.
            "can_sign": not protocol.is_confirmed
            and (
                (request.user.pk == council.chair_id and not protocol.chair_confirmed_at)
                or (request.user.pk == council.secretary_id and not protocol.secretary_confirmed_at)
            ),
            "is_chair": services.is_chair(council, request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def protocol_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary's page: attendance, the secretary's election (first session) and,
    per agenda item, what was heard, who spoke, the decision and the votes."""
    session = _session(request, pk)
    council = session.council
    if not services.can_write_protocol(council, request.user) or session.protocol.is_confirmed:
        raise PermissionDenied
    member_users = User.objects.filter(council_memberships__council=council).order_by("last_name")
    items = list(session.items.select_related("document").order_by("position"))
    data = request.POST or None
    attendance_form = AttendanceForm(
        data,
        members=member_users,
        initial={"present": [a.user_id for a in session.attendance.filter(present=True)]},
        prefix="att",
    )
    secretary_form = (
        SecretaryForm(
            data,
            members=member_users,
            prefix="sec",
            initial={"secretary": session.secretary_elected_id or council.secretary_id},
        )
        if session.is_first
        else None
    )
    item_forms = [ItemForm(data, instance=item, prefix=f"item-{item.pk}") for item in items]
    if request.method == "POST":
        forms_valid = attendance_form.is_valid() and all(f.is_valid() for f in item_forms)
        if secretary_form is not None:
            forms_valid = secretary_form.is_valid() and forms_valid
        if forms_valid:
            try:
                with transaction.atomic():
                    services.attendance_record(
                        session=session,
                        actor=request.user,
                        present_user_ids=[u.pk for u in attendance_form.cleaned_data["present"]],
                    )
                    for form, item in zip(item_forms, items, strict=True):
                        d = form.cleaned_data
                        services.item_record(
                            item=item,
                            actor=request.user,
                            record=services.ItemRecord(
                                heard=d["heard"],
                                speakers=d["speakers"],
                                resolution=d["resolution"],
                                decision=d["decision"],
                                votes_for=d["votes_for"],
                                votes_against=d["votes_against"],
                                votes_abstained=d["votes_abstained"],
                            ),
                        )
                    # Last: once elected, the secretary (not the chair) writes the protocol.
                    if secretary_form is not None:
                        services.secretary_elect(
                            session=session,
                            actor=request.user,
                            secretary=secretary_form.cleaned_data["secretary"],
                        )
            except (ValidationError, PermissionDenied) as error:
                _errors(request, error)
            else:
                messages.success(request, _("The protocol has been saved."))
                return redirect("council:session", pk=session.pk)
    return render(
        request,
        "council/protocol_form.html",
        {
            "session": session,
            "attendance_form": attendance_form,
            "secretary_form": secretary_form,
            "item_forms": list(zip(items, item_forms, strict=True)),
        },
    )


@login_required
@require_POST
def protocol_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(
        Session.objects.select_related("council"), pk=pk, council__school_id=request.user.school_id
    )
    council = session.council
    if not selectors.can_view_council(request.user, council) or request.user.pk not in (
        council.chair_id,
        council.secretary_id,
    ):
        raise PermissionDenied
    try:
        protocol = services.protocol_confirm(session=session, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error))
    except FlowLockFailed:
        # The confirmation moves the agenda's documents on (council.signals); one of them
        # is being worked on right now, so nothing was confirmed.
        messages.warning(request, _("A document of this session is being worked on. Try again."))
    else:
        if protocol.is_confirmed:
            messages.success(
                request,
                _("Protocol №%(number)s is confirmed. The documents move on.")
                % {"number": protocol.number},
            )
        else:
            messages.success(
                request, _("Your confirmation is recorded; the other signature is awaited.")
            )
    return redirect("council:session", pk=session.pk)


@login_required
@require_POST
def session_close(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    if not services.is_chair(session.council, request.user):
        raise PermissionDenied
    try:
        services.session_close(session=session, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        _errors(request, error)
    else:
        messages.success(request, _("The session is closed."))
    return redirect("council:session", pk=session.pk)


@login_required
def protocol_file(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    session = _session(request, pk)
    protocol = session.protocol
    if fmt == "pdf":
        return attachment_response(protocol.pdf, f"protocol-{protocol.number}.pdf", "pdf")
    if fmt != "docx":
        raise Http404
    return attachment_response(protocol.docx, f"protocol-{protocol.number}.docx", "docx")


@login_required
def compliance(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    council = _council(request)
    today = timezone.localdate()
    return render(
        request,
        "council/compliance.html",
        {
            "council": council,
            "years": selectors.councils_of_school(request.user.school_id),
            "facts": selectors.compliance(council),
            "steps": [
                {
                    "task": step,
                    "url": services.council_task_url(step),
                    "mine": step.assignee_id == request.user.pk,
                    "late": step.due_date < today,
                }
                for step in selectors.open_council_steps(council)
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    council = _council(request)
    existing = AnnualReport.objects.filter(council=council).first()
    is_chair = services.is_chair(council, request.user)
    form = ReportForm(
        request.POST if "prepare" in request.POST else None,
        initial={"directions": existing.directions if existing else ""},
    )
    presented = PresentedForm(request.POST if "presented" in request.POST else None)
    if request.method == "POST":
        if not is_chair:
            raise PermissionDenied
        try:
            if "prepare" in request.POST and form.is_valid():
                services.annual_report_prepare(
                    council=council, actor=request.user, directions=form.cleaned_data["directions"]
                )
                messages.success(request, _("The annual report is being prepared."))
                return redirect(request.get_full_path())
            if "presented" in request.POST and existing and presented.is_valid():
                services.annual_report_presented(
                    report=existing,
                    actor=request.user,
                    presented_on=presented.cleaned_data["presented_on"],
                    protocol_number=presented.cleaned_data["protocol_number"],
                )
                messages.success(request, _("Recorded."))
                return redirect(request.get_full_path())
        except ValidationError as error:
            _errors(request, error)
    from .selectors import year_figures

    return render(
        request,
        "council/report.html",
        {
            "council": council,
            "report": existing,
            "form": form,
            "presented_form": presented,
            "is_chair": is_chair,
            "figures": year_figures(council),
        },
    )


@login_required
def report_file(request: HttpRequest) -> FileResponse:
    council = _council(request)
    report = get_object_or_404(AnnualReport, council=council)
    return attachment_response(report.pdf, f"annual-report-{council.academic_year}.pdf", "pdf")
