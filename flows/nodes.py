"""A parallel split over a list known only at run time (the chair's experts).

viewflow 2.4's open-source Split creates at most one task per branch (its `data_source`
argument is PRO-only), so this node creates one task of the next node per item, with the
item in `task.data`, on split tokens that the stock Join understands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import SplitActivation


class ForEachSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self) -> None:
        items = list(self.flow_task._items_source(self) or [])
        if not items:
            raise FlowRuntimeError(f"{self.flow_task.name}: no items to split over")
        node = self.flow_task._activate_next[0][0]
        self.next_tasks = [(node, dict(item)) for item in items]


class ForEachSplit(flow.Split):
    activation_class = ForEachSplitActivation

    def __init__(self, items_source: Callable[[Activation], list[dict[str, Any]]], **kwargs: Any):
        super().__init__(**kwargs)
        self._items_source = items_source

    def Next(self, node: Any, case: Any = None) -> ForEachSplit:
        if self._activate_next:
            raise ValueError("ForEachSplit has exactly one outgoing node")
        return super().Next(node)

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._items_source = this.resolve(instance, self._items_source)

    def _ready(self) -> None:
        super()._ready()
        # Shown as a multi-instance task in the chart and the BPMN export.
        self._activate_next[0][0]._multi_instance = True
