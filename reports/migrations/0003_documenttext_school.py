"""Search within the reader's school first.

`reports.selectors.search_documents` runs
    WHERE documenttext.school_id = … AND documenttext.search_text LIKE '%…%'
A trigram index over the whole country made a common word recheck every school's texts
(hundreds of thousands of rows to keep one school's dozens); the school now leads a GIN
index (btree_gin makes the bigint a GIN key) next to the trigrams, so the index intersects
the school's rows with the text match. Built concurrently; the old trigram-only index goes.
SQLite (`make run`) skips the PostgreSQL parts and scans the school's rows."""

import django.db.models.deletion
from django.db import migrations, models

from common.migrations_ops import postgresql_statements

FILL = (
    "UPDATE reports_documenttext SET school_id = (SELECT d.school_id FROM documents_document d "
    "WHERE d.id = reports_documenttext.document_id) WHERE school_id IS NULL"
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0004_user_district"),
        ("reports", "0002_postgresql_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="documenttext",
            name="school",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.school",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=False),
        postgresql_statements(
            [
                "CREATE EXTENSION IF NOT EXISTS btree_gin",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS reports_documenttext_school_search "
                "ON reports_documenttext USING gin (school_id, search_text gin_trgm_ops)",
                "DROP INDEX CONCURRENTLY IF EXISTS reports_documenttext_search_trgm",
            ],
            [
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS reports_documenttext_search_trgm "
                "ON reports_documenttext USING gin (search_text gin_trgm_ops)",
                "DROP INDEX CONCURRENTLY IF EXISTS reports_documenttext_school_search",
            ],
        ),
    ]
