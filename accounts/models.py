"""Schools, people and the school's structure (regulation 2.1, 3.1)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    """A district education department; a deployment may serve several schools of one."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schools",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class AcademicYear(models.Model):
    """An academic year (окуу жылы), e.g. 2025–2026, shared by every school."""

    starts_on = models.DateField(_("starts on"), unique=True)
    ends_on = models.DateField(_("ends on"))
    # The last days of the first three quarters (чейрек); the fourth ends with the year.
    # Empty means the usual calendar: 31 October, 31 December, 20 March.
    q1_ends_on = models.DateField(_("1st quarter ends"), null=True, blank=True)
    q2_ends_on = models.DateField(_("2nd quarter ends"), null=True, blank=True)
    q3_ends_on = models.DateField(_("3rd quarter ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="academic_year_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on.year}–{self.ends_on.year}"

    def quarter_bounds(self) -> list[tuple[datetime.date, datetime.date]]:
        """(first day, last day) of each of the four quarters."""
        y = self.starts_on.year
        ends = [
            self.q1_ends_on or datetime.date(y, 10, 31),
            self.q2_ends_on or datetime.date(y, 12, 31),
            self.q3_ends_on or datetime.date(y + 1, 3, 20),
            self.ends_on,
        ]
        starts = [self.starts_on] + [end + datetime.timedelta(days=1) for end in ends[:3]]
        return list(zip(starts, ends, strict=True))

    def quarter_of(self, day: datetime.date) -> int:
        """1–4; a day after the year's end counts in the fourth quarter."""
        for number, (_start, end) in enumerate(self.quarter_bounds(), 1):
            if day <= end:
                return number
        return 4

    @classmethod
    def current(cls, today: datetime.date | None = None) -> AcademicYear | None:
        today = today or datetime.date.today()
        return (
            cls.objects.filter(starts_on__lte=today, ends_on__gte=today).first()
            or cls.objects.filter(starts_on__lte=today).first()
        )


class MethodicalAssociation(models.Model):
    """A methodical association (усулдук бирикме) of teachers of one subject area."""

    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="associations"
    )
    name = models.CharField(_("name"), max_length=200)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_associations",
    )

    class Meta:
        verbose_name = _("methodical association")
        verbose_name_plural = _("methodical associations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="association_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class CreativeGroup(models.Model):
    """A creative group of teachers (мугалимдердин чыгармачыл тобу)."""

    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="creative_groups"
    )
    name = models.CharField(_("name"), max_length=200)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="creative_groups",
    )

    class Meta:
        verbose_name = _("creative group of teachers")
        verbose_name_plural = _("creative groups of teachers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="creative_group_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Language(models.TextChoices):
    KY = "ky", "Кыргызча"
    RU = "ru", "Русский"
    EN = "en", "English"


class User(AbstractUser):
    """A person of a school. Users without a school are district or system administrators."""

    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.KY
    )
    methodical_association = models.ForeignKey(
        MethodicalAssociation,
        verbose_name=_("methodical association"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teachers",
    )
    # A district administrator (no school) sees the dashboards of this district's schools.
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="administrators",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    def get_short_name(self) -> str:
        """Official short form: «Ажыгулова К.К.»."""
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.patronymic) if p)
        return " ".join(p for p in (self.last_name, initials) if p) or self.username


class Absence(models.Model):
    """A member away for a period names a substitute: tasks assigned to them in that
    period go to the substitute, who acts for them."""

    user = models.ForeignKey(
        User, verbose_name=_("absent person"), on_delete=models.CASCADE, related_name="absences"
    )
    substitute = models.ForeignKey(
        User, verbose_name=_("substitute"), on_delete=models.PROTECT, related_name="substitutions"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on"]
        indexes = [
            # Who acts for this person today: WHERE user_id = … AND starts_on <= d <= ends_on
            models.Index(fields=["user", "starts_on", "ends_on"], name="absence_lookup"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="absence_dates"
            ),
            models.CheckConstraint(
                condition=~models.Q(user=models.F("substitute")), name="absence_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.substitute}"


def acting_assignee(user: User, day: datetime.date | None = None) -> User:
    """The person who takes `user`'s new tasks on `day`: their substitute when away."""
    day = day or datetime.date.today()
    absence = (
        Absence.objects.select_related("substitute")
        .filter(user=user, starts_on__lte=day, ends_on__gte=day, substitute__is_active=True)
        .order_by("-starts_on")
        .first()
    )
    return absence.substitute if absence else user


def acting_assignees(users: list[User], day: datetime.date | None = None) -> dict[int, User]:
    """`acting_assignee` for several people in one query: {person's pk: who takes their
    new tasks on `day`}."""
    day = day or datetime.date.today()
    acting = {user.pk: user for user in users}
    for absence in (
        Absence.objects.select_related("substitute")
        .filter(
            user__in=list(acting),
            starts_on__lte=day,
            ends_on__gte=day,
            substitute__is_active=True,
        )
        .order_by("starts_on")  # the latest start wins, as in acting_assignee
    ):
        acting[absence.user_id] = absence.substitute
    return acting


class RoleChange(models.Model):
    """One role given or taken: who did it, to whom, which role, when. Append-only (on
    PostgreSQL a trigger refuses UPDATE and DELETE too): the record of who may approve
    documents as director or administer the school must not be rewritable by the people it
    describes."""

    class Action(models.TextChoices):
        ADDED = "added", _("given")
        REMOVED = "removed", _("taken away")

    # Empty when no person did it: the demo loader, a migration, a management command.
    actor = models.ForeignKey(
        User,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_changes_made",
    )
    user = models.ForeignKey(
        User, verbose_name=_("whose role"), on_delete=models.PROTECT, related_name="role_changes"
    )
    # The person's school and district at the time: who may read the row (the director of
    # the school, the district's administrator) is decided by these, not by today's account.
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, null=True, blank=True
    )
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=150)
    action = models.CharField(_("change"), max_length=10, choices=Action.choices)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The director's page: WHERE school_id = … ORDER BY created_at DESC
            models.Index(fields=["school", "-created_at"], name="rolechange_school_time"),
            # The district administrator's page: WHERE district_id = … ORDER BY created_at DESC
            models.Index(fields=["district", "-created_at"], name="rolechange_district_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.role} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Role changes are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[override]
        raise ValueError("Role changes are append-only.")

    @property
    def role_label(self) -> str:
        from .roles import Role

        return str(Role(self.role).label) if self.role in Role.values else self.role
