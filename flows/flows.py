"""viewflow flows. Kept in `flows/flows.py`: viewflow imports `<app>.flows` on migrate to
create the node permissions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from accounts.models import User
from council.selectors import council_for

from . import views
from .models import ExpertiseProcess
from .nodes import ForEachSplit


class ExpertiseFlow(flow.Flow):
    """Expertise of a document

    Regulation 2.3: the council organizes the expert review of the school's strategic
    documents. The chair screens a submission, returns it for formal fixes or assigns any
    number of council members as experts; the experts review in parallel; the chair
    decides: revision (the loop repeats with a new version), rejection, or a
    recommendation to a council session.
    """

    process_class = ExpertiseProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Expertise of a document")

    start = (
        flow.StartHandle(this.start_process)
        .Annotation(title=_("Submitted for expertise"))
        .Next(this.screen)
    )
    screen = (
        flow.View(views.ScreenView.as_view())
        .Annotation(title=_("Screening by the chair"))
        .Assign(this.chair_of)
        .Permission("flows.chair_expertiseprocess")
        .Next(this.screened)
    )
    screened = (
        flow.If(this.is_accepted)
        .Annotation(title=_("Accepted for expertise?"))
        .Then(this.split_reviews)
        .Else(this.fix)
    )
    fix = (
        flow.View(views.ResubmitView.as_view())
        .Annotation(title=_("Formal fixes by the author"))
        .Assign(this.author_of)
        .Permission("documents.add_document")
        .Next(this.screen)
    )
    split_reviews = (
        ForEachSplit(this.expert_items)
        .Annotation(title=_("Experts review in parallel"))
        .Next(this.review)
    )
    review = (
        flow.View(views.ReviewView.as_view())
        .Annotation(title=_("Expert review"))
        .Assign(this.expert_of)
        .Permission("flows.review_expertiseprocess")
        .Next(this.join_reviews)
    )
    join_reviews = flow.Join().Annotation(title=_("All reviews are in")).Next(this.decide)
    decide = (
        flow.View(views.DecideView.as_view())
        .Annotation(title=_("Decision of the chair"))
        .Assign(this.chair_of)
        .Permission("flows.chair_expertiseprocess")
        .Next(this.decided)
    )
    decided = (
        flow.Switch()
        .Annotation(title=_("Outcome of the expertise"))
        .Case(this.revise, this.is_revise)
        .Case(this.rejected, this.is_rejected)
        .Default(this.recommended)
    )
    revise = (
        flow.View(views.ResubmitView.as_view())
        .Annotation(title=_("Revision by the author"))
        .Assign(this.author_of)
        .Permission("documents.add_document")
        .Next(this.screen)
    )
    rejected = flow.End().Annotation(title=_("Rejected"))
    recommended = flow.End().Annotation(title=_("Recommended to a council session"))

    def start_process(self, activation: Any, document: Any) -> ExpertiseProcess:
        activation.process.document = document
        return activation.process

    def chair_of(self, activation: Any) -> User:
        document = activation.process.document
        council = council_for(school=document.school, academic_year=document.academic_year)
        if council is None:
            # document_submit refuses a submission without a council; this is a broken setup.
            raise LookupError(f"No council for {document.school} {document.academic_year}")
        return council.chair

    def author_of(self, activation: Any) -> User:
        return activation.process.document.author

    def expert_of(self, activation: Any) -> User:
        return User.objects.get(pk=activation.task.data["expert"])

    def expert_items(self, activation: Any) -> list[dict[str, int]]:
        document = activation.process.document
        current = document.rounds.order_by("-number").first()
        return [
            {"expert": review.expert_id, "review": review.pk}
            for review in current.reviews.order_by("pk")
        ]

    def is_accepted(self, activation: Any) -> bool:
        return activation.process.screening == ExpertiseProcess.Screening.ACCEPT

    def is_revise(self, activation: Any) -> bool:
        return activation.process.decision == "revise"

    def is_rejected(self, activation: Any) -> bool:
        return activation.process.decision == "reject"
