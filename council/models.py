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
    # The last quarter whose end was checked (council.notices.council_reminders): the
    # council held or scheduled a session in it, or its chair was reminded.
    quarter_checked = models.PositiveSmallIntegerField(
        _("last quarter checked for a session"), default=0, db_default=0, editable=False
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
        indexes = [
            # Quarters ending without a session (council.notices.council_reminders):
            # WHERE academic_year_id = … AND quarter_checked < the quarter. Only the
            # councils not yet checked this quarter: after the first minute of a quarter's
            # last days, an empty range.
            models.Index(
                fields=["academic_year", "quarter_checked"], name="council_quarter_checked"
            ),
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


class Session(models.Model):
    """A session (отурум) of the council: at least one each quarter (5.1), a protocol at
    every one (5.3), the secretary elected at the first (5.4), the year summed up at the
    last (5.2)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CLOSED = "closed", _("Closed")

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="sessions"
    )
    date = models.DateField(_("date"))
    time = models.TimeField(_("time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    is_first = models.BooleanField(_("first session of the year"), default=False)
    is_year_end = models.BooleanField(_("year-end session"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    secretary_elected = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("secretary elected"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Set when the agenda went out to the members (council.notices.council_reminders).
    agenda_sent_at = models.DateTimeField(
        _("agenda sent to the members"), null=True, blank=True, editable=False
    )
    # Set when the chair was reminded of a missing protocol, or the protocol was confirmed
    # (council.notices.council_reminders, council.services.protocol_sign).
    protocol_reminder_done_at = models.DateTimeField(
        _("protocol reminder no longer owed"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("council session")
        verbose_name_plural = _("council sessions")
        ordering = ["date", "pk"]
        indexes = [
            # A council's sessions in date order, and per quarter for the compliance page.
            models.Index(fields=["council", "date"], name="session_council_date"),
            models.Index(fields=["council", "quarter"], name="session_council_quarter"),
            # Sessions by date: council.services.council_tasks_due (WHERE date <= today,
            # among the sessions of unconfirmed protocols) when those are many.
            models.Index(fields=["date"], name="session_date"),
            # Protocols missing (council.notices.council_reminders): WHERE
            # protocol_reminder_done_at IS NULL AND date BETWEEN today - a week - 30 days
            # AND today - a week. Only the sessions whose chair is still owed a reminder.
            models.Index(
                fields=["date"],
                condition=models.Q(protocol_reminder_done_at__isnull=True),
                name="session_protocol_reminder_owed",
            ),
            # Agendas due (council.notices.council_reminders): WHERE agenda_sent_at IS NULL
            # AND date BETWEEN today AND today + AGENDA_DAYS_BEFORE. Only the sessions
            # whose agenda has not gone out: the steady state reads an empty range.
            models.Index(
                fields=["date"],
                condition=models.Q(agenda_sent_at__isnull=True),
                name="session_agenda_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.council} · {self.date:%d.%m.%Y}"


class AgendaItem(models.Model):
    class Decision(models.TextChoices):
        RECOMMEND_APPROVAL = "recommend_approval", _("Recommend for approval")
        RETURN = "return", _("Return for revision")
        POSTPONE = "postpone", _("Postpone to a later session")
        OTHER = "other", _("Other decision")

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("№"))
    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    title = models.CharField(_("item"), max_length=400)
    heard = models.TextField(_("heard"), blank=True)
    speakers = models.TextField(_("spoke"), blank=True)
    resolution = models.TextField(_("resolved"), blank=True)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    votes_for = models.PositiveSmallIntegerField(_("for"), null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(_("against"), null=True, blank=True)
    votes_abstained = models.PositiveSmallIntegerField(_("abstained"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="agenda_position_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendance"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT
    )
    present = models.BooleanField(_("present"), default=False)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session", "user__last_name"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="attendance_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.present}"


class Protocol(models.Model):
    """The protocol of a session: numbered per council (academic year) when both the
    chair and the secretary have confirmed it, and unchangeable from then on."""

    session = models.OneToOneField(
        Session, verbose_name=_("session"), on_delete=models.PROTECT, related_name="protocol"
    )
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="protocols")
    number = models.PositiveIntegerField(_("№"), null=True, blank=True)
    chair_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chair_confirmed_at = models.DateTimeField(null=True, blank=True)
    secretary_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    secretary_confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="protocols/", max_length=200, blank=True)
    docx = models.FileField(_("DOCX"), upload_to="protocols/", max_length=200, blank=True)

    class Meta:
        verbose_name = _("protocol")
        verbose_name_plural = _("protocols")
        ordering = ["council", "number"]
        constraints = [
            models.UniqueConstraint(fields=["council", "number"], name="protocol_number_unique")
        ]
        indexes = [
            # Sessions without a confirmed protocol (council.notices.council_reminders and
            # council.services.council_tasks_due): WHERE confirmed_at IS NULL — the few
            # open ones, not every year's protocols.
            models.Index(
                fields=["session"],
                condition=models.Q(confirmed_at__isnull=True),
                name="protocol_unconfirmed",
            ),
            # The missing-file sweep (council.tasks.render_missing_files): confirmed protocols
            # whose PDF or DOCX is not rendered yet, normally none.
            models.Index(
                fields=["id"],
                condition=models.Q(confirmed_at__isnull=False)
                & (models.Q(pdf="") | models.Q(docx="")),
                name="protocol_without_files",
            ),
        ]

    def __str__(self) -> str:
        return f"№{self.number or '—'} · {self.session}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class AnnualReport(models.Model):
    """The council's report on the year to the pedagogical council (5.2, 5.5)."""

    council = models.OneToOneField(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="annual_report"
    )
    directions = models.TextField(_("directions for the next year"), blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    generated_at = models.DateTimeField(_("generated"), auto_now=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/", max_length=200, blank=True)
    presented_on = models.DateField(
        _("presented to the pedagogical council on"), null=True, blank=True
    )
    pedagogical_protocol_number = models.CharField(
        _("pedagogical council protocol №"), max_length=20, blank=True
    )

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        indexes = [
            # The missing-file sweep (council.tasks.render_missing_files): WHERE pdf = ''
            models.Index(
                fields=["id"], condition=models.Q(pdf=""), name="annual_report_without_pdf"
            ),
        ]

    def __str__(self) -> str:
        return str(self.council)


class CouncilTask(models.Model):
    """A step of the council's work that waits for one person, shown in their inbox beside
    the expertise tasks: putting recommended documents on a session's agenda (the chair),
    writing a session's protocol once its date has come (the secretary, or the chair until
    one is elected, 5.4), confirming it (each of the chair and the secretary, 5.3).

    Not a viewflow task: the document's own process only waits for the protocol (its
    `council_session` node), and these steps are about sessions, not one document. Rows
    are kept in step with the council's records by council.services.council_tasks_sync,
    which every council write calls; closed rows stay as the record of who did what."""

    class Kind(models.TextChoices):
        AGENDA = "agenda", _("Put the recommended documents on a session's agenda")
        PROTOCOL = "protocol", _("Write the protocol of the session")
        CONFIRM = "confirm", _("Confirm the protocol of the session")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        # The role changed hands (a new chair or secretary): the step went to them.
        HANDED_OVER = "handed_over", _("Handed over")

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="tasks"
    )
    session = models.ForeignKey(
        Session,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    kind = models.CharField(_("task"), max_length=10, choices=Kind.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="council_tasks",
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("council task")
        verbose_name_plural = _("council tasks")
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "session", "kind", "assignee"],
                condition=models.Q(status="open", session__isnull=False),
                name="council_task_open_once",
            ),
            models.UniqueConstraint(
                fields=["council", "kind", "assignee"],
                condition=models.Q(status="open", session__isnull=True),
                name="council_task_agenda_open_once",
            ),
        ]
        indexes = [
            # The inbox and its count: WHERE assignee_id = … AND status = 'open'
            models.Index(
                fields=["assignee", "due_date"],
                condition=models.Q(status="open"),
                name="council_task_inbox",
            ),
            # The sync: a council's open steps (WHERE council_id = … AND status = 'open')
            models.Index(
                fields=["council"], condition=models.Q(status="open"), name="council_task_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.assignee}"
