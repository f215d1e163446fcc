"""PostgreSQL-only indexes (SQLite, used by `make run`, skips them, like
documents/migrations/0002_append_only_triggers.py).

- Search: `search_text LIKE '%…%'` on the case-folded text (reports.selectors.
  search_documents) is served by a pg_trgm GIN index; a B-tree cannot serve a
  leading wildcard.
- Overdue tasks: open human tasks of a school's processes (reports.selectors.open_tasks),
  WHERE status IN ('NEW','ASSIGNED','STARTED') AND process_id = …: a partial index holds
  only the open tasks, a small fraction of viewflow_task once the years pile up."""

from django.db import migrations

STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS reports_documenttext_search_trgm "
    "ON reports_documenttext USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS reports_task_open_process "
    "ON viewflow_task (process_id) "
    "WHERE status IN ('NEW', 'ASSIGNED', 'STARTED') AND flow_task_type = 'HUMAN'",
]
REVERSE = [
    "DROP INDEX IF EXISTS reports_task_open_process",
    "DROP INDEX IF EXISTS reports_documenttext_search_trgm",
    # The extension stays: other indexes or people may use it.
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in STATEMENTS:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in REVERSE:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
