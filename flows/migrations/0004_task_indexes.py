"""Indexes on viewflow's task table for the project's own queries (viewflow indexes each
column alone; at 10 million rows an index of one column plus an index of every open task
in the country, combined by a BitmapAnd, costs milliseconds per page).

- flows_task_inbox: the inbox and the menu's count (flows.selectors.inbox_tasks /
  inbox_count / open_task_for, flows.notices.author_task):
  WHERE owner_id = … AND status = 'ASSIGNED' AND flow_task_type = 'HUMAN'
  ORDER BY created DESC — partial: only open human tasks, a small share of the table.

Built CONCURRENTLY (the table is written by every transition); SQLite (`make run`) skips
them."""

from django.db import migrations

from common.migrations_ops import postgresql_statements


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("flows", "0003_deadline"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        postgresql_statements(
            [
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS flows_task_inbox ON viewflow_task "
                "(owner_id, created DESC) "
                "WHERE status = 'ASSIGNED' AND flow_task_type = 'HUMAN'",
            ],
            ["DROP INDEX CONCURRENTLY IF EXISTS flows_task_inbox"],
        )
    ]
