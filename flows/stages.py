"""The one registry of where a document stands and what each step of the expertise is.

For every `documents.Stage`: its group on the dashboard and its place on the strip of main
steps of the document page. For every node of `ExpertiseFlow`: the stage a document is in
while the process waits there, whose step it is, whether its time is measured on the
dashboard, whether its owner is told of the task, and which timeline events completing it
writes. Reports, notices, the chart, the task pages and the API read these tables instead
of keeping their own lists; tests/flows/test_stages.py fails when a Stage, a node or an
event kind is added without its entry here.

flows sits above documents and notifications (it may import both); reports above flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.models import EventKind, Stage


class DashboardGroup(models.TextChoices):
    """The dashboard's stages, each a group of the flow's finer `Stage`s, in the order the
    dashboard shows them."""

    DRAFT = "draft", _("Draft")
    IN_EXPERTISE = "in_expertise", _("In expertise")
    IN_REVISION = "in_revision", _("In revision")
    AWAITING_COUNCIL = "awaiting_council", _("Awaiting a council session")
    AWAITING_PEDAGOGICAL = "awaiting_pedagogical", _("Awaiting the pedagogical council")
    AWAITING_DIRECTOR = "awaiting_director", _("Awaiting the director")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# The main path of the expertise, in order, as the strip on the document page shows it.
MAIN_STEPS: list[Any] = [
    _("Draft"),
    _("Screening by the chair"),
    _("Expert review"),
    _("Decision of the chair"),
    _("Council session"),
    _("Pedagogical council"),
    _("Approval by the director"),
    _("Approved and registered"),
]


@dataclass(frozen=True)
class StageEntry:
    group: DashboardGroup
    step: int  # index into MAIN_STEPS
    # Off the main path: shown on its step in its own words ("Returned for formal fixes").
    off_path: bool = False


STAGES: dict[str, StageEntry] = {
    Stage.DRAFT: StageEntry(DashboardGroup.DRAFT, 0),
    Stage.SCREENING: StageEntry(DashboardGroup.IN_EXPERTISE, 1),
    # Formal fixes count as revision on the dashboard: the author holds the pen in both.
    Stage.RETURNED: StageEntry(DashboardGroup.IN_REVISION, 1, off_path=True),
    Stage.IN_EXPERTISE: StageEntry(DashboardGroup.IN_EXPERTISE, 2),
    Stage.DECISION: StageEntry(DashboardGroup.IN_EXPERTISE, 3),
    Stage.REVISION: StageEntry(DashboardGroup.IN_REVISION, 3, off_path=True),
    Stage.REJECTED: StageEntry(DashboardGroup.REJECTED, 3, off_path=True),
    Stage.RECOMMENDED: StageEntry(DashboardGroup.AWAITING_COUNCIL, 4),
    Stage.PEDAGOGICAL: StageEntry(DashboardGroup.AWAITING_PEDAGOGICAL, 5),
    Stage.DIRECTOR: StageEntry(DashboardGroup.AWAITING_DIRECTOR, 6),
    Stage.APPROVED: StageEntry(DashboardGroup.APPROVED, 7),
}


def stages_of_group(group: str) -> tuple[str, ...]:
    return tuple(stage for stage, entry in STAGES.items() if entry.group == group)


class Holder(models.TextChoices):
    """Whose step a human task is (who may take it over when its owner leaves)."""

    CHAIR = "chair"
    AUTHOR = "author"
    EXPERT = "expert"
    DIRECTOR = "director"


@dataclass(frozen=True)
class NodeEntry:
    # Where the document stands while the process waits at this node; None for the nodes
    # the process passes through at once (start, gateways, split and join).
    stage: str | None = None
    # Its created → finished time is on the dashboard (the people's steps and the wait for
    # a session).
    measured: bool = False
    holder: str = ""  # a Holder for the human tasks, "" otherwise
    # The owner gets a "task assigned" notice. The author's tasks do not: the author hears
    # what became of the document, with a link to the same task.
    tells_owner: bool = False
    # The timeline events that completing the node may write.
    events: tuple[str, ...] = ()


NODES: dict[str, NodeEntry] = {
    "start": NodeEntry(events=(EventKind.SUBMITTED,)),
    "screen": NodeEntry(
        Stage.SCREENING,
        measured=True,
        holder=Holder.CHAIR,
        tells_owner=True,
        events=(EventKind.EXPERTS_ASSIGNED, EventKind.RETURNED),
    ),
    "screened": NodeEntry(),
    "fix": NodeEntry(
        Stage.RETURNED, measured=True, holder=Holder.AUTHOR, events=(EventKind.SUBMITTED,)
    ),
    "split_reviews": NodeEntry(),
    "review": NodeEntry(
        Stage.IN_EXPERTISE,
        measured=True,
        holder=Holder.EXPERT,
        tells_owner=True,
        events=(EventKind.REVIEWED,),
    ),
    "join_reviews": NodeEntry(),
    "decide": NodeEntry(
        Stage.DECISION,
        measured=True,
        holder=Holder.CHAIR,
        tells_owner=True,
        events=(EventKind.SENT_TO_REVISION, EventKind.REJECTED, EventKind.RECOMMENDED),
    ),
    "decided": NodeEntry(),
    "revise": NodeEntry(
        Stage.REVISION, measured=True, holder=Holder.AUTHOR, events=(EventKind.SUBMITTED,)
    ),
    "rejected": NodeEntry(Stage.REJECTED),
    # Released by the protocol's confirmation, not by a person's task.
    "council_session": NodeEntry(
        Stage.RECOMMENDED,
        measured=True,
        events=(EventKind.COUNCIL_DECIDED, EventKind.RETURNED_TO_AUTHOR),
    ),
    "council_decided": NodeEntry(),
    "pedagogical": NodeEntry(
        Stage.PEDAGOGICAL,
        measured=True,
        holder=Holder.CHAIR,
        tells_owner=True,
        events=(EventKind.PEDAGOGICAL_CONSIDERED, EventKind.RETURNED_TO_AUTHOR),
    ),
    "pedagogical_done": NodeEntry(),
    "approve": NodeEntry(
        Stage.DIRECTOR,
        measured=True,
        holder=Holder.DIRECTOR,
        tells_owner=True,
        events=(EventKind.APPROVED, EventKind.RETURNED_TO_AUTHOR),
    ),
    "approved": NodeEntry(),
    "end": NodeEntry(Stage.APPROVED),
}

# Timeline events written outside the flow's steps (by the author or by the chair's
# handling of tasks and reviews).
OTHER_EVENTS: tuple[str, ...] = (
    EventKind.CREATED,
    EventKind.DUE_DATE_EXTENDED,
    EventKind.EXPERT_REPLACED,
    EventKind.TASK_REASSIGNED,
)

# Events that give the document back to its author with a reason (the event's note)…
RETURN_EVENTS: tuple[str, ...] = (EventKind.RETURNED, EventKind.RETURNED_TO_AUTHOR)
# …and those after which that reason no longer stands: a new submission, or an expertise
# round that sent it back (its recommendations are shown instead).
RETURN_REASON_ENDS: tuple[str, ...] = (EventKind.SUBMITTED, EventKind.SENT_TO_REVISION)


def nodes_where(**wanted: Any) -> tuple[str, ...]:
    """The names of the nodes whose entry has the given values, in the flow's order."""
    return tuple(
        name
        for name, entry in NODES.items()
        if all(getattr(entry, key) == value for key, value in wanted.items())
    )


MEASURED_NODES = nodes_where(measured=True)
CHAIR_NODES = nodes_where(holder=Holder.CHAIR)
AUTHOR_NODES = nodes_where(holder=Holder.AUTHOR)


def node_of(task: Any) -> NodeEntry:
    return NODES[task.flow_task.name]


def flow_nodes(names: tuple[str, ...] = MEASURED_NODES) -> dict[str, Any]:
    """The flow's node objects by name (a Task's `flow_task` compares with them)."""
    from .flows import ExpertiseFlow

    return {name: getattr(ExpertiseFlow, name) for name in names}
