"""Documents that go through the council's expertise (regulation 2.3), their frozen
versions, the experts' reviews and recommendations, and the append-only timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import AcademicYear, MethodicalAssociation, School


class DocumentType(models.TextChoices):
    DEVELOPMENT_PROGRAM = "development_program", _("Development program")
    EDUCATIONAL_PROGRAM = "educational_program", _("Educational program")
    LESSON_PLAN = "lesson_plan", _("Lesson plan")
    WORK_PLAN = "work_plan", _("Plan of scientific-methodical work")
    OTHER = "other", pgettext_lazy("document type", "Other")


class Stage(models.TextChoices):
    """Where a document stands. Written by the flow's services in the same transaction as
    the flow step that moves it, so it never disagrees with the process."""

    DRAFT = "draft", _("Draft")
    SCREENING = "screening", _("Awaiting screening")
    RETURNED = "returned", _("Returned for formal fixes")
    IN_EXPERTISE = "in_expertise", _("In expertise")
    DECISION = "decision", _("Awaiting the chair's decision")
    REVISION = "revision", _("In revision")
    REJECTED = "rejected", _("Rejected")
    RECOMMENDED = "recommended", _("Recommended to a council session")
    PEDAGOGICAL = "pedagogical", _("Awaiting the pedagogical council")
    DIRECTOR = "director", _("Awaiting the director's approval")
    APPROVED = "approved", _("Approved")


# Stages in which the author holds the pen.
AUTHOR_EDITABLE_STAGES = (Stage.DRAFT, Stage.RETURNED, Stage.REVISION)


def upload_path(instance: models.Model, filename: str) -> str:
    # The stored name never reuses the uploader's name (it may be anything); the original
    # name is kept in a column and given back on download.
    import uuid

    return f"documents/{uuid.uuid4().hex}"


class DocumentQuerySet(models.QuerySet):
    def for_school(self, school: School | None) -> DocumentQuerySet:
        if school is None:
            return self.none()
        return self.filter(school=school)


class Document(models.Model):
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="documents"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    doc_type = models.CharField(_("type"), max_length=30, choices=DocumentType.choices)
    title = models.CharField(_("title"), max_length=300)
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name=_("academic year"), on_delete=models.PROTECT
    )
    methodical_association = models.ForeignKey(
        MethodicalAssociation,
        verbose_name=_("methodical association"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    description = models.TextField(_("description"), blank=True)
    # The working file; every submission freezes it into a DocumentVersion.
    file = models.FileField(_("file"), upload_to=upload_path, max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    file_kind = models.CharField(_("file type"), max_length=10, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.DRAFT)
    version_count = models.PositiveIntegerField(_("versions"), default=0)
    # "Каралды": the pedagogical council's protocol that considered the document.
    pedagogical_protocol_number = models.CharField(
        _("pedagogical council protocol №"), max_length=20, blank=True
    )
    pedagogical_reviewed_on = models.DateField(_("considered on"), null=True, blank=True)
    # "Бекитем": the director's approval, the registry number and the approval sheet.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_documents",
    )
    approver_position = models.CharField(_("approver's position"), max_length=200, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    registry_number = models.CharField(_("registry number"), max_length=30, blank=True)
    approval_sheet = models.FileField(
        _("approval sheet"), upload_to="approval-sheets/", max_length=200, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # When the title, description or file last changed, until whoever reads the content
    # has read it (reports: the search text; then NULL, documents.services.content_read).
    # Set by save() itself, in the same statement, so no path that changes the content
    # can forget it; what is still unread is found by a partial index, not by a scan.
    content_unread_since = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-updated_at", "-pk"]
        permissions = [
            ("view_school_documents", _("Can see every submitted document of the school"))
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "registry_number"],
                condition=~models.Q(registry_number=""),
                name="document_registry_number_unique",
            )
        ]
        indexes = [
            # "My documents": WHERE author_id = … ORDER BY updated_at DESC
            models.Index(fields=["author", "-updated_at"], name="doc_author_updated"),
            # School list filtered by stage: WHERE school_id = … AND stage = … ORDER BY updated_at
            models.Index(fields=["school", "stage", "-updated_at"], name="doc_school_stage"),
            # Dashboard figures and every status list filtered by year (reports/):
            # WHERE school_id = … AND academic_year_id = … [ORDER BY updated_at DESC]
            models.Index(fields=["school", "academic_year", "-updated_at"], name="doc_school_year"),
            # Lists filtered by type: WHERE school_id = … AND doc_type = … ORDER BY updated_at
            models.Index(fields=["school", "doc_type", "-updated_at"], name="doc_school_type"),
            # Lists filtered by methodical association: WHERE methodical_association_id = …
            # ORDER BY updated_at DESC
            models.Index(
                fields=["methodical_association", "-updated_at"], name="doc_association_updated"
            ),
            # Lists across schools in the model's order (the admin's, a superuser's):
            # ORDER BY updated_at DESC
            models.Index(fields=["updated_at"], name="doc_updated"),
            # The search-text sweep (reports.tasks.documents_to_index), normally nothing to
            # find: WHERE content_unread_since IS NOT NULL ORDER BY id
            models.Index(
                fields=["id"],
                condition=models.Q(content_unread_since__isnull=False),
                name="doc_content_unread",
            ),
            # The missing-file sweep (flows.tasks.render_missing_files): approved documents
            # without their approval sheet, normally none: WHERE stage = 'approved' AND
            # approval_sheet = ''
            models.Index(
                fields=["id"],
                condition=models.Q(stage="approved", approval_sheet=""),
                name="doc_approved_without_sheet",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # What a reader of the content reads; saving any of them marks it unread.
    CONTENT_FIELDS = frozenset({"title", "description", "file"})

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or self.CONTENT_FIELDS.intersection(update_fields):
            self.content_unread_since = timezone.now()
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "content_unread_since"]
        super().save(*args, **kwargs)

    @property
    def is_author_editable(self) -> bool:
        return self.stage in AUTHOR_EDITABLE_STAGES


class DocumentVersion(models.Model):
    """A frozen submission. Never updated: a change is a new version."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    file = models.FileField(_("file"), max_length=200)
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("file size"))
    file_kind = models.CharField(_("file type"), max_length=10)
    sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document} · v{self.number}"

    def save(self, *args, **kwargs) -> None:
        # Integrity, not business logic: a frozen version is never rewritten.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("A document version is frozen and cannot be changed.")
        super().save(*args, **kwargs)


