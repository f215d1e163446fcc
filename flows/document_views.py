"""Document pages that belong to the workflow: create/edit with "submit", the detail page
with the process chart and the user's open task."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from common.params import parse_id
from documents import selectors, services
from documents.form_tokens import document_for_token, new_token, remember_token
from documents.forms import DocumentForm
from documents.models import Document, Stage
from documents.views import own_document

from .chart import process_chart_svg, stage_steps
from .models import ExpertiseProcess
from .selectors import open_task_for, rounds_for, timeline_for
from .services import document_create_and_submit, document_submit


def _submit(request: HttpRequest, document: Document) -> bool:
    try:
        document_submit(document=document, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    messages.success(
        request,
        _("The document was submitted for expertise (version %(n)s).")
        % {"n": Document.objects.values_list("version_count", flat=True).get(pk=document.pk)},
    )
    return True


@login_required
@permission_required("documents.add_document", raise_exception=True)
@require_http_methods(["GET", "POST"])
def document_create(request: HttpRequest) -> HttpResponse:
    if request.user.school_id is None:
        raise PermissionDenied
    form = DocumentForm(request.POST or None, request.FILES or None, user=request.user)
    token = request.POST.get("form_token", "")[:64] if request.method == "POST" else new_token()
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        refusal = None
        try:
            with transaction.atomic():
                # One person's submissions of one form run one after the other (a double
                # click), so the second sees the token the first stored.
                list(User.objects.select_for_update().filter(pk=request.user.pk).values("pk"))
                done = document_for_token(request, token)
                if done is None:
                    if submit:
                        document, refusal = document_create_and_submit(
                            author=request.user, **form.service_kwargs()
                        )
                    else:
                        document = services.document_create(
                            author=request.user, **form.service_kwargs()
                        )
                    remember_token(request, token, document.pk)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if done is not None:
                # The same form again (Back and Save): it edits what it made, never a copy.
                return document_edit(request, done)
            messages.success(request, _("The draft has been saved."))
            if refusal is not None:
                for message in refusal.messages:
                    messages.error(request, message)
            elif submit:
                messages.success(
                    request,
                    _("The document was submitted for expertise (version %(n)s).") % {"n": 1},
                )
            return redirect("documents:detail", pk=document.pk)
    return render(
        request,
        "documents/document_form.html",
        {"form": form, "document": None, "form_token": token},
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    document = own_document(request, pk)
    if document.stage != Stage.DRAFT:
        task = open_task_for(request.user, document.pk)
        if task is not None:
            return redirect("flows:task", task_pk=task.pk)
        messages.info(request, _("This document is in expertise and cannot be edited now."))
        return redirect("documents:detail", pk=document.pk)
    form = DocumentForm(
        request.POST or None, request.FILES or None, instance=document, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(document=document, actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The draft has been saved."))
            if "submit" in request.POST:
                _submit(request, document)
            return redirect("documents:detail", pk=document.pk)
    return render(request, "documents/document_form.html", {"form": form, "document": document})


@login_required
@require_POST
def document_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = own_document(request, pk)
    _submit(request, document)
    return redirect("documents:detail", pk=document.pk)


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(
        selectors.documents_visible_to(request.user).select_related(
            "author", "academic_year", "methodical_association", "school", "approved_by"
        ),
        pk=pk,
    )
    process = ExpertiseProcess.objects.filter(document=document).first()
    rounds = rounds_for(request.user, document)
    context = {
        "document": document,
        "versions": selectors.document_versions(document),
        "rounds": rounds,
        "events": timeline_for(request.user, document, rounds),
        "process": process,
        "chart": process_chart_svg(process) if process else "",
        "steps": stage_steps(document),
        "my_task": open_task_for(request.user, document.pk),
        "chair_tools": _chair_tools(request, document),
        "is_author": document.author_id == request.user.pk,
    }
    return render(request, "documents/document_detail.html", context)


def _open_review(request: HttpRequest, pk: int, review_pk: int):
    from documents.models import Review

    document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
    review = get_object_or_404(
        Review.objects.select_related("round__document", "round__version", "expert"),
        pk=review_pk,
        round__document=document,
    )
    if _chair_tools(request, document) is None:
        raise PermissionDenied
    return document, review


@login_required
@require_POST
def review_extend(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    from accounts.dates import parse_day

    from .services import review_extend as extend

    document, review = _open_review(request, pk, review_pk)
    try:
        due = parse_day(request.POST.get("due_date", ""))
    except ValueError:
        messages.error(request, _("Enter a valid date."))
        return redirect("documents:detail", pk=document.pk)
    try:
        extend(review=review, actor=request.user, due_date=due)
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
    else:
        messages.success(request, _("The due date is extended."))
    return redirect("documents:detail", pk=document.pk)


@login_required
@require_POST
def review_replace(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    from accounts.models import User

    from .services import review_replace as replace

    document, review = _open_review(request, pk, review_pk)
    expert_pk = parse_id(request.POST.get("expert"))
    expert = (
        User.objects.filter(pk=expert_pk, school_id=request.user.school_id).first()
        if expert_pk is not None
        else None
    )
    if expert is None:
        messages.error(request, _("Choose the new expert."))
        return redirect("documents:detail", pk=document.pk)
    try:
        replace(review=review, actor=request.user, expert=expert)
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
    else:
        messages.success(request, _("The review is handed to %(name)s.") % {"name": expert})
    return redirect("documents:detail", pk=document.pk)


def _chair_tools(request: HttpRequest, document: Document):
    """Candidates for replacing an expert, when the viewer chairs an open expertise."""
    from council.selectors import council_for, council_members

    if document.stage != Stage.IN_EXPERTISE:
        return None
    council = council_for(school=document.school, academic_year=document.academic_year)
    if council is None or council.chair_id != request.user.pk:
        return None
    current = document.rounds.order_by("-number").first()
    busy = current.reviews.values("expert_id") if current else []
    return {
        "candidates": list(
            council_members(school=document.school, academic_year=document.academic_year)
            .exclude(pk=document.author_id)
            .exclude(pk__in=busy)
        )
    }
