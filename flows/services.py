"""Steps of the expertise. Each runs inside the flow lock (the task views take it) and
writes the domain records, the document's stage and the timeline event in the same
transaction as the viewflow transition."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from council.selectors import council_for, council_members
from documents.models import (
    Document,
    DocumentVersion,
    EventKind,
    ExpertiseRound,
    Recommendation,
    Review,
    Stage,
)
from documents.services import (
    RecommendationAnswer,
    document_set_stage,
    event_record,
    recommendations_answer,
    review_submit,
    round_decide,
    round_open,
    version_freeze,
)

from .models import ExpertiseProcess


def _flow() -> Any:
    from .flows import ExpertiseFlow

    return ExpertiseFlow


def current_round(document: Document) -> ExpertiseRound | None:
    return document.rounds.order_by("-number").first()


def latest_version(document: Document) -> DocumentVersion:
    return document.versions.order_by("-number").first()


def open_recommendations(document: Document) -> list[Recommendation]:
    """The recommendations the author must answer: those of the last round, if it was
    sent back for revision."""
    last = current_round(document)
    if last is None or last.decision != ExpertiseRound.Decision.REVISE:
        return []
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
        council_members(school=document.school, academic_year=document.academic_year)
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
    process.screening = ExpertiseProcess.Screening.ACCEPT
    process.save()
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
    process.save()
    document_set_stage(document=document, stage=Stage.RETURNED)
    event_record(
        document=document,
        actor=actor,
        kind=EventKind.RETURNED,
        version_number=document.version_count,
        note=reason.strip(),
    )
    activation.execute()


def review_complete(
    *,
    activation: Any,
    actor: User,
    opinion: str,
    comment: str,
    recommendations: Sequence[str],
) -> Review:
    review = Review.objects.select_related("round").get(pk=activation.task.data["review"])
    if review.expert_id != actor.pk:
        raise ValidationError(_("This review is assigned to another expert."))
    review_submit(review=review, opinion=opinion, comment=comment, recommendations=recommendations)
    document = activation.process.document
    event_record(
        document=document,
        actor=actor,
        kind=EventKind.REVIEWED,
        version_number=review.round.version.number,
        round_number=review.round.number,
        note=review.get_opinion_display(),
    )
    activation.execute()
    # Under the flow lock, so exactly one of two simultaneous last reviews sees zero.
    if not review.round.reviews.filter(submitted_at__isnull=True).exists():
        document_set_stage(document=document, stage=Stage.DECISION)
    return review


def expertise_decide(*, activation: Any, actor: User, decision: str, reason: str) -> None:
    process: ExpertiseProcess = activation.process
    document = process.document
    expertise_round = current_round(document)
    if expertise_round.reviews.filter(submitted_at__isnull=True).exists():
        raise ValidationError(_("Not every expert has given an opinion yet."))
    if decision == ExpertiseRound.Decision.REJECT and not reason.strip():
        raise ValidationError(_("Give the reason for the rejection."))
    round_decide(
        expertise_round=expertise_round, decision=decision, reason=reason.strip(), decided_by=actor
    )
    process.decision = decision
    process.save()
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
        return step(activation)
