"""The inbox and every step of the expertise. Each action runs like the task page's POST:
the task must be the caller's own open task, the flow lock is taken
(`flows.services.task_perform`), the page's form checks the input, and the same service
does the work; anything refused rolls the whole step back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from council.selectors import council_members
from documents.models import Document, Review
from documents.services import RecommendationAnswer, recommendations_answer
from flows import forms, services
from flows.models import ExpertiseProcess
from flows.selectors import inbox_tasks, return_reason
from flows.stages import AUTHOR_NODES

from . import present
from .pagination import MAX_PAGE_SIZE, ObjectId, paginate
from .problems import ERRORS, ApiConflict, FormInvalid, Problem
from .schemas import (
    ApproveIn,
    DecideIn,
    PedagogicalIn,
    ResubmitIn,
    ReviewIn,
    ScreenIn,
    TaskDetail,
    TaskDone,
    TaskPage,
)

router = Router(tags=["tasks"])


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


def _rows(tasks: list[Task]) -> list[dict[str, Any]]:
    """Two queries for the page, whatever its length: due dates of the reviews, and the
    people the tasks are done for."""
    review_ids = [t.data.get("review") for t in tasks if t.data.get("review")]
    due = (
        dict(
            Review.objects.filter(pk__in=review_ids).values_list(
                "pk", Coalesce("due_date", "round__due_date")
            )
        )
        if review_ids
        else {}
    )
    acting_ids = {t.data.get("acting_for") for t in tasks} - {None}
    acting = User.objects.in_bulk(list(acting_ids)) if acting_ids else {}
    return [
        {
            "id": t.pk,
            "step": t.flow_task.name,
            "title": present.task_title(t),
            "created": t.created,
            "due_date": due.get(t.data.get("review")),
            "acting_for": present.user_ref(acting.get(t.data.get("acting_for"))),
            "document": present.document_summary(t.process.expertiseprocess.document),
        }
        for t in tasks
    ]


@router.get("", response={200: TaskPage, ERRORS: Problem}, url_name="tasks")
def inbox(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """The caller's open tasks, newest first: each with its document, due date and the
    person it is done for, when the caller substitutes for someone ("acting for")."""
    return paginate(
        inbox_tasks(request.user).select_related(
            "process__expertiseprocess__document__methodical_association"
        ),
        page=query.page,
        page_size=query.page_size,
        present=_rows,
    )


def _own_task(request: HttpRequest, task_id: ObjectId) -> Task:
    return get_object_or_404(
        inbox_tasks(request.user).select_related(
            "process__expertiseprocess__document__methodical_association"
        ),
        pk=task_id,
    )


@router.get("/{task_id}", response={200: TaskDetail, ERRORS: Problem}, url_name="task")
def task_detail(request: HttpRequest, task_id: ObjectId) -> dict[str, Any]:
    """One of the caller's open tasks with what its step needs."""
    task = _own_task(request, task_id)
    data = _rows([task])[0]
    document = task.process.expertiseprocess.document
    step = task.flow_task.name
    data["expert_candidates"] = []
    data["previous_experts"] = []
    data["open_recommendations"] = []
    data["return_reason"] = ""
    if step == "screen":
        data["expert_candidates"] = [
            present.user_ref(u)
            for u in council_members(
                school=document.school, academic_year=document.academic_year
            ).exclude(pk=document.author_id)
        ]
        previous = services.current_round(document)
        if previous is not None:
            data["previous_experts"] = [r.expert_id for r in previous.reviews.all()]
    elif step in AUTHOR_NODES:
        data["open_recommendations"] = [
            present.recommendation(r) for r in services.open_recommendations(document)
        ]
        data["return_reason"] = return_reason(document)
    return data


def _perform(
    request: HttpRequest, task_id: ObjectId, steps: tuple[str, ...], work: Callable[[Any], str]
) -> dict[str, Any]:
    task = get_object_or_404(
        Task.objects.select_related("process"),
        pk=task_id,
        owner=request.user,
        flow_task_type="HUMAN",
    )
    if task.status != STATUS.ASSIGNED:
        raise ApiConflict(_("This task has already been completed."))
    if task.flow_task.name not in steps:
        raise ApiConflict(
            _("This task is “%(title)s”; use its own action.") % {"title": present.task_title(task)}
        )
    try:
        message = services.task_perform(task=task, actor=request.user, step=work)
    except PermissionDenied:  # completed by a concurrent request while we waited
        raise ApiConflict(_("This task has already been completed.")) from None
    document_id = task.process.expertiseprocess.document_id
    document = Document.objects.select_related(
        "author", "academic_year", "methodical_association"
    ).get(pk=document_id)
    return {"task_id": task.pk, "message": message, "document": present.document_summary(document)}


