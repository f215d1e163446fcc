"""The missing-protocol reminder's marker on a session (council.notices.council_reminders
reads only the sessions whose chair is still owed it), and its partial index, built
concurrently on PostgreSQL. No data to move: sessions already reminded are found again in
the first run after the deploy and marked without a second reminder (its dedupe key is
used); sessions confirmed before the deploy drop out of the month's window by themselves."""

from django.db import migrations, models

from common.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction (common/migrations_ops.py).
    atomic = False

    dependencies = [
        ('council', '0006_council_quarter_checked'),
    ]

    operations = [
        migrations.AddField(
            model_name='session',
            name='protocol_reminder_done_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='protocol reminder no longer owed'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='session',
            index=models.Index(condition=models.Q(('protocol_reminder_done_at__isnull', True)), fields=['date'], name='session_protocol_reminder_owed'),
        ),
    ]
