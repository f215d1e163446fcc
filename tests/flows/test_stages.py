"""The registry of stages and nodes (flows/stages.py) maps every Stage, every node of the
flow and every timeline event kind, and every page that groups by it takes any stage."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.models import Document, EventKind, Stage
from documents.services import event_record
from flows.chart import stage_steps
from flows.flows import ExpertiseFlow
from flows.selectors import return_reason
from flows.stages import (
    MAIN_STEPS,
    NODES,
    OTHER_EVENTS,
    STAGES,
    DashboardGroup,
    Holder,
    stages_of_group,
)
from reports import selectors

# Nodes the process waits at: a person's task, the council's session, an end.
WAITING_TYPES = {"HUMAN", "FUNCTION", "END"}


def flow_nodes():
    return list(ExpertiseFlow.instance.nodes())


def test_it_maps_every_stage_to_a_dashboard_group_and_a_step():
    missing = [stage for stage in Stage.values if stage not in STAGES]
    assert missing == [], f"Stages without an entry in flows/stages.py STAGES: {missing}"
    assert set(STAGES) == set(Stage.values), "STAGES names a stage that is not a Stage"
    for stage, entry in STAGES.items():
        assert entry.group in DashboardGroup.values, stage
        assert 0 <= entry.step < len(MAIN_STEPS), f"{stage}: step {entry.step} is not a step"


def test_it_leaves_no_dashboard_group_empty():
    assert [g for g in DashboardGroup if not stages_of_group(g)] == []


def test_it_maps_every_node_of_the_flow():
    names = [node.name for node in flow_nodes()]
    missing = [name for name in names if name not in NODES]
    assert missing == [], f"Nodes of ExpertiseFlow without an entry in NODES: {missing}"
    assert sorted(NODES) == sorted(names), "NODES names a node the flow does not have"


def test_it_gives_every_waiting_node_a_stage_and_only_those():
    for node in flow_nodes():
        entry = NODES[node.name]
        waits = node.task_type in WAITING_TYPES
        assert (entry.stage is not None) == waits, (
            f"{node.name} ({node.task_type}): stage {entry.stage!r}; a node the process "
            "waits at needs the stage the document is in there, a passing node none"
        )
        assert entry.stage is None or entry.stage in Stage.values


def test_it_measures_and_assigns_every_persons_step():
    for node in flow_nodes():
        entry = NODES[node.name]
        if node.task_type == "HUMAN":
            assert entry.measured, f"{node.name}: a person's step whose time is not measured"
            assert entry.holder in Holder.values, f"{node.name}: whose step is it?"
            # The author hears the document's outcome instead of a "task assigned".
            assert entry.tells_owner == (entry.holder != Holder.AUTHOR), node.name
        else:
            assert entry.holder == "" and not entry.tells_owner, node.name
    # The council's session is no person's task, but its wait is on the dashboard.
    assert NODES["council_session"].measured


def test_it_maps_every_timeline_event_kind():
    written = {kind for entry in NODES.values() for kind in entry.events} | set(OTHER_EVENTS)
    missing = [kind for kind in EventKind.values if kind not in written]
    assert missing == [], f"Event kinds no node (nor OTHER_EVENTS) writes: {missing}"
    assert written <= set(EventKind.values)


def test_it_shows_the_current_step_on_the_strip_for_every_stage():
    for stage in Stage.values:
        steps = stage_steps(Document(stage=stage))
        assert len(steps) == len(MAIN_STEPS), stage
        here = [s for s in steps if s.state in ("current", "stopped")]
        if stage == Stage.APPROVED:
            assert {s.state for s in steps} == {"done"}
        else:
            assert len(here) == 1, f"{stage}: {steps}"
            assert steps.index(here[0]) == STAGES[stage].step, stage


@pytest.mark.django_db
def test_it_counts_a_document_in_every_stage_on_the_dashboard_and_its_lists(world):
    for stage in Stage.values:
        Document.objects.create(
            title=f"Документ {stage}",
            stage=stage,
            author=world.chair,  # drafts are their author's alone
            school=world.school,
            academic_year=world.year,
            doc_type="lesson_plan",
        )

    data = selectors.school_dashboard(school=world.school, academic_year=world.year)

    assert {key: n for key, _label, n in data.by_stage} == {
        group.value: len(stages_of_group(group)) for group in DashboardGroup
    }
    assert data.total == len(Stage.values)
    page = world.client(world.chair).get(reverse("reports:dashboard"))
    assert page.status_code == 200
    for group in DashboardGroup:
        listed = world.client(world.chair).get(
            reverse("documents:school"), {"stage": group.value, "year": world.year.pk}
        )
        assert listed.status_code == 200, group
        titles = {d.title for d in listed.context["page"].object_list}
        assert titles == {f"Документ {s}" for s in stages_of_group(group)}, group


@pytest.mark.django_db
def test_it_gives_the_reason_of_the_latest_return_until_the_next_submission(world):
    document = Document.objects.create(
        title="План",
        stage=Stage.RETURNED,
        author=world.author,
        school=world.school,
        academic_year=world.year,
        doc_type="lesson_plan",
    )

    def then(kind: str, note: str = "") -> str:
        event_record(document=document, actor=world.chair, kind=kind, note=note)
        return return_reason(document)

    assert return_reason(document) == ""
    assert then(EventKind.RETURNED, "Титулдук барак жок.") == "Титулдук барак жок."
    assert then(EventKind.SUBMITTED) == ""
    assert then(EventKind.RETURNED_TO_AUTHOR, "Педкеңеш кайтарды.") == "Педкеңеш кайтарды."
    assert then(EventKind.REVIEWED, "approve") == "Педкеңеш кайтарды."
    # A round's revision shows its recommendations instead of a reason.
    assert then(EventKind.SENT_TO_REVISION, "Сунуштар.") == ""
