"""Documents whose content is still unread (the search text's sweep): a nullable column
(no rewrite of the table) and a partial index of the rows where it is set, normally none,
built concurrently on PostgreSQL. The query is named beside the index in models.py."""

from django.db import migrations, models

from common.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction (common/migrations_ops.py).
    atomic = False

    dependencies = [
        ('documents', '0010_official_paper'),
    ]

    operations = [
        migrations.AddField(
            model_name='document',
            name='content_unread_since',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='document',
            index=models.Index(condition=models.Q(('content_unread_since__isnull', False)), fields=['id'], name='doc_content_unread'),
        ),
    ]
