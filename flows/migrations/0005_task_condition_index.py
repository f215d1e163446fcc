"""viewflow's sweep of due conditions (flows.tasks.fire_workflow_timers →
viewflow.workflow.timers.fire_due_conditions) runs every minute:
    WHERE status = 'NEW' AND flow_task_type = 'CONDITION' ORDER BY created DESC
viewflow's index on status alone made it filter every waiting task in the country (the
council-session tasks); this partial index holds only waiting conditions (none in the
expertise flow today), so the sweep reads an empty index. Built CONCURRENTLY; SQLite skips."""

from django.db import migrations

from common.migrations_ops import postgresql_statements


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("flows", "0004_task_indexes")]

    operations = [
        postgresql_statements(
            [
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS flows_task_waiting_condition "
                "ON viewflow_task (created DESC) "
                "WHERE status = 'NEW' AND flow_task_type = 'CONDITION'",
            ],
            ["DROP INDEX CONCURRENTLY IF EXISTS flows_task_waiting_condition"],
        )
    ]
