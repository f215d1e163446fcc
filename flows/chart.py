"""Where a document stands: a strip of the main steps, and the full workflow chart.

The chart takes only the *layout* from viewflow (where each node and edge goes) and draws
it itself: viewflow's own SVG title-cases every label (`|title`: "Төраганын Алгачкы
Текшерүүсү"), writes its gateways' "yes"/"no" in English and is meant to be shrunk to the
page's width, which makes 12 px text about 6 px on a laptop. Here the labels are the
flow's translated titles as written (sentence case), edge labels are translated, and the
chart keeps its natural size inside its own scrolling box, so text stays 14 px."""

from __future__ import annotations

from dataclasses import dataclass
from textwrap import wrap
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy
from viewflow.workflow import chart
from viewflow.workflow.status import STATUS

from documents.models import Document, Stage

from .stages import MAIN_STEPS, STAGES

TASK_FONT = 14
TASK_LINE_CHARS = 18
LABEL_FONT = 12
LABEL_LINE_CHARS = 22

EDGE_LABELS = {
    "yes": pgettext_lazy("workflow chart", "yes"),
    "no": pgettext_lazy("workflow chart", "no"),
}

# viewflow task status → how the chart marks the node.
STATUS_CLASS = {
    STATUS.DONE: "done",
    STATUS.NEW: "current",
    STATUS.ASSIGNED: "current",
    STATUS.STARTED: "current",
    STATUS.SCHEDULED: "current",
    STATUS.ERROR: "error",
    STATUS.CANCELED: "canceled",
}


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current", "todo", "stopped"


def stage_steps(document: Document) -> list[Step]:
    """The main steps (stages.MAIN_STEPS) with the document's place among them. A stage
    off the main path (returned, in revision, rejected) shows on its step in its own
    words."""
    entry = STAGES[document.stage]
    current = entry.step
    steps = []
    for i, label in enumerate(MAIN_STEPS):
        if i < current or document.stage == Stage.APPROVED:
            steps.append(Step(str(label), "done"))
        elif i == current:
            text = document.get_stage_display() if entry.off_path else str(label)
            state = "stopped" if document.stage == Stage.REJECTED else "current"
            steps.append(Step(text, state))
        else:
            steps.append(Step(str(label), "todo"))
    return steps


def _kind(node: Any) -> str:
    name = type(node).__name__
    if name.startswith("Start"):
        return "start"
    if name == "End":
        return "end"
    if name in ("If", "Switch"):
        return "choice"
    if name in ("Split", "Join", "ForEachSplit", "SplitFirst"):
        return "parallel"
    return "task"


def process_chart_svg(process: Any) -> SafeString:
    """The flow's chart with the nodes this process has passed or stands at marked."""
    flow_class = process.flow_class
    grid = chart.calc_layout_data(flow_class)
    chart.calc_cell_status(flow_class, grid, process.pk)
    nodes = []
    for cell in grid.cells:
        node, shape = cell.node, cell.shape
        kind = _kind(node)
        title = str(node.task_title or node.name.replace("_", " ").capitalize())
        if kind == "task":
            lines = wrap(title, TASK_LINE_CHARS) or [""]
            top = shape.height / 2 - (len(lines) - 1) * TASK_FONT * 0.6
            text_x, step, font = shape.width / 2, TASK_FONT * 1.2, TASK_FONT
        else:
            # Events and gateways are small: their label goes above them, last line nearest.
            lines = wrap(title, LABEL_LINE_CHARS) or [""]
            top = -6 - (len(lines) - 1) * LABEL_FONT * 1.15
            text_x, step, font = shape.width / 2, LABEL_FONT * 1.15, LABEL_FONT
        nodes.append(
            {
                "kind": kind,
                "x": shape.x,
                "y": shape.y,
                "w": shape.width,
                "h": shape.height,
                "r": shape.width / 2,
                "status": STATUS_CLASS.get(cell.status, "") if cell.status else "",
                "title": title,
                "font": font,
                "lines": [(line, text_x, top + n * step) for n, line in enumerate(lines)],
            }
        )
    edges = []
    for edge in grid.edges:
        if not edge.segments:
            continue
        label = EDGE_LABELS.get(edge.label, edge.label) if edge.label else ""
        edges.append(
            {
                "d": "M" + " L".join(f"{x},{y}" for x, y in edge.segments),
                "label": str(label) if label else "",
                "label_pos": edge.label_pos,
            }
        )
    # Room above the top row and left of the start for the labels of small nodes.
    margin = 50
    return render_to_string(
        "flows/chart.svg",
        {
            "nodes": nodes,
            "edges": edges,
            "width": grid.width + 2 * margin,
            "height": grid.height + margin,
            "margin": margin,
        },
    )
