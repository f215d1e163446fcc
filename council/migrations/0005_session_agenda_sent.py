"""The agenda's marker on a session (council.notices.council_reminders reads only the
sessions whose agenda has not gone out), and its partial index, built concurrently on
PostgreSQL. No data to move: the first run after the deploy finds the sessions of the next
days unmarked, their agendas' dedupe keys already used, and only marks them."""

from django.conf import settings
from django.db import migrations, models

from common.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction (common/migrations_ops.py).
    atomic = False

    dependencies = [
        ('council', '0004_council_task'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='session',
            name='agenda_sent_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='agenda sent to the members'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='session',
            index=models.Index(condition=models.Q(('agenda_sent_at__isnull', True)), fields=['date'], name='session_agenda_unsent'),
        ),
    ]
