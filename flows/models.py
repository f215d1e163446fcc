"""The viewflow process of a document's expertise.

A multi-table child of viewflow's Process, so that the document is a real, indexed foreign
key; the two routing variables the flow's gateways read live in the process' JSON data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow import jsonstore
from viewflow.workflow.models import Process

from documents.models import Document, Review


class ExpertiseProcess(Process):
    class Screening(models.TextChoices):
        ACCEPT = "accept", _("Accept and assign experts")
        RETURN = "return", _("Return for formal fixes")

    document = models.OneToOneField(
        Document,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="expertise_process",
    )
    # Routing variables read by the flow's gateways, set by the service of each step.
    screening = jsonstore.CharField(max_length=10, blank=True)
    decision = jsonstore.CharField(max_length=10, blank=True)
    council_decision = jsonstore.CharField(max_length=20, blank=True)
    pedagogical_outcome = jsonstore.CharField(max_length=10, blank=True)
    director_outcome = jsonstore.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("expertise process")
        verbose_name_plural = _("expertise processes")
        permissions = [
            ("review_expertiseprocess", _("Can review documents as an expert")),
            ("chair_expertiseprocess", _("Can screen submissions and decide on expertise")),
            ("approve_expertiseprocess", _("Can approve documents (director)")),
        ]

    def __str__(self) -> str:
        return str(self.document)


class Deadline(models.Model):
    """A reminder or escalation of a review, as a row: found by an indexed periodic query
    and marked done when handled, never a long countdown in the broker."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        DUE_TODAY = "due_today", _("Due today")
        OVERDUE = "overdue", _("Overdue")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(fields=["review", "kind"], name="deadline_once_per_kind")
        ]
        indexes = [
            # The sweep: WHERE done_at IS NULL AND due_at <= now
            models.Index(
                fields=["due_at"], condition=models.Q(done_at__isnull=True), name="deadline_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.review} · {self.kind} · {self.due_at:%Y-%m-%d %H:%M}"