class ExpertiseRound(models.Model):
    """One round of expertise of one version: the experts, their due date, the decision."""

    class Decision(models.TextChoices):
        REVISE = "revise", _("Return to the author for revision")
        REJECT = "reject", _("Reject")
        RECOMMEND = "recommend", _("Recommend to a council session")

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="rounds"
    )
    number = models.PositiveIntegerField(_("round"))
    version = models.ForeignKey(
        DocumentVersion, verbose_name=_("version"), on_delete=models.PROTECT
    )
    due_date = models.DateField(_("due date"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("expertise round")
        verbose_name_plural = _("expertise rounds")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="round_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document} · {self.number}"


class Opinion(models.TextChoices):
    APPROVE = "approve", _("Approve")
    APPROVE_WITH_CHANGES = "approve_with_changes", _("Approve with changes")
    REVISE = "revise", _("Revise")
    REJECT = "reject", _("Reject")


class Review(models.Model):
    """An expert's review in a round. Created when the chair assigns the expert; filled in
    when the expert completes their task."""

    round = models.ForeignKey(
        ExpertiseRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="reviews"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("expert"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    opinion = models.CharField(_("opinion"), max_length=30, choices=Opinion.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # The chair may give one expert more time than the round's due date.
    due_date = models.DateField(_("extended due date"), null=True, blank=True)
    # Who actually gave the opinion when a substitute acted for the expert.
    acting_expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acting for the expert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replaced_by = models.OneToOneField(
        "self",
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
    )

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["round", "expert__last_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "expert"], name="review_one_per_expert")
        ]
        indexes = [
            # An expert's open reviews: WHERE expert_id = … AND submitted_at IS NULL
            models.Index(fields=["expert", "submitted_at"], name="review_expert_open"),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.expert}"

    @property
    def effective_due_date(self):
        return self.due_date or self.round.due_date


class Recommendation(models.Model):
    """One recommendation (сунуш) of an expert, and the author's answer to it."""

    class Answer(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    number = models.PositiveIntegerField(_("number"))
    text = models.TextField(_("recommendation"))
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices, blank=True)
    answer_reason = models.TextField(_("reason"), blank=True)
    answered_in = models.ForeignKey(
        DocumentVersion,
        verbose_name=_("answered in version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answered_recommendations",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="recommendation_number")
        ]

    def __str__(self) -> str:
        return self.text[:80]


class EventKind(models.TextChoices):
    CREATED = "created", _("created the document")
    SUBMITTED = "submitted", _("submitted the document for expertise")
    RETURNED = "returned", _("returned the document for formal fixes")
    EXPERTS_ASSIGNED = "experts_assigned", _("assigned experts")
    REVIEWED = "reviewed", _("gave an expert opinion")
    SENT_TO_REVISION = "sent_to_revision", _("returned the document for revision")
    REJECTED = "rejected", _("rejected the document")
    RECOMMENDED = "recommended", _("recommended the document to a council session")
    COUNCIL_DECIDED = "council_decided", _("recorded the council's decision")
    PEDAGOGICAL_CONSIDERED = (
        "pedagogical_considered",
        _("recorded the pedagogical council's consideration"),
    )
    APPROVED = "approved", _("approved the document")
    RETURNED_TO_AUTHOR = "returned_to_author", _("returned the document to its author")
    DUE_DATE_EXTENDED = "due_date_extended", _("extended an expert's due date")
    EXPERT_REPLACED = "expert_replaced", _("replaced an expert")
    TASK_REASSIGNED = "task_reassigned", _("handed a task of a person who left to another")


class DocumentEvent(models.Model):
    """The append-only timeline: who did what, when, to which version."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("what"), max_length=30, choices=EventKind.choices)
    version_number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    round_number = models.PositiveIntegerField(_("round"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "pk"]
        indexes = [
            # A document's timeline: WHERE document_id = … ORDER BY created_at
            models.Index(fields=["document", "created_at"], name="event_document_time"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_kind_display()}"

    def save(self, *args, **kwargs) -> None:
        # The audit trail is append-only (PostgreSQL refuses it too: migration 0002's triggers).
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Timeline events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[override]
        raise ValueError("Timeline events are append-only.")

    @property
    def display_note(self) -> str:
        """The note in the reader's language: codes are stored, not words, for the kinds
        whose note is a fixed choice."""
        if self.kind == EventKind.REVIEWED and self.note in Opinion.values:
            return str(Opinion(self.note).label)
        if self.kind == EventKind.APPROVED and self.note:
            return _("Registry number %(number)s") % {"number": self.note}
        return self.note


# Official papers and their verification live in their own module (see its docstring).
from .paper_models import OfficialPaper, PaperKind, PaperStatus, VerificationThrottle  # noqa: E402, F401
