"""Task pages. One URL, `/tasks/<pk>/`, serves every human task: `task_dispatch` finds the
task among the user's own, takes the flow lock for a POST, and hands over to the view of
the task's node (ScreenView, ReviewView, …), which calls a service and completes the task.

viewflow's own task URLs (and its Material site) are deliberately not mounted: its detail
and list views authorize by model permission only, which would show one school's processes
to another school (viewflow issue #505).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_http_methods
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from council.selectors import council_members
from documents.forms import DocumentForm
from documents.models import Document, Review
from documents.services import RecommendationAnswer, document_update, recommendations_answer

from . import forms, notices, services
from .models import ExpertiseProcess
from .selectors import return_reason, rounds_for


@login_required
@require_http_methods(["GET", "POST"])
def task_dispatch(request: HttpRequest, task_pk: int) -> HttpResponse:
    if request.method == "POST":
        return _task_post(request, task_pk)
    task = get_object_or_404(
        Task.objects.select_related("process__expertiseprocess"),
        pk=task_pk,
        owner=request.user,
        flow_task_type="HUMAN",
    )
    process = task.process.coerced
    if task.status != STATUS.ASSIGNED:
        messages.info(request, _("This task has already been completed."))
        return redirect("documents:detail", pk=process.document_id)
    request.activation = node_activation(task)
    return task.flow_task.view(request, task_pk=task.pk)


# Under the lock, in one query: the task, its process and the document (the services
# and the flow's handlers read these instances). Four tables: joining the document's
# author, year, association and school too made PostgreSQL plan the eight-table join for
# 2.4–6.5 ms at national scale, ten times what it took to run.
TASK_UNDER_LOCK = ("process__expertiseprocess__document",)


def _task_post(request: HttpRequest, task_pk: int) -> HttpResponse:
    """A task page's POST: the flow lock, then the task read once under it, then the
    node's view (which calls a service and completes the task)."""
    head = (
        Task.objects.filter(pk=task_pk, owner=request.user, flow_task_type="HUMAN")
        .values_list("process_id", "flow_task")
        .first()
    )
    if head is None:
        raise Http404
    process_id, node = head
    try:
        # The lock opens the transaction (select_for_update_lock); no savepoint inside.
        with node.flow_class.lock(process_id):
            task = Task.objects.select_related(*TASK_UNDER_LOCK).get(pk=task_pk)
            process = task.process.coerced
            if task.status != STATUS.ASSIGNED or task.owner_id != request.user.pk:
                messages.info(request, _("This task has already been completed."))
                return redirect("documents:detail", pk=process.document_id)
            request.activation = node_activation(task)
            request.activation.start(request)
            return node.view(request, task_pk=task.pk)
    except FlowLockFailed:
        messages.warning(
            request, _("Someone else is working on this document right now. Please try again.")
        )
        return redirect("flows:task", task_pk=task_pk)


def node_activation(task: Task) -> Any:
    """viewflow's activation of the task; its process is the one read with the task."""
    return task.flow_task.activation_class(task)


