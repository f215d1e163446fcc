"""Steps of the expertise. Each runs inside the flow lock (the task views take it) and
writes the domain records, the document's stage and the timeline event in the same
transaction as the viewflow transition."""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, acting_assignee, acting_assignees
from council.selectors import council_for, council_members
from council.services import council_agenda_step_ensure
from documents.models import (
    Document,
    DocumentVersion,
    EventKind,
    ExpertiseRound,
    Opinion,
    Recommendation,
    Review,
    Stage,
)
from documents.services import (
    RecommendationAnswer,
    document_author_change,
    document_create,
    document_pedagogical_record,
    document_register,
    document_set_stage,
    event_record,
    recommendations_answer,
    review_acting_expert_set,
    review_due_date_set,
    review_hand_over,
    review_submit,
    round_decide,
    round_open,
    version_freeze,
)
from notifications.models import Kind

from . import notices
from .models import ExpertiseProcess, step_memo

# Opinions that ask the author for changes, and so need at least one recommendation.
OPINIONS_WITH_RECOMMENDATIONS = (Opinion.APPROVE_WITH_CHANGES, Opinion.REVISE)


def _flow() -> Any:
    from .flows import ExpertiseFlow

    return ExpertiseFlow


def current_round(document: Document) -> ExpertiseRound | None:
    # With its version: every step that reads the round names the version in its event.
    return document.rounds.select_related("version").order_by("-number").first()


def latest_version(document: Document) -> DocumentVersion:
    return document.versions.order_by("-number").first()


def last_round_version(document: Document, version: DocumentVersion | None) -> int | None:
    """The number of the version an earlier round examined, before `version`."""
    if version is None:
        return None
    return (
        document.rounds.filter(version__number__lt=version.number)
        .order_by("-number")
        .values_list("version__number", flat=True)
        .first()
    )


def open_recommendations(document: Document) -> list[Recommendation]:
    """The recommendations the author must answer: those of the last round, if it was
    sent back for revision."""
    last = current_round(document)
    if last is None or last.decision != ExpertiseRound.Decision.REVISE:
        return []
    if last.version.number != document.version_count:
        return []  # answered in a later version, which then came back for another reason
    return list(
        Recommendation.objects.filter(review__round=last)
        .select_related("review__expert")
        .order_by("review__expert__last_name", "review_id", "number")
    )


def document_submit(*, document: Document, actor: User) -> ExpertiseProcess:
    """First submission of a draft: freeze version 1 and start the expertise."""
    with transaction.atomic():
        # The row lock makes a double click start one process, not two.
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.author_id != actor.pk:
            raise ValidationError(_("Only the author can submit this document."))
        if document.stage != Stage.DRAFT:
            raise ValidationError(_("This document has already been submitted."))
        council = council_for(school=document.school, academic_year=document.academic_year)
        if council is None:
            raise ValidationError(
                _(
                    "The council of %(year)s has not been set up yet, so there is nobody to "
                    "screen the document. Please ask the school administrator."
                )
                % {"year": document.academic_year}
            )
        version = version_freeze(document=document, actor=actor)
        document_set_stage(document=document, stage=Stage.SCREENING)
        event_record(
            document=document,
            actor=actor,
            kind=EventKind.SUBMITTED,
            version_number=version.number,
        )
        return _flow().start.run(document=document)


def document_create_and_submit(
    *, author: User, **fields: Any
) -> tuple[Document, ValidationError | None]:
    """ "Save and submit" on the new-document form, in one transaction.

    Any failure part-way (the database, the flow, a bug) undoes both steps and removes the
    stored file: no draft is left behind that the author does not know about, and trying
    again does not make a second one. A refusal of the submission itself (no council set
    up for the year yet) is not a failure: the draft is kept, and the refusal is returned
    for the page to show next to "the draft has been saved"."""
    document: Document | None = None
    try:
        with transaction.atomic():
            document = document_create(author=author, **fields)
            try:
                document_submit(document=document, actor=author)
            except ValidationError as refusal:
                return document, refusal
    except BaseException:
        # The file was written to storage before the rows; the rollback does not undo it.
        if document is not None and document.file:
            document.file.storage.delete(document.file.name)
        raise
    return document, None


