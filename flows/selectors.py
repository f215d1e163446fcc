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

from .stages import AUTHOR_NODES, CHAIR_NODES, NODES, RETURN_EVENTS, RETURN_REASON_ENDS, Holder


def inbox_tasks(user: User) -> QuerySet[Task]:
    """The user's open tasks, with each task's document, in a fixed number of queries.

    Served by viewflow's owner_id and status indexes (flows/migrations/0004_task_indexes.py)."""
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


def return_reason(document: Document) -> str:
    """Why the document came back to its author, unless an expertise round sent it back
    (its recommendations are shown instead): the newest return since the last submission."""
    event = (
        document.events.filter(kind__in=(*RETURN_EVENTS, *RETURN_REASON_ENDS))
        .order_by("-created_at", "-pk")
        .first()
    )
    if event is not None and event.kind in RETURN_EVENTS:
        return event.note
    return ""


# Tasks of people who left, or whose role went to someone else.

# CHAIR_NODES and AUTHOR_NODES (imported above from the registry, flows/stages.py) are
# the steps that go to the council's chair and to the author.


def can_manage_tasks(user: User) -> bool:
    """The school administrator and the chair of a council of the school hand over tasks
    of people who left."""
    from council.models import Council

    if not user.is_authenticated or user.school_id is None:
        return False
    if user.has_perm("accounts.change_user"):
        return True
    if not user.has_perm("flows.chair_expertiseprocess"):
        return False  # from the cached permissions: no query on most people's inbox
    return Council.objects.filter(school_id=user.school_id, chair=user).exists()


def _permission_holders(school_id: int, dotted: str) -> set[int]:
    app_label, codename = dotted.split(".", 1)
    return set(
        User.objects.filter(school_id=school_id, is_active=True)
        .filter(
            Q(
                groups__permissions__codename=codename,
                groups__permissions__content_type__app_label=app_label,
            )
            | Q(
                user_permissions__codename=codename,
                user_permissions__content_type__app_label=app_label,
            )
        )
        .values_list("pk", flat=True)
    )


def unowned_tasks(school_id: int, *, person_id: int | None = None) -> list[dict[str, Any]]:
    """Open tasks of the school whose owner cannot act on them any more: deactivated, no
    longer holding the step's role, or a chair's step while another person chairs the
    council now. Each row offers who may take it (`candidates`), the role's new holder
    first when there is one (`suggested`). A fixed number of queries: the open tasks, the
    councils, one per role (four at most), the council members."""
    from council.models import Council, CouncilMember, CouncilTask

    tasks = list(
        Task.objects.filter(
            process__expertiseprocess__document__school_id=school_id,
            status=STATUS.ASSIGNED,
            flow_task_type="HUMAN",
        )
        .select_related("owner", "process__expertiseprocess__document__author")
        .order_by("created", "pk")
    )
    councils = {
        c.academic_year_id: c
        for c in Council.objects.filter(school_id=school_id).select_related("chair")
    }
    holders = {
        perm: _permission_holders(school_id, perm)
        for perm in {t.flow_task._owner_permission for t in tasks}
    }
    members: dict[int, set[int]] = {}
    for council_id, user_id in CouncilMember.objects.filter(
        council__school_id=school_id, user__is_active=True
    ).values_list("council_id", "user_id"):
        members.setdefault(council_id, set()).add(user_id)
    people = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=set().union(*holders.values()) if holders else set()
        ).order_by("last_name", "first_name", "pk")
    }
    rows = []
    for task in tasks:
        document = task.process.expertiseprocess.document
        node = task.flow_task.name
        council = councils.get(document.academic_year_id)
        owner = task.owner
        allowed = holders[task.flow_task._owner_permission]
        acting_for = task.data.get("acting_for")
        chair_moved = (
            node in CHAIR_NODES and council and council.chair_id not in (owner.pk, acting_for)
            if owner is not None
            else False
        )
        if owner is None or not owner.is_active:
            reason = "inactive"
        elif chair_moved or (acting_for is None and owner.pk not in allowed):
            reason = "role"
        else:
            continue
        if person_id is not None and task.owner_id != person_id:
            continue
        candidate_ids = set(allowed) - {document.author_id}
        if node in CHAIR_NODES and council and council.chair.is_active:
            # The council's new chair, even before the admin gave them the role's group.
            candidate_ids.add(council.chair_id)
            people.setdefault(council.chair_id, council.chair)
        if node in AUTHOR_NODES:
            candidate_ids = set(allowed)
        elif NODES[node].holder == Holder.EXPERT and council is not None:
            candidate_ids &= members.get(council.pk, set())
        candidate_ids.discard(task.owner_id)
        suggested = None
        if node in CHAIR_NODES and council and council.chair_id in candidate_ids:
            suggested = council.chair_id
        elif NODES[node].holder == Holder.DIRECTOR and len(candidate_ids) == 1:
            suggested = next(iter(candidate_ids))
        rows.append(
            {
                "task": task,
                "document": document,
                "reason": reason,
                "candidates": sorted(
                    (p for pk, p in people.items() if pk in candidate_ids),
                    key=lambda p: (p.last_name, p.first_name, p.pk),
                ),
                "suggested": suggested,
                "becomes_author": node in AUTHOR_NODES,
            }
        )
    council_steps = CouncilTask.objects.filter(
        council__school_id=school_id,
        status=CouncilTask.Status.OPEN,
        assignee__is_active=False,
    ).select_related("assignee", "session", "council")
    if person_id is not None:
        council_steps = council_steps.filter(assignee_id=person_id)
    return rows + [
        {"council_step": step, "reason": "inactive"}
        for step in council_steps.order_by("due_date", "pk")
    ]


def open_tasks_of(user: User) -> bool:
    """Whether the person still holds open tasks (expertise tasks or council steps)."""
    from council.models import CouncilTask

    return (
        Task.objects.filter(owner=user, status=STATUS.ASSIGNED, flow_task_type="HUMAN").exists()
        or CouncilTask.objects.filter(assignee=user, status=CouncilTask.Status.OPEN).exists()
    )
