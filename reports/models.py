"""Status tracking: the permissions of the dashboards, and the search text of documents.

The figures themselves have no tables: they are read from the rows the flow writes
(documents, reviews, viewflow tasks), so they can never disagree with the process."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import School
from documents.models import Document, DocumentVersion


class Reports(models.Model):
    """Holds the permissions of the reports; no table (managed = False)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", _("Can see the status dashboard of the school")),
            ("view_district", _("Can see the dashboards of the district's schools")),
        ]

    def __str__(self) -> str:
        return "reports"


class DocumentText(models.Model):
    """What search looks in: the title, description and the text of the document's file,
    case-folded. Derived data, rebuilt by a Celery task after every save of the document
    (and by a sweep for any it missed); the file is read only when it changed."""

    document = models.OneToOneField(
        Document,
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="search",
        primary_key=True,
    )
    # The document's school, copied here so that search narrows to the reader's school
    # inside the index before it matches any text: a GIN index on (school_id, search_text
    # gin_trgm_ops) (migration 0003) serves WHERE school_id = … AND search_text LIKE '%…%'
    # (reports.selectors.search_documents) without rechecking the whole country's texts.
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    # The stored file name the text was extracted from; a new upload changes the name.
    file_name = models.CharField(max_length=200, blank=True)
    file_text = models.TextField(blank=True)
    # casefold(title + description + file_text): matched with LIKE, so the match does not
    # depend on the database's locale (SQLite's LIKE folds ASCII only).
    search_text = models.TextField(blank=True)
    indexed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("search text")
        verbose_name_plural = _("search texts")

    def __str__(self) -> str:
        return str(self.document_id)


class VersionText(models.Model):
    """The paragraphs of a frozen version's file, for comparing versions. A version never
    changes, so its text is extracted once, by a Celery task after the submission commits
    (and by the search sweep for any it missed)."""

    version = models.OneToOneField(
        DocumentVersion,
        verbose_name=_("document version"),
        on_delete=models.CASCADE,
        related_name="text",
        primary_key=True,
    )
    paragraphs = models.JSONField(default=list, blank=True)
    extracted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("version text")
        verbose_name_plural = _("version texts")

    def __str__(self) -> str:
        return str(self.version_id)


class VersionTextOwed(models.Model):
    """A frozen version whose paragraphs are not read yet: written in the submission's
    transaction (reports.receivers.version_text_read), deleted by the build. The sweep
    (reports.tasks.versions_to_extract) reads this small table, which is empty when every
    text is built, instead of the week's versions in the country (versions are append-only,
    so they cannot carry an "unread" mark as documents do)."""

    version = models.OneToOneField(
        DocumentVersion,
        verbose_name=_("document version"),
        on_delete=models.CASCADE,
        related_name="+",
        primary_key=True,
    )
    since = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        verbose_name = _("version text owed")
        verbose_name_plural = _("version texts owed")

    def __str__(self) -> str:
        return str(self.version_id)
