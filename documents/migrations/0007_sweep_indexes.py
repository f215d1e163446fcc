"""Indexes of the periodic jobs (each named beside its query in models.py), built
concurrently on PostgreSQL."""

from django.conf import settings
from django.db import migrations, models

from common.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction (common/migrations_ops.py).
    atomic = False

    dependencies = [
        ('accounts', '0004_user_district'),
        ('documents', '0006_document_file_sha256'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='document',
            index=models.Index(fields=['updated_at'], name='doc_updated'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='document',
            index=models.Index(condition=models.Q(('approval_sheet', ''), ('stage', 'approved')), fields=['id'], name='doc_approved_without_sheet'),
        ),
    ]