def screening_accept(
    *,
    activation: Any,
    actor: User,
    experts: Sequence[User],
    due_date: datetime.date,
) -> ExpertiseRound:
    process: ExpertiseProcess = activation.process
    document = process.document
    if not experts:
        raise ValidationError(_("Choose at least one expert."))
    if due_date < timezone.localdate():
        raise ValidationError(_("The due date cannot be in the past."))
    allowed = set(
        council_members(school=document.school_id, academic_year=document.academic_year_id)
        .exclude(pk=document.author_id)
        .values_list("pk", flat=True)
    )
    if any(expert.pk not in allowed for expert in experts):
        raise ValidationError(
            _("Experts must be members of this year's council, and not the document's author.")
        )
    version = latest_version(document)
    expertise_round = round_open(
        document=document,
        version=version,
        experts=experts,
        due_date=due_date,
        assigned_by=actor,
    )
    # The review tasks viewflow creates next, one per expert, read these instead of the
    # rows (flows.models.step_memo): the reviews just written, the experts, their
    # substitutes (one query for all).
    memo = step_memo(process)
    memo["reviews"] = {review.pk: review for review in expertise_round.new_reviews}
    memo["experts"] = {expert.pk: expert for expert in experts}
    memo["acting"] = acting_assignees(list(experts))
    process.screening = ExpertiseProcess.Screening.ACCEPT
    process.save(update_fields=["data"])
    document_set_stage(document=document, stage=Stage.IN_EXPERTISE)
    event_record(
        document=document,
        actor=actor,
        kind=EventKind.EXPERTS_ASSIGNED,
        version_number=version.number,
        round_number=expertise_round.number,
        note=", ".join(str(e) for e in experts),
    )
    activation.execute()
    return expertise_round


def screening_return(*, activation: Any, actor: User, reason: str) -> None:
    process: ExpertiseProcess = activation.process
    document = process.document
    if not reason.strip():
        raise ValidationError(_("Say what the author must fix."))
    process.screening = ExpertiseProcess.Screening.RETURN
    process.save(update_fields=["data"])
    document_set_stage(document=document, stage=Stage.RETURNED)
    event_record(
        document=document,
        actor=actor,
        kind=EventKind.RETURNED,
        version_number=document.version_count,
        note=reason.strip(),
    )
    activation.execute()
    author_task = notices.author_task(document, memo=step_memo(process))
    notices.document_outcome(document, Kind.DOCUMENT_RETURNED, reason.strip(), task=author_task)


def review_complete(
    *,
    activation: Any,
    actor: User,
    opinion: str,
    comment: str,
    recommendations: Sequence[str],
) -> Review:
    review = Review.objects.select_related("round__version").get(pk=activation.task.data["review"])
    if activation.task.owner_id != actor.pk:
        raise ValidationError(_("This review is assigned to another expert."))
    if opinion in OPINIONS_WITH_RECOMMENDATIONS and not any(t.strip() for t in recommendations):
        # Here and not only on the page: the API's reviews go through this service too.
        raise ValidationError(_("Write at least one recommendation for this opinion."))
    if review.expert_id != actor.pk:  # a substitute acting for the expert
        review_acting_expert_set(review=review, acting_expert=actor)
    review_submit(review=review, opinion=opinion, comment=comment, recommendations=recommendations)
    notices.deadlines_cancel(review)
    document = activation.process.document
    event_record(
        document=document,
        actor=actor,
        kind=EventKind.REVIEWED,
        version_number=review.round.version.number,
        round_number=review.round.number,
        note=review.opinion,  # a code: shown in each reader's language
    )
    activation.execute()
    # The last review: the join let the flow on to the chair's decision (its task was
    # created within this step), so no review is open any more. Under the flow lock,
    # exactly one of two simultaneous last reviews does.
    created = step_memo(activation.process).get("created", [])
    if any(task.flow_task == _flow().decide for task in created):
        document_set_stage(document=document, stage=Stage.DECISION)
    return review


