"""The baseline of the transition bench: viewflow alone, served by its own views. A start
and one human task assigned to a person, on viewflow's own Process model, with the same
lock as the project's flow."""

from __future__ import annotations

from typing import Any

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView


class BareFlow(flow.Flow):
    """Bare flow: start, one assigned task, end."""

    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.approve)
    approve = flow.View(UpdateProcessView.as_view(fields=[])).Assign(this.owner_of).Next(this.end)
    end = flow.End()

    def owner_of(self, activation: Any) -> Any:
        from accounts.models import User

        return User.objects.get(pk=activation.process.data["owner"])

    def start_process(self, activation: Any, owner_id: int) -> Any:
        activation.process.data = {"owner": owner_id}
        return activation.process
