"""viewflow flows. Kept in `flows/flows.py`: viewflow imports `<app>.flows` on migrate to
create the node permissions."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from accounts.models import User, acting_assignee
from council.selectors import council_for
from documents.models import ExpertiseRound

from . import notices, views
from .models import ExpertiseProcess, step_memo
from .nodes import ForEachSplit, StepJoin


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
    process_description = _(
        "Regulation 2.3: the council organizes the expert review of the school's strategic "
        "documents. The chair screens a submission, returns it for formal fixes or assigns "
        "council members as experts; the experts review in parallel; the chair decides: "
        "revision, rejection, or a recommendation to a council session."
    )

    start = (
        flow.StartHandle(this.start_process)
        .Annotation(title=_("Submitted for expertise"))
        .Next(this.screen)
    )
    screen = (
        flow.View(views.ScreenView.as_view())
        .onCreate(this.task_created)
        .Annotation(title=_("Screening by the chair"))
        .Assign(this.assign_to_chair)
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
        .onCreate(this.task_created)
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
        .onCreate(this.task_created)
        .Annotation(title=_("Expert review"))
        .Assign(this.assign_to_expert)
        .Permission("flows.review_expertiseprocess")
        .Next(this.join_reviews)
    )
    join_reviews = StepJoin().Annotation(title=_("All reviews are in")).Next(this.decide)
    decide = (
        flow.View(views.DecideView.as_view())
        .onCreate(this.task_created)
        .Annotation(title=_("Decision of the chair"))
        .Assign(this.assign_to_chair)
        .Permission("flows.chair_expertiseprocess")
        .Next(this.decided)
    )
    decided = (
        flow.Switch()
        .Annotation(title=_("Outcome of the expertise"))
        .Case(this.revise, this.is_revise)
        .Case(this.rejected, this.is_rejected)
        .Default(this.council_session)
    )
    revise = (
        flow.View(views.ResubmitView.as_view())
        .onCreate(this.task_created)
        .Annotation(title=_("Revision by the author"))
        .Assign(this.author_of)
        .Permission("documents.add_document")
        .Next(this.screen)
    )
    rejected = flow.End().Annotation(title=_("Rejected"))
    # 5.3: the council's decision is taken at a session and stands in its protocol; the
    # task is released when the protocol is confirmed (council.services.protocol_confirm
    # announces it; flows.services.council_protocol_confirmed receives it).
    council_session = (
        flow.Handle(this.record_council_decision)
        .Annotation(title=_("Council session"))
        .Next(this.council_decided)
    )
    council_decided = (
        flow.Switch()
        .Annotation(title=_("Decision of the council"))
        .Case(this.pedagogical, this.council_recommends)
        .Case(this.revise, this.council_returns)
        .Default(this.council_session)  # postponed to a later session
    )
    # 5.5 and the header's "Каралды": the pedagogical council considers the document.
    pedagogical = (
        flow.View(views.PedagogicalView.as_view())
        .onCreate(this.task_created)
        .Annotation(title=_("Pedagogical council"))
        .Assign(this.assign_to_chair)
        .Permission("flows.chair_expertiseprocess")
        .Next(this.pedagogical_done)
    )
    pedagogical_done = (
        flow.If(this.pedagogical_considered)
        .Annotation(title=_("Considered?"))
        .Then(this.approve)
        .Else(this.revise)
    )
    # The header's "Бекитем": the director (or acting director) approves.
    approve = (
        flow.View(views.ApproveView.as_view())
        .onCreate(this.task_created)
        .Annotation(title=_("Approval by the director"))
        .Assign(this.assign_to_director)
        .Permission("flows.approve_expertiseprocess")
        .Next(this.approved)
    )
    approved = (
        flow.If(this.director_approves)
        .Annotation(title=_("Approved?"))
        .Then(this.end)
        .Else(this.revise)
    )
    end = flow.End().Annotation(title=_("Approved and registered"))

    def task_created(self, activation: Any) -> None:
        notices.on_task_created(activation)

    # Who a task goes to. `chair_of`, `expert_of` and `director_of` only answer who holds
    # the step; `assign_to_*` are viewflow's .Assign() callables, called once while the task
    # is being created, and record on that task whom a substitute acts for.

    def assign_to_chair(self, activation: Any) -> User:
        return self.assign_acting(activation, self.chair_of(activation))

    def assign_to_expert(self, activation: Any) -> User:
        return self.assign_acting(activation, self.expert_of(activation))

    def assign_to_director(self, activation: Any) -> User | None:
        return self.assign_acting(activation, self.director_of(activation))

    def assign_acting(self, activation: Any, holder: User | None) -> User | None:
        """The task being created goes to `holder`, or to their substitute while they are
        away; then the task says whom the substitute acts for ("acting for")."""
        owner = self.acting_owner(activation, holder)
        if owner is not None:
            # Written with the task's INSERT (viewflow 2.4 never fills it; SLA figures
            # need it), not by an UPDATE after it.
            activation.task.assigned = timezone.now()
            if owner.pk != holder.pk:
                activation.task.data["acting_for"] = holder.pk
        return owner

    def acting_owner(self, activation: Any, holder: User | None) -> User | None:
        """`holder`, or their substitute while they are away; never the document's author:
        nobody acts on their own document."""
        if holder is None:
            return None
        # The experts' substitutes were read together when the chair assigned them.
        known = step_memo(activation.process).get("acting", {})
        assignee = known[holder.pk] if holder.pk in known else acting_assignee(holder)
        if assignee.pk == activation.process.document.author_id:
            return holder
        return assignee

    def start_process(self, activation: Any, document: Any) -> ExpertiseProcess:
        activation.process.document = document
        return activation.process

    def chair_of(self, activation: Any) -> User:
        document = activation.process.document
        council = council_for(school=document.school_id, academic_year=document.academic_year_id)
        if council is None:
            # document_submit refuses a submission without a council; this is a broken setup.
            raise LookupError(f"No council for {document.school} {document.academic_year}")
        return council.chair

    def author_of(self, activation: Any) -> User:
        activation.task.assigned = timezone.now()  # with the INSERT, as in assign_acting
        return activation.process.document.author

    def expert_of(self, activation: Any) -> User:
        pk = activation.task.data["expert"]
        known = step_memo(activation.process).get("experts", {})
        return known[pk] if pk in known else User.objects.get(pk=pk)

    def expert_items(self, activation: Any) -> list[dict[str, int]]:
        reviews = step_memo(activation.process).get("reviews")
        if reviews is None:
            document = activation.process.document
            current = document.rounds.order_by("-number").first()
            reviews = {r.pk: r for r in current.reviews.all()}
        return [
            {"expert": review.expert_id, "review": review.pk}
            for review in sorted(reviews.values(), key=lambda r: r.pk)
        ]

    def director_of(self, activation: Any) -> User | None:
        from accounts.roles import Role

        school_id = activation.process.document.school_id
        return (
            User.objects.filter(school_id=school_id, is_active=True, groups__name=Role.DIRECTOR)
            .order_by("pk")
            .first()
        )

    def record_council_decision(self, activation: Any, decision: str) -> None:
        activation.process.council_decision = ExpertiseProcess.CouncilRoute(decision)
        activation.process.save()

    def council_recommends(self, activation: Any) -> bool:
        route = ExpertiseProcess.CouncilRoute
        return activation.process.council_decision == route.RECOMMEND_APPROVAL

    def council_returns(self, activation: Any) -> bool:
        return activation.process.council_decision == ExpertiseProcess.CouncilRoute.RETURN

    def pedagogical_considered(self, activation: Any) -> bool:
        return (
            activation.process.pedagogical_outcome == ExpertiseProcess.PedagogicalOutcome.CONSIDERED
        )

    def director_approves(self, activation: Any) -> bool:
        return activation.process.director_outcome == ExpertiseProcess.DirectorOutcome.APPROVED

    def is_accepted(self, activation: Any) -> bool:
        return activation.process.screening == ExpertiseProcess.Screening.ACCEPT

    def is_revise(self, activation: Any) -> bool:
        return activation.process.decision == ExpertiseRound.Decision.REVISE

    def is_rejected(self, activation: Any) -> bool:
        return activation.process.decision == ExpertiseRound.Decision.REJECT