def expertise_decide(*, activation: Any, actor: User, decision: str, reason: str) -> None:
    process: ExpertiseProcess = activation.process
    document = process.document
    expertise_round = current_round(document)
    if expertise_round.reviews.filter(submitted_at__isnull=True, replaced_by__isnull=True).exists():
        raise ValidationError(_("Not every expert has given an opinion yet."))
    if decision == ExpertiseRound.Decision.REJECT and not reason.strip():
        raise ValidationError(_("Give the reason for the rejection."))
    round_decide(
        expertise_round=expertise_round, decision=decision, reason=reason.strip(), decided_by=actor
    )
    process.decision = decision
    process.save(update_fields=["data"])
    stage, kind = {
        ExpertiseRound.Decision.REVISE: (Stage.REVISION, EventKind.SENT_TO_REVISION),
        ExpertiseRound.Decision.REJECT: (Stage.REJECTED, EventKind.REJECTED),
        ExpertiseRound.Decision.RECOMMEND: (Stage.RECOMMENDED, EventKind.RECOMMENDED),
    }[decision]
    document_set_stage(document=document, stage=stage)
    event_record(
        document=document,
        actor=actor,
        kind=kind,
        version_number=expertise_round.version.number,
        round_number=expertise_round.number,
        note=reason.strip(),
    )
    activation.execute()
    if decision == ExpertiseRound.Decision.RECOMMEND:
        # The chair's next step: put it on a session's agenda (an inbox task).
        council_agenda_step_ensure(
            school_id=document.school_id, academic_year_id=document.academic_year_id
        )
    outcome = {
        ExpertiseRound.Decision.REVISE: Kind.DOCUMENT_RETURNED,
        ExpertiseRound.Decision.REJECT: Kind.DOCUMENT_REJECTED,
        ExpertiseRound.Decision.RECOMMEND: Kind.DOCUMENT_RECOMMENDED,
    }[decision]
    # Only a revision gives the author a task (created just now, by activation.execute).
    revised = decision == ExpertiseRound.Decision.REVISE
    author_task = notices.author_task(document, memo=step_memo(process)) if revised else None
    notices.document_outcome(document, outcome, reason.strip(), task=author_task)


def answers_check(answers: Sequence[RecommendationAnswer], expected: Sequence[Recommendation]):
    given = {a.recommendation.pk: a for a in answers}
    missing = [r for r in expected if r.pk not in given or not given[r.pk].answer]
    if missing:
        raise ValidationError(_("Answer every recommendation before submitting the new version."))
    for answer in answers:
        if answer.answer == Recommendation.Answer.DECLINED and not answer.reason.strip():
            raise ValidationError(_("Give a reason for every declined recommendation."))


def resubmit(
    *, activation: Any, actor: User, answers: Sequence[RecommendationAnswer]
) -> DocumentVersion:
    """The author sends a new version back to the chair (after formal fixes or revision)."""
    process: ExpertiseProcess = activation.process
    document = Document.objects.get(pk=process.document_id)
    if document.author_id != actor.pk:
        raise ValidationError(_("Only the author can submit this document."))
    answers_check(answers, open_recommendations(document))
    version = version_freeze(document=document, actor=actor)
    recommendations_answer(answers=answers, version=version)
    document_set_stage(document=document, stage=Stage.SCREENING)
    event_record(
        document=document,
        actor=actor,
        kind=EventKind.SUBMITTED,
        version_number=version.number,
    )
    activation.execute()
    return version


def task_perform(*, task: Any, actor: User, step: Any) -> Any:
    """Do a human task from code (the demo loader, management commands): the same lock,
    checks and services as the task pages."""
    from django.core.exceptions import PermissionDenied
    from viewflow.workflow.status import STATUS

    with task.activation() as activation:  # flow lock + transaction + refresh
        if task.owner_id != actor.pk or task.status != STATUS.ASSIGNED:
            raise PermissionDenied("not this user's open task")
        activation.start(None)
        with notices.step_gathered():  # the step's notices and reminders, in bulk
            return step(activation)


# After the expertise: the council session, the pedagogical council, the director.


