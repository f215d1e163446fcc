"""The search-text sweep now reads documents whose content is marked unread
(documents 0011) instead of joining the last week's saves with their texts: mark what the
old sweep would still have found (saved in its last 7 days without a text, or since theirs
was built), so that no build lost before the deploy is forgotten."""

import datetime

from django.db import migrations
from django.db.models import F, Q
from django.utils import timezone

SWEEP_DAYS = 7


def mark_unread(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    since = timezone.now() - datetime.timedelta(days=SWEEP_DAYS)
    Document.objects.filter(updated_at__gte=since).filter(
        Q(search__isnull=True) | Q(search__indexed_at__lt=F("updated_at"))
    ).update(content_unread_since=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ('documents', '0011_document_content_unread'),
        ('reports', '0004_version_text'),
    ]

    operations = [migrations.RunPython(mark_unread, migrations.RunPython.noop, elidable=True)]
