"""The scientific-methodical council of a school for an academic year (regulation 3–4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import AcademicYear, School


class Council(models.Model):
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="councils"
    )
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name=_("academic year"), on_delete=models.PROTECT
    )
    # 4.1: the deputy director for teaching and educational (or methodical) work.
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        on_delete=models.PROTECT,
        related_name="chaired_councils",
    )
    # 5.4: elected at the first session.
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("secretary"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="councils_as_secretary",
    )

    class Meta:
        verbose_name = _("scientific-methodical council")
        verbose_name_plural = _("scientific-methodical councils")
        ordering = ["-academic_year__starts_on", "school__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "academic_year"], name="council_one_per_school_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} · {self.academic_year}"


class MemberCategory(models.TextChoices):
    # 3.1 of the regulation.
    MANAGEMENT = "management", _("Management of the educational process")
    ASSOCIATION_HEAD = "association_head", _("Head of a methodical association")
    CREATIVE_GROUP = "creative_group", _("Representative of a creative group of teachers")


class CouncilMember(models.Model):
    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="council_memberships",
    )
    category = models.CharField(_("category"), max_length=30, choices=MemberCategory.choices)

    class Meta:
        verbose_name = _("council member")
        verbose_name_plural = _("council members")
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "user"], name="council_member_once")
        ]

    def __str__(self) -> str:
        return str(self.user)
