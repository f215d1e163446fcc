"""The paragraphs still owed are kept in a table of their own; what the old sweep would
still have found (versions of the last week without text) is owed from the start."""

import datetime

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def owe_recent(apps, schema_editor):
    DocumentVersion = apps.get_model("documents", "DocumentVersion")
    VersionTextOwed = apps.get_model("reports", "VersionTextOwed")
    since = timezone.now() - datetime.timedelta(days=7)
    missing = DocumentVersion.objects.filter(submitted_at__gte=since, text__isnull=True)
    VersionTextOwed.objects.bulk_create(
        [VersionTextOwed(version_id=pk) for pk in missing.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0011_document_content_unread'),
        ('reports', '0005_mark_unread_documents'),
    ]

    operations = [
        migrations.CreateModel(
            name='VersionTextOwed',
            fields=[
                ('version', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='documents.documentversion', verbose_name='document version')),
                ('since', models.DateTimeField(auto_now_add=True, verbose_name='submitted')),
            ],
            options={
                'verbose_name': 'version text owed',
                'verbose_name_plural': 'version texts owed',
            },
        ),
        migrations.RunPython(owe_recent, migrations.RunPython.noop),
    ]
