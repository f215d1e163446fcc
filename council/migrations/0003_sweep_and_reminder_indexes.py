"""Indexes of the periodic jobs (each named beside its query in models.py), built
concurrently on PostgreSQL."""

from django.conf import settings
from django.db import migrations, models

from common.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction (common/migrations_ops.py).
    atomic = False

    dependencies = [
        ('council', '0002_annualreport_session_protocol_attendance_agendaitem_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='annualreport',
            index=models.Index(condition=models.Q(('pdf', '')), fields=['id'], name='annual_report_without_pdf'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='protocol',
            index=models.Index(condition=models.Q(('confirmed_at__isnull', True)), fields=['session'], name='protocol_unconfirmed'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='protocol',
            index=models.Index(condition=models.Q(('confirmed_at__isnull', False), models.Q(('pdf', ''), ('docx', ''), _connector='OR')), fields=['id'], name='protocol_without_files'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='session',
            index=models.Index(fields=['date'], name='session_date'),
        ),
    ]