class TaskView(View):
    """Base of the node views: the task's document, and a service call on a valid POST."""

    template_name = ""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.activation = request.activation
        self.task = self.activation.task
        process = self.activation.process
        if request.method == "POST":
            # Read with the task under the lock (_task_post); the services and the flow's
            # handlers read this same instance.
            self.document = process.document
        else:
            self.document = Document.objects.select_related(
                "author", "academic_year", "methodical_association", "school"
            ).get(pk=process.document_id)
            process.document = self.document

    def context(self, **extra: Any) -> dict[str, Any]:
        version = services.latest_version(self.document)
        return {
            "task": self.task,
            "task_title": self.task.flow_task.task_title,
            "document": self.document,
            "version": version,
            # "What changed since the last round": the version the last round examined.
            "last_round_version": services.last_round_version(self.document, version),
            **extra,
        }

    def rounds(self) -> list[Any]:
        """The document's rounds as this person may see them (blind expertise)."""
        return rounds_for(self.request.user, self.document)

    def render(self, **extra: Any) -> HttpResponse:
        return render(self.request, self.template_name, self.context(**extra))

    def run_service(self, call: Any, form: Any) -> bool:
        """Run a service in a savepoint; a ValidationError goes back onto the form. The
        notices and reminders of the step are written together at its end."""
        try:
            with transaction.atomic(), notices.step_gathered():
                call()
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return False
        return True

    def done(self, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect("flows:inbox")


class ScreenView(TaskView):
    template_name = "flows/screen.html"

    def candidates(self) -> Any:
        return council_members(
            school=self.document.school_id, academic_year=self.document.academic_year_id
        ).exclude(pk=self.document.author_id)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        previous = services.current_round(self.document)
        initial = {}
        if previous is not None:
            # A revised document goes, by default, to the experts of the last round.
            initial["experts"] = [r.expert_id for r in previous.reviews.all()]
            initial["action"] = ExpertiseProcess.Screening.ACCEPT
        form = forms.ScreenForm(candidates=self.candidates(), initial=initial)
        return self.render(form=form, previous_round=previous, rounds=self.rounds())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = forms.ScreenForm(request.POST, candidates=self.candidates())
        if form.is_valid():
            data = form.cleaned_data
            if data["action"] == ExpertiseProcess.Screening.ACCEPT:
                ok = self.run_service(
                    lambda: services.screening_accept(
                        activation=self.activation,
                        actor=request.user,
                        experts=list(data["experts"]),
                        due_date=data["due_date"],
                    ),
                    form,
                )
                if ok:
                    return self.done(_("Experts assigned. Their reviews are in their inboxes."))
            else:
                ok = self.run_service(
                    lambda: services.screening_return(
                        activation=self.activation, actor=request.user, reason=data["reason"]
                    ),
                    form,
                )
                if ok:
                    return self.done(_("The document was returned to its author."))
        return self.render(
            form=form, previous_round=services.current_round(self.document), rounds=self.rounds()
        )


class ReviewView(TaskView):
    template_name = "flows/review.html"

    def review(self) -> Review:
        return Review.objects.select_related("round__version").get(pk=self.task.data["review"])

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render(
            form=forms.ReviewForm(),
            formset=forms.RecommendationFormSet(prefix="rec"),
            review=self.review(),
            rounds=[r for r in self.rounds() if not r.hidden],
        )

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = forms.ReviewForm(request.POST)
        formset = forms.RecommendationFormSet(request.POST, prefix="rec")
        if form.is_valid() and formset.is_valid():
            texts = formset.texts()
            opinion = form.cleaned_data["opinion"]
            if opinion in services.OPINIONS_WITH_RECOMMENDATIONS and not texts:
                form.add_error(None, _("Write at least one recommendation for this opinion."))
            elif self.run_service(
                lambda: services.review_complete(
                    activation=self.activation,
                    actor=request.user,
                    opinion=form.cleaned_data["opinion"],
                    comment=form.cleaned_data["comment"],
                    recommendations=texts,
                ),
                form,
            ):
                return self.done(_("Your review has been submitted."))
        return self.render(
            form=form,
            formset=formset,
            review=self.review(),
            rounds=[r for r in self.rounds() if not r.hidden],
        )


class DecideView(TaskView):
    template_name = "flows/decide.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render(form=forms.DecideForm(), rounds=self.rounds())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = forms.DecideForm(request.POST)
        if form.is_valid() and self.run_service(
            lambda: services.expertise_decide(
                activation=self.activation,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            ),
            form,
        ):
            return self.done(_("Your decision has been recorded."))
        return self.render(form=form, rounds=self.rounds())


class ResubmitView(TaskView):
    """The author's task after a return or a revision: edit, answer, submit a new version.
    "Save" keeps the work without submitting; the task stays in the inbox."""

    template_name = "flows/resubmit.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        recs = services.open_recommendations(self.document)
        return self.render(
            form=DocumentForm(instance=self.document, user=request.user),
            answer_forms=forms.answer_forms(recs),
            rounds=self.rounds(),
            return_reason=self.return_reason(),
        )

    def return_reason(self) -> str:
        return return_reason(self.document)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        recs = services.open_recommendations(self.document)
        form = DocumentForm(request.POST, request.FILES, instance=self.document, user=request.user)
        answers = forms.answer_forms(recs, request.POST)
        submit = "submit" in request.POST
        if form.is_valid() and all(a.is_valid() for a in answers):
            given = [
                RecommendationAnswer(
                    recommendation=a.recommendation,
                    answer=a.cleaned_data.get("answer") or "",
                    reason=a.cleaned_data.get("reason") or "",
                )
                for a in answers
            ]

            def save_and_maybe_submit() -> None:
                document_update(document=self.document, actor=request.user, **form.service_kwargs())
                if submit:
                    services.resubmit(activation=self.activation, actor=request.user, answers=given)
                else:
                    recommendations_answer(answers=given, version=None)

            if self.run_service(save_and_maybe_submit, form):
                if submit:
                    return self.done(_("The new version has been submitted to the chair."))
                messages.success(request, _("Saved. Submit the new version when it is ready."))
                return redirect(reverse("flows:task", args=[self.task.pk]))
        return self.render(
            form=form,
            answer_forms=answers,
            rounds=self.rounds(),
            return_reason=self.return_reason(),
        )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    from .selectors import inbox_tasks

    page = Paginator(inbox_tasks(request.user), 25).get_page(request.GET.get("page"))
    review_ids = [t.data.get("review") for t in page if t.data.get("review")]
    due_by_review = dict(
        Review.objects.filter(pk__in=review_ids).values_list(
            "pk", Coalesce("due_date", "round__due_date")
        )
    )
    rows = [
        {
            "task": task,
            "document": task.process.expertiseprocess.document,
            "due_date": due_by_review.get(task.data.get("review")),
        }
        for task in page
    ]
    from council.services import council_task_url

    from .selectors import council_steps_of

    council_steps = [
        {"task": step, "url": council_task_url(step)} for step in council_steps_of(request.user)
    ]
    return render(
        request,
        "flows/inbox.html",
        {
            "page": page,
            "rows": rows,
            "council_steps": council_steps,
            # From the cached permissions (no query); the page itself checks exactly.
            "can_manage_tasks": request.user.has_perm("accounts.change_user")
            or request.user.has_perm("flows.chair_expertiseprocess"),
        },
    )


class PedagogicalView(TaskView):
    """The chair records the pedagogical council's consideration ("Каралды")."""

    template_name = "flows/pedagogical.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render(form=forms.PedagogicalForm(), rounds=self.rounds())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = forms.PedagogicalForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if self.run_service(
                lambda: services.pedagogical_record(
                    activation=self.activation,
                    actor=request.user,
                    considered=data["outcome"] == ExpertiseProcess.PedagogicalOutcome.CONSIDERED,
                    protocol_number=data.get("protocol_number") or "",
                    considered_on=data.get("considered_on"),
                    reason=data.get("reason") or "",
                ),
                form,
            ):
                return self.done(_("The pedagogical council's consideration has been recorded."))
        return self.render(form=form, rounds=self.rounds())


class ApproveView(TaskView):
    """The director approves ("Бекитем") or returns the document."""

    template_name = "flows/approve.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render(form=forms.ApproveForm(), rounds=self.rounds())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = forms.ApproveForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if self.run_service(
                lambda: services.document_approve(
                    activation=self.activation,
                    actor=request.user,
                    approve=data["outcome"] == ExpertiseProcess.DirectorDecision.APPROVE,
                    reason=data.get("reason") or "",
                ),
                form,
            ):
                if data["outcome"] == ExpertiseProcess.DirectorDecision.APPROVE:
                    return self.done(_("The document is approved and registered."))
                return self.done(_("The document was returned to its author."))
        return self.render(form=form, rounds=self.rounds())