def _flow_locks_take(document_ids: Sequence[int]) -> None:
    """Take the flow lock of every process of these documents at once, inside the caller's
    transaction (a protocol's confirmation moves all its documents in one), or raise
    FlowLockFailed when one stays busy through the flow lock's attempts.

    viewflow's own lock (SELECT … FOR UPDATE NOWAIT) catches the lock error inside a
    savepoint PostgreSQL has already aborted: nested in a caller's transaction, a busy
    process made the request fail with InternalError instead of FlowLockFailed. Here each
    try has its own savepoint, rolled back on failure; the locks taken stay held until the
    caller's transaction ends, so viewflow's lock in each step then finds its row ours."""
    from viewflow.workflow.exceptions import FlowLockFailed

    if not document_ids:
        return
    attempts = getattr(_flow().lock_impl, "attempts", 5)
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                list(
                    ExpertiseProcess.objects.select_for_update(nowait=True)
                    .filter(document_id__in=document_ids)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            return
        except DatabaseError:
            if attempt == attempts - 1:
                raise FlowLockFailed("a document's process is locked") from None
            # viewflow's back-off between attempts (viewflow.workflow.lock)
            time.sleep((((attempt + 1) * random.random()) + 2**attempt) / 2.5)  # noqa: S311


def council_decisions_apply(*, decisions: Sequence[tuple[Document, str, str]], actor: User) -> None:
    """Release each document's "Council session" task with the decision in the confirmed
    protocol: (document, AgendaItem.Decision value, the protocol's wording). All of them or
    none."""
    with transaction.atomic():
        _council_decisions_apply(decisions=decisions, actor=actor)


def _council_decisions_apply(
    *, decisions: Sequence[tuple[Document, str, str]], actor: User
) -> None:
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    Route = ExpertiseProcess.CouncilRoute
    flow = _flow()
    _flow_locks_take([document.pk for document, _decision, _wording in decisions])
    for document, decision, wording in decisions:
        task = Task.objects.get(
            process__expertiseprocess__document=document,
            flow_task=flow.council_session,
            status=STATUS.NEW,
        )
        route = Route.of(decision)
        if route == Route.RECOMMEND_APPROVAL:
            document_set_stage(document=document, stage=Stage.PEDAGOGICAL)
            kind = EventKind.COUNCIL_DECIDED
        elif route == Route.RETURN:
            document_set_stage(document=document, stage=Stage.REVISION)
            kind = EventKind.RETURNED_TO_AUTHOR
        else:
            kind = EventKind.COUNCIL_DECIDED
        event_record(
            document=document,
            actor=actor,
            kind=kind,
            version_number=document.version_count,
            note=wording,
        )
        flow.council_session.run(task, decision=route)
        if route == Route.RETURN:
            _tell_author_returned(document, wording)


def pedagogical_record(
    *,
    activation: Any,
    actor: User,
    considered: bool,
    protocol_number: str,
    considered_on: datetime.date | None,
    reason: str,
) -> None:
    process: ExpertiseProcess = activation.process
    document = Document.objects.get(pk=process.document_id)
    if considered:
        # Who would approve it, without assigning anyone yet: the director's task is
        # created (and its "acting for" recorded) when this step completes.
        if _flow().instance.director_of(activation) is None:
            raise ValidationError(
                _(
                    "The school has no active director to approve the document. Ask the school "
                    "administrator to set one up (role “Director”)."
                )
            )
        document_pedagogical_record(
            document=document,
            actor=actor,
            protocol_number=protocol_number,
            considered_on=considered_on,
        )
        event_record(
            document=document,
            actor=actor,
            kind=EventKind.PEDAGOGICAL_CONSIDERED,
            version_number=document.version_count,
            note=f"№{document.pedagogical_protocol_number}, {considered_on:%d.%m.%Y}",
        )
        process.pedagogical_outcome = ExpertiseProcess.PedagogicalOutcome.CONSIDERED
    else:
        _return_to_author(document=document, actor=actor, reason=reason)
        process.pedagogical_outcome = ExpertiseProcess.PedagogicalOutcome.RETURNED
    process.save()
    activation.execute()
    if not considered:
        _tell_author_returned(document, reason)


def document_approve(*, activation: Any, actor: User, approve: bool, reason: str) -> None:
    """The director's "Бекитем": register the document, or send it back to its author."""
    process: ExpertiseProcess = activation.process
    document = Document.objects.get(pk=process.document_id)
    if approve:
        document_register(document=document, actor=actor)
        event_record(
            document=document,
            actor=actor,
            kind=EventKind.APPROVED,
            version_number=document.version_count,
            note=document.registry_number,  # shown with its label in the reader's language
        )
        process.director_outcome = ExpertiseProcess.DirectorOutcome.APPROVED
        from .tasks import approval_sheet_enqueue

        approval_sheet_enqueue(document.pk)
    else:
        _return_to_author(document=document, actor=actor, reason=reason)
        process.director_outcome = ExpertiseProcess.DirectorOutcome.RETURNED
    process.save()
    activation.execute()
    if approve:
        notices.document_outcome(document, Kind.DOCUMENT_APPROVED)
    else:
        _tell_author_returned(document, reason)


def _return_to_author(*, document: Document, actor: User, reason: str) -> None:
    """A return after the expertise (pedagogical council, director): a reason is required,
    the author revises, the timeline says who and why."""
    if not reason.strip():
        raise ValidationError(_("Say why the document goes back to its author."))
    document_set_stage(document=document, stage=Stage.REVISION)
    event_record(
        document=document,
        actor=actor,
        kind=EventKind.RETURNED_TO_AUTHOR,
        version_number=document.version_count,
        note=reason.strip(),
    )


def _tell_author_returned(document: Document, reason: str) -> None:
    # After the flow moved on: the author's revision task exists now and is the link.
    notices.document_outcome(
        document, Kind.DOCUMENT_RETURNED, reason.strip(), task=notices.author_task(document)
    )


def council_protocol_confirmed(*, protocol: Any, session: Any, actor: User, **_kwargs: Any) -> None:
    """A session's protocol is confirmed (council.signals.protocol_confirmed, inside the
    council's transaction): each document on the agenda moves on by the council's
    decision, under its process's lock (FlowLockFailed undoes the confirmation)."""
    items = session.items.filter(document__isnull=False).select_related("document")
    council_decisions_apply(
        decisions=[
            (
                item.document,
                item.decision,
                _("Protocol №%(number)s: %(decision)s")
                % {
                    "number": protocol.number,
                    "decision": item.resolution or item.get_decision_display(),
                },
            )
            for item in items
        ],
        actor=actor,
    )


def review_extend(*, review: Review, actor: User, due_date: datetime.date) -> Review:
    """The chair gives one expert more time; their reminders follow the new date."""
    document = review.round.document
    _require_chair_of(document, actor)
    process = ExpertiseProcess.objects.get(document=document)
    with _flow().lock(process.pk), transaction.atomic():
        return _review_extend_locked(review=review, actor=actor, due_date=due_date)


def _review_extend_locked(*, review: Review, actor: User, due_date: datetime.date) -> Review:
    # Re-read under the lock: the expert may have just submitted.
    review = Review.objects.select_related("round__document", "round__version", "expert").get(
        pk=review.pk
    )
    document = review.round.document
    review_due_date_set(review=review, actor=actor, due_date=due_date)
    notices.deadlines_arm(review)
    event_record(
        document=document,
        actor=actor,
        kind=EventKind.DUE_DATE_EXTENDED,
        version_number=review.round.version.number,
        round_number=review.round.number,
        note=f"{review.expert.get_full_name()}: {due_date:%d.%m.%Y}",
    )
    return review


def review_replace(*, review: Review, actor: User, expert: User) -> Review:
    """The chair hands an open review to another council member: the task moves to them,
    the old review stays in the record as replaced."""
    from viewflow.workflow.status import STATUS

    document = review.round.document
    _require_chair_of(document, actor)
    process = ExpertiseProcess.objects.get(document=document)
    with _flow().lock(process.pk), transaction.atomic():
        review = Review.objects.select_related("round__version", "expert").get(pk=review.pk)
        if review.submitted_at is not None or review.replaced_by_id is not None:
            raise ValidationError(_("This review is no longer open."))
        allowed = council_members(
            school=document.school_id, academic_year=document.academic_year_id
        ).exclude(pk=document.author_id)
        if not allowed.filter(pk=expert.pk).exists():
            raise ValidationError(
                _("Experts must be members of this year's council, and not the document's author.")
            )
        new = review_hand_over(review=review, actor=actor, expert=expert)
        task = notices.open_review_task(review)
        if task is None or task.status != STATUS.ASSIGNED:
            raise ValidationError(_("This review is no longer open."))
        notices.deadlines_cancel(review)
        owner = acting_assignee(expert)
        if owner.pk == document.author_id:
            owner = expert  # nobody acts on their own document
        task.data = {"expert": expert.pk, "review": new.pk}
        if owner.pk != expert.pk:
            task.data["acting_for"] = expert.pk
        # viewflow's own transition (it checks the task is still assigned and saves it);
        # who may hand it over was checked above.
        task.flow_task.activation_class(task).reassign(user=owner)
        event_record(
            document=document,
            actor=actor,
            kind=EventKind.EXPERT_REPLACED,
            version_number=review.round.version.number,
            round_number=review.round.number,
            note=f"{review.expert.get_full_name()} → {expert.get_full_name()}",
        )
        notices.task_assigned(task, document)
        return new


def _require_chair_of(document: Document, actor: User) -> None:
    from django.core.exceptions import PermissionDenied

    council = council_for(school=document.school_id, academic_year=document.academic_year_id)
    if council is None or council.chair_id != actor.pk:
        raise PermissionDenied(_("Only the chair of the council can do this."))


def task_reassign(*, task: Any, actor: User, new_owner: User) -> Any:
    """Hand an open task of a person who left (or whose role went to someone else) to
    `new_owner`, through viewflow's own reassign transition, under the flow lock. The
    timeline records it and the new owner is told. A revision goes with its document:
    whoever takes it over becomes the document's author."""
    from django.core.exceptions import PermissionDenied
    from viewflow.workflow.status import STATUS

    from notifications.services import notify

    from .selectors import AUTHOR_NODES, can_manage_tasks, unowned_tasks

    if not can_manage_tasks(actor):
        raise PermissionDenied(_("Only the chair or the school administrator can do this."))
    with task.activation() as activation:  # flow lock + transaction + refresh
        if task.status != STATUS.ASSIGNED:
            raise ValidationError(_("This task has already been completed."))
        row = next(
            (
                r
                for r in unowned_tasks(actor.school_id)
                if r.get("task") and r["task"].pk == task.pk
            ),
            None,
        )
        if row is None:
            raise ValidationError(_("This task has an active owner."))
        if new_owner.pk not in {c.pk for c in row["candidates"]}:
            raise ValidationError(_("This person cannot take this task."))
        document = Document.objects.get(pk=activation.process.document_id)
        previous = task.owner
        node = task.flow_task.name
        if node in AUTHOR_NODES:
            document_author_change(document=document, actor=actor, author=new_owner)
        # The new owner acts for nobody. viewflow's transition saves the task with its new
        # owner; it checks the source state only, who may act was checked above.
        task.data.pop("acting_for", None)
        activation.reassign(user=new_owner)
        event_record(
            document=document,
            actor=actor,
            kind=EventKind.TASK_REASSIGNED,
            version_number=document.version_count or None,
            note=f"{_msgid_text(task.flow_task.task_title)}: "
            f"{previous.get_full_name() if previous else '—'} → {new_owner.get_full_name()}",
        )
        if node in AUTHOR_NODES:
            # task_assigned leaves authors to their document's notices; this one is new.
            notify(
                recipient=new_owner,
                kind=Kind.TASK_ASSIGNED,
                params={
                    "task_msgid": _msgid_text(task.flow_task.task_title),
                    "document": document.title,
                },
                url=notices.task_url(task),
                dedupe_key=f"task_assigned:{task.pk}:{new_owner.pk}",
            )
        else:
            notices.task_assigned(task, document)
    return task


def _msgid_text(lazy: Any) -> str:
    return notices._msgid(lazy)
