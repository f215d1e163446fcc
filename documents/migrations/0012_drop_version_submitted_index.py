"""The version-text sweep reads reports.VersionTextOwed now; nothing else reads versions by
their submission time, so the index goes (without locking the table's writes on PostgreSQL)."""

from django.db import migrations

from common.migrations_ops import RemoveIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("documents", "0011_document_content_unread"),
        ("reports", "0006_version_text_owed"),
    ]

    operations = [
        RemoveIndexConcurrentlyOnPostgres(
            model_name="documentversion",
            name="version_submitted",
        ),
    ]
