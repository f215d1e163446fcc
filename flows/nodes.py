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
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.status import STATUS


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


class StepJoinActivation(JoinActivation):
    """viewflow's Join, reading less within one step: the join task found for an arriving
    branch takes the process instance the step already holds (viewflow reads it afresh,
    and the step's document with it), and whether the join is done is asked of the
    database once per activation (viewflow asks it again inside `complete`)."""

    @classmethod
    def create(cls, flow_task: Any, prev_activation: Any, token: Any, data=None, seed=None):
        task_class = flow_task.flow_class.task_class
        process = prev_activation.process
        found = list(
            task_class._default_manager.filter(
                flow_task=flow_task, process=process, status__in=[STATUS.NEW, STATUS.STARTED]
            )[:2]
        )
        if len(found) > 1:
            raise FlowRuntimeError("More than one join instance for process found")
        if found:
            task = found[0]
            task.process = process
        else:
            if token.is_split_token():
                token = token.get_base_split_token()
            task = task_class(process=process, flow_task=flow_task, token=token)
            task.data = data if data is not None else {}
            task.seed = seed
            task.save()
        task.previous.add(prev_activation.task)
        return cls(task)

    def __init__(self, task: Any) -> None:
        self._is_done: bool | None = None
        self._prefixes: set | None = None
        super().__init__(task)

    def is_done(self) -> bool:
        if self._is_done is None:
            self._is_done = super().is_done()
        return self._is_done

    def _join_token_prefixes(self) -> set:
        if self._prefixes is None:
            self._prefixes = super()._join_token_prefixes()
        return self._prefixes


class StepJoin(flow.Join):
    activation_class = StepJoinActivation
