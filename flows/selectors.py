from __future__ import annotations

from typing import Any

from django.db.models import Exists, Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from documents.models import Document, EventKind, ExpertiseRound, Review
from documents.selectors import (
    document_reviews_by_round,
    document_timeline,
    documents_visible_to,
)


def inbox_tasks(user: User) -> QuerySet[Task]:
    """The user's open tasks, with each task's document, in a fixed number of queries.

    Served by viewflow's owner_id and status indexes (see VIEWFLOW.md §11)."""
    return (
        Task.objects.filter(owner=user, status=STATUS.ASSIGNED, flow_task_type="HUMAN")
        .select_related(
            "process",
            "process__expertiseprocess__document__author",
            "process__expertiseprocess__document__academic_year",
        )
        .order_by("-created", "-pk")
    )


def inbox_count(user: User) -> int:
    """Open expertise tasks and open council steps, in one query."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from council.models import CouncilTask

    def counted(qs: QuerySet, owner: str) -> Subquery:
        return Subquery(
            qs.order_by().values(owner).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        )

    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            flow=counted(
                Task.objects.filter(
                    owner=OuterRef("pk"), status=STATUS.ASSIGNED, flow_task_type="HUMAN"
                ),
                "owner_id",
            ),
            council=counted(
                CouncilTask.objects.filter(assignee=OuterRef("pk"), status=CouncilTask.Status.OPEN),
                "assignee_id",
            ),
        )
        .values_list(
            Coalesce("flow", Value(0)),
            Coalesce("council", Value(0)),
        )
        .first()
    )
    return sum(row) if row else 0


def council_steps_of(user: User) -> list[Any]:
    """The user's open council steps (agenda, protocol, confirmation), soonest due first:
    a handful at most, shown above the expertise tasks (one query)."""
    from council.models import CouncilTask

    return list(
        CouncilTask.objects.filter(assignee=user, status=CouncilTask.Status.OPEN)
        .select_related("session", "council__academic_year")
        .order_by("due_date", "pk")
    )


def open_task_for(user: User, document_id: int) -> Task | None:
    return (
        Task.objects.filter(
            owner=user,
            status=STATUS.ASSIGNED,
            flow_task_type="HUMAN",
            process__expertiseprocess__document_id=document_id,
        )
        .order_by("-created")
        .first()
    )


# Blind expertise (regulation 2.3; the experts review "in parallel and independently").


def reviews_visible_to(user: User, document: Document) -> QuerySet[Review]:
    """The reviews of `document` whose opinion, comment and recommendations `user` may see.

    The one rule every page, export and the API read reviews through. Within a round the
    experts are blind to each other: until an expert has given their own opinion of a
    round, no other opinion of that round is shown to them. A round's opinions are the
    chair's working material until the chair decides on it; from then on everyone who may
    open the document (the author included) sees the whole round, and earlier rounds stay
    visible to the experts of later ones. The chair of the document's council, and
    whoever holds the chair's decision task while the chair is away, see every round.

    Lazy: one query when evaluated, whatever the number of rounds (subqueries only)."""
    from council.models import Council

    from .flows import ExpertiseFlow

    if not user.is_authenticated:
        return Review.objects.none()
    reviews = Review.objects.filter(
        round__document=document,
        round__document__in=documents_visible_to(user).values("pk"),
    )
    chairs = Exists(
        Council.objects.filter(
            school_id=document.school_id,
            academic_year_id=document.academic_year_id,
            chair=user,
        )
    )
    acting_chair = Exists(
        Task.objects.filter(
            process__expertiseprocess__document=document,
            flow_task=ExpertiseFlow.decide,
            owner=user,
            status__in=(STATUS.ASSIGNED, STATUS.STARTED),
        )
    )
    answered_rounds = Review.objects.filter(
        Q(expert=user) | Q(acting_expert=user),
        round__document=document,
        submitted_at__isnull=False,
    ).values("round_id")
    return reviews.filter(
        chairs | acting_chair | ~Q(round__decision="") | Q(round_id__in=answered_rounds)
    )


def rounds_for(user: User, document: Document) -> list[ExpertiseRound]:
    """The document's rounds, newest first, with only the reviews `user` may see
    (`round.hidden` when a round's opinions are not theirs to see yet)."""
    rounds = document_reviews_by_round(document, reviews=reviews_visible_to(user, document))
    for expertise_round in rounds:
        expertise_round.hidden = not expertise_round.reviews.all()
        expertise_round.awaits_my_review = False
    if any(r.hidden for r in rounds):
        # Tell an expert why: their own opinion opens the round to them.
        mine = set(
            Review.objects.filter(
                Q(expert=user) | Q(acting_expert=user),
                round__document=document,
                submitted_at__isnull=True,
                replaced_by__isnull=True,
            ).values_list("round_id", flat=True)
        )
        for expertise_round in rounds:
            expertise_round.awaits_my_review = expertise_round.pk in mine
    return rounds


def timeline_for(user: User, document: Document, rounds: list[ExpertiseRound]) -> list:
    """The document's timeline; an opinion given in a round whose opinions `user` may not
    see yet (`rounds` from rounds_for) is listed without the opinion itself."""
    hidden = {r.number for r in rounds if r.hidden}
    events = document_timeline(document)
    for event in events:
        event.note_hidden = event.kind == EventKind.REVIEWED and event.round_number in hidden
    return events