def _check(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise FormInvalid(form.errors)
    return form.cleaned_data


DONE = {200: TaskDone, ERRORS: Problem}


@router.post("/{task_id}/screen", response=DONE, url_name="task_screen")
def screen(request: HttpRequest, task_id: ObjectId, payload: ScreenIn) -> dict[str, Any]:
    """The chair accepts the submission with experts and a due date, or returns it for
    formal fixes with a reason."""

    def work(activation: Any) -> str:
        document = activation.process.document
        candidates = council_members(
            school=document.school, academic_year=document.academic_year
        ).exclude(pk=document.author_id)
        form = forms.ScreenForm(
            {
                "action": payload.action,
                "experts": [str(pk) for pk in payload.experts],
                "due_date": payload.due_date.isoformat() if payload.due_date else "",
                "reason": payload.reason,
            },
            candidates=candidates,
        )
        data = _check(form)
        if data["action"] == ExpertiseProcess.Screening.ACCEPT:
            services.screening_accept(
                activation=activation,
                actor=request.user,
                experts=list(data["experts"]),
                due_date=data["due_date"],
            )
            return _("Experts assigned. Their reviews are in their inboxes.")
        services.screening_return(activation=activation, actor=request.user, reason=data["reason"])
        return _("The document was returned to its author.")

    return _perform(request, task_id, ("screen",), work)


@router.post("/{task_id}/review", response=DONE, url_name="task_review")
def review(request: HttpRequest, task_id: ObjectId, payload: ReviewIn) -> dict[str, Any]:
    """An expert's opinion, comment and recommendations."""

    def work(activation: Any) -> str:
        data = _check(forms.ReviewForm({"opinion": payload.opinion, "comment": payload.comment}))
        # Each text through the page's recommendation form (length, NUL characters).
        texts = []
        for number, text in enumerate(payload.recommendations, 1):
            rec_form = forms.RecommendationForm({"text": text})
            if not rec_form.is_valid():
                raise FormInvalid(
                    {f"recommendations.{number}": m for m in rec_form.errors.values()}
                )
            if rec_form.cleaned_data["text"].strip():
                texts.append(rec_form.cleaned_data["text"].strip())
        services.review_complete(
            activation=activation,
            actor=request.user,
            opinion=data["opinion"],
            comment=data["comment"],
            recommendations=texts,
        )
        return _("Your review has been submitted.")

    return _perform(request, task_id, ("review",), work)


@router.post("/{task_id}/decide", response=DONE, url_name="task_decide")
def decide(request: HttpRequest, task_id: ObjectId, payload: DecideIn) -> dict[str, Any]:
    """The chair's decision after the reviews: revise, reject (with a reason), recommend."""

    def work(activation: Any) -> str:
        data = _check(forms.DecideForm({"decision": payload.decision, "reason": payload.reason}))
        services.expertise_decide(
            activation=activation,
            actor=request.user,
            decision=data["decision"],
            reason=data["reason"],
        )
        return _("Your decision has been recorded.")

    return _perform(request, task_id, ("decide",), work)


@router.post("/{task_id}/resubmit", response=DONE, url_name="task_resubmit")
def resubmit(request: HttpRequest, task_id: ObjectId, payload: ResubmitIn) -> dict[str, Any]:
    """The author answers every recommendation (accepted / declined with a reason) and
    submits the new version (change the working copy first with POST /documents/{id}).
    With `submit: false` the answers are only saved."""

    def work(activation: Any) -> str:
        document = Document.objects.get(pk=activation.process.document_id)
        recs = {r.pk: r for r in services.open_recommendations(document)}
        given = []
        errors: dict[str, list[str]] = {}
        for item in payload.answers:
            rec = recs.get(item.recommendation)
            if rec is None:
                errors.setdefault("answers", []).append(
                    _("Recommendation %(id)s is not one to answer.") % {"id": item.recommendation}
                )
                continue
            form = forms.AnswerForm(
                {"answer": item.answer, "reason": item.reason}, recommendation=rec
            )
            if not form.is_valid():
                for field, messages in form.errors.items():
                    errors.setdefault(f"answers.{rec.pk}.{field}", []).extend(messages)
                continue
            given.append(
                RecommendationAnswer(
                    recommendation=rec,
                    answer=form.cleaned_data.get("answer") or "",
                    reason=form.cleaned_data.get("reason") or "",
                )
            )
        if errors:
            raise FormInvalid(errors)
        if payload.submit:
            services.resubmit(activation=activation, actor=request.user, answers=given)
            return _("The new version has been submitted to the chair.")
        recommendations_answer(answers=given, version=None)
        return _("Saved. Submit the new version when it is ready.")

    return _perform(request, task_id, AUTHOR_NODES, work)


@router.post("/{task_id}/pedagogical", response=DONE, url_name="task_pedagogical")
def pedagogical(request: HttpRequest, task_id: ObjectId, payload: PedagogicalIn) -> dict[str, Any]:
    """The chair records the pedagogical council's consideration ("Каралды": protocol №
    and date), or returns the document to its author with a reason."""

    def work(activation: Any) -> str:
        data = _check(
            forms.PedagogicalForm(
                {
                    "outcome": payload.outcome,
                    "protocol_number": payload.protocol_number,
                    "considered_on": (
                        payload.considered_on.isoformat() if payload.considered_on else ""
                    ),
                    "reason": payload.reason,
                }
            )
        )
        services.pedagogical_record(
            activation=activation,
            actor=request.user,
            considered=data["outcome"] == ExpertiseProcess.PedagogicalOutcome.CONSIDERED,
            protocol_number=data.get("protocol_number") or "",
            considered_on=data.get("considered_on"),
            reason=data.get("reason") or "",
        )
        return _("The pedagogical council's consideration has been recorded.")

    return _perform(request, task_id, ("pedagogical",), work)


@router.post("/{task_id}/approve", response=DONE, url_name="task_approve")
def approve(request: HttpRequest, task_id: ObjectId, payload: ApproveIn) -> dict[str, Any]:
    """The director approves ("Бекитем": the document is registered) or returns it."""

    def work(activation: Any) -> str:
        data = _check(forms.ApproveForm({"outcome": payload.outcome, "reason": payload.reason}))
        services.document_approve(
            activation=activation,
            actor=request.user,
            approve=data["outcome"] == ExpertiseProcess.DirectorDecision.APPROVE,
            reason=data.get("reason") or "",
        )
        if data["outcome"] == ExpertiseProcess.DirectorDecision.APPROVE:
            return _("The document is approved and registered.")
        return _("The document was returned to its author.")

    return _perform(request, task_id, ("approve",), work)
