"""The version-text sweep's index (named beside its query in models.py), built concurrently
on PostgreSQL."""

from django.db import migrations, models

from common.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction (common/migrations_ops.py).
    atomic = False

    dependencies = [
        ('documents', '0008_task_reassigned_event'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='documentversion',
            index=models.Index(fields=['submitted_at'], name='version_submitted'),
        ),
    ]
