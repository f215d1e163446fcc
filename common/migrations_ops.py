"""Migration operations for indexes on tables that grow to millions of rows.

On PostgreSQL an index on a big table is built with CREATE INDEX CONCURRENTLY, so a deploy
never holds a write lock on viewflow_task or documents while it builds (minutes at national
scale); the migration that uses them must be non-atomic (`atomic = False`). SQLite (the
embedded default of `make run`) has no such thing and gets a plain CREATE INDEX."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


class RemoveIndexConcurrentlyOnPostgres(RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY on PostgreSQL (no lock on the table's writes), a plain
    DROP INDEX elsewhere."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.RemoveIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.RemoveIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


def postgresql_statements(forwards: list[str], backwards: list[str]) -> migrations.RunPython:
    """Raw statements (CREATE INDEX CONCURRENTLY on tables the project does not own, or
    PostgreSQL-only index types) that SQLite skips."""

    def run(statements: list[str]):
        def apply(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor != "postgresql":
                return
            for statement in statements:
                schema_editor.execute(statement, params=None)

        return apply

    return migrations.RunPython(run(forwards), run(backwards), elidable=False)
