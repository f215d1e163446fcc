"""Official papers as issued: what the public verification page may say about each one.

A row is written when a worker renders an approval sheet, a protocol or an annual report,
and holds a copy of exactly the facts the page shows — never a join to reviews, people or
recommendations — so that the page cannot show more than the paper itself says.
(Imported by `documents.models`; split out to keep that module readable.)
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import School


class PaperKind(models.TextChoices):
    APPROVAL_SHEET = "approval_sheet", _("Approval sheet")
    PROTOCOL = "protocol", _("Protocol of a council session")
    ANNUAL_REPORT = "annual_report", _("Annual report of the council")


class PaperStatus(models.TextChoices):
    # Reserved by a rendering worker; not shown to anybody until the file is stored.
    PENDING = "pending", _("Being issued")
    VALID = "valid", _("Valid")
    SUPERSEDED = "superseded", _("Superseded")
    REVOKED = "revoked", _("Revoked")


class OfficialPaper(models.Model):
    # 26 characters of Crockford base32: 130 random bits, typed from the paper by hand.
    code = models.CharField(_("verification code"), max_length=26, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PaperKind.choices)
    # The issuing row (a document, a protocol, an annual report): an id per kind rather
    # than a foreign key, because protocols and reports live in an app above this one.
    object_id = models.PositiveBigIntegerField()
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="papers"
    )
    title = models.CharField(_("title"), max_length=400, blank=True)
    number = models.CharField(_("number"), max_length=40, blank=True)
    approved_on = models.DateField(_("date of approval"), null=True, blank=True)
    # [{"name": …, "role": "approver" | "chair" | "secretary", "position": …}]
    signatories = models.JSONField(_("signatories"), default=list, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    version_sha256 = models.CharField(
        _("SHA-256 of the approved version's file"), max_length=64, blank=True
    )
    # The subject of the certificate that signed the PDF; empty when issued unsigned.
    signed_by = models.CharField(_("electronically signed by"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PaperStatus.choices, default=PaperStatus.PENDING
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason of revocation"), blank=True)

    class Meta:
        verbose_name = _("official paper")
        verbose_name_plural = _("official papers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Two workers rendering the same paper share one reserved code.
            models.UniqueConstraint(
                fields=["kind", "object_id"],
                condition=models.Q(status="pending"),
                name="paper_one_pending",
            ),
            # A newer paper supersedes the valid one when it is issued.
            models.UniqueConstraint(
                fields=["kind", "object_id"],
                condition=models.Q(status="valid"),
                name="paper_one_valid",
            ),
        ]
        indexes = [
            # The papers of one record, newest first (issue, the staff's view):
            # WHERE kind = … AND object_id = … ORDER BY created_at DESC
            models.Index(fields=["kind", "object_id", "-created_at"], name="paper_object"),
            # The admin's list of a school's papers: WHERE school_id = … ORDER BY created_at
            models.Index(fields=["school", "-created_at"], name="paper_school"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number} · {self.code}"


class VerificationThrottle(models.Model):
    """Lookups on the public verification page per client address in the current window
    (a fixed window, counted in the database so that every web process shares it)."""

    client = models.CharField(max_length=64, primary_key=True)
    period = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # Expired rows are deleted: WHERE period < …
            models.Index(fields=["period"], name="throttle_period"),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.hits}"
