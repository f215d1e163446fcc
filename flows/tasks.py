from __future__ import annotations

from celery import shared_task


@shared_task(name="flows.tasks.fire_workflow_timers", ignore_result=True)
def fire_workflow_timers() -> dict[str, int]:
    """Fire viewflow's database timers (open-source viewflow ships no Celery task for it).

    Each due timer is re-checked under the flow lock, so overlapping sweeps never fire one
    twice; the beat entry's `expires` keeps sweeps from piling up."""
    from viewflow.workflow.timers import fire_due_conditions, fire_due_start_timers, fire_due_timers

    return {
        "timers": fire_due_timers(),
        "start_timers": fire_due_start_timers(),
        "conditions": fire_due_conditions(),
    }
