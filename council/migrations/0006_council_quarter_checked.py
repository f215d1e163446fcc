"""The quarter's marker on a council (council.notices.council_reminders reads only the
councils not checked for the ending quarter yet), and its index, built concurrently on
PostgreSQL. No data to move: in the first run after the deploy, the councils with a
session in the quarter are marked in one statement, and those whose chair was already
reminded are marked without a second reminder (its dedupe key is used)."""

from django.conf import settings
from django.db import migrations, models

from common.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction (common/migrations_ops.py).
    atomic = False

    dependencies = [
        ('accounts', '0006_rolechange_append_only'),
        ('council', '0005_session_agenda_sent'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='council',
            name='quarter_checked',
            field=models.PositiveSmallIntegerField(db_default=0, default=0, editable=False, verbose_name='last quarter checked for a session'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='council',
            index=models.Index(fields=['academic_year', 'quarter_checked'], name='council_quarter_checked'),
        ),
    ]
