"""The viewflow process of a document's expertise.

A multi-table child of viewflow's Process, so that the document is a real, indexed foreign
key; the two routing variables the flow's gateways read live in the process' JSON data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow import jsonstore
from viewflow.workflow.models import Process

from council.models import AgendaItem
from documents.models import Document, ExpertiseRound, Review


class ExpertiseProcess(Process):
    """Each routing variable has its choices; the flow's gateways compare with them, so a
    misspelt value fails loudly instead of taking a default branch."""

    class Screening(models.TextChoices):
        ACCEPT = "accept", _("Accept and assign experts")
        RETURN = "return", _("Return for formal fixes")

    # The council's decision as far as the flow goes: on to the pedagogical council, back
    # to the author, or to a later session (any other decision of the protocol).
    class CouncilRoute(models.TextChoices):
        RECOMMEND_APPROVAL = (
            AgendaItem.Decision.RECOMMEND_APPROVAL.value,
            _("Recommend for approval"),
        )
        RETURN = AgendaItem.Decision.RETURN.value, _("Return for revision")
        POSTPONE = AgendaItem.Decision.POSTPONE.value, _("Postpone to a later session")

        @classmethod
        def of(cls, decision: str) -> ExpertiseProcess.CouncilRoute:
            """The route of a protocol's decision (AgendaItem.Decision)."""
            if decision in (cls.RECOMMEND_APPROVAL, cls.RETURN):
                return cls(decision)
            return cls.POSTPONE

    class PedagogicalOutcome(models.TextChoices):
        CONSIDERED = "considered", _("Considered: send to the director for approval")
        RETURNED = "returned", _("Returned to the author")

    # What the director chooses (the page, the API) ...
    class DirectorDecision(models.TextChoices):
        APPROVE = "approve", _("I approve (Бекитем)")
        RETURN = "return", _("Return to the author")

    # ... and what the process keeps of it for its gateway.
    class DirectorOutcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned to the author")

    document = models.OneToOneField(
        Document,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="expertise_process",
    )
    # Routing variables read by the flow's gateways, set by the service of each step.
    screening = jsonstore.CharField(max_length=10, blank=True, choices=Screening.choices)
    decision = jsonstore.CharField(
        max_length=10, blank=True, choices=ExpertiseRound.Decision.choices
    )
    council_decision = jsonstore.CharField(max_length=20, blank=True, choices=CouncilRoute.choices)
    pedagogical_outcome = jsonstore.CharField(
        max_length=10, blank=True, choices=PedagogicalOutcome.choices
    )
    director_outcome = jsonstore.CharField(
        max_length=10, blank=True, choices=DirectorOutcome.choices
    )

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


def step_memo(process: Process) -> dict:
    """What one step (one request under the flow lock) already read or wrote about its
    process — the round's new reviews, the chosen experts and their substitutes — so the
    nodes viewflow creates within the same step do not read those rows again. Kept on the
    process instance, which viewflow hands from node to node within a step and reads
    afresh in the next one."""
    return process.__dict__.setdefault("_step_memo", {})
