"""Notifications and their deliveries (the outbox).

A `Notification` is written in the same transaction as the change that causes it; its
e-mail is a `Delivery` row, claimed by a conditional UPDATE before sending, so a task
delivered twice by the broker sends once. Digests are `Delivery` rows too, one per person
and day."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import School


class Kind(models.TextChoices):
    TASK_ASSIGNED = "task_assigned", _("A task is assigned to me")
    TASK_DUE_SOON = "task_due_soon", _("My task is due soon")
    TASK_OVERDUE = "task_overdue", _("My task is overdue")
    REVIEW_OVERDUE = "review_overdue", _("An expert's review is overdue (chair)")
    DOCUMENT_RETURNED = "document_returned", _("My document is returned")
    DOCUMENT_REJECTED = "document_rejected", _("My document is rejected")
    DOCUMENT_RECOMMENDED = "document_recommended", _("My document is recommended")
    DOCUMENT_APPROVED = "document_approved", _("My document is approved")
    SESSION_SCHEDULED = "session_scheduled", _("A council session is coming (the agenda)")
    PROTOCOL_CONFIRMED = "protocol_confirmed", _("A protocol is confirmed")
    QUARTER_WITHOUT_SESSION = (
        "quarter_without_session",
        _("A quarter ends without a session (chair)"),
    )
    PROTOCOL_MISSING = "protocol_missing", _("A session has no confirmed protocol (chair)")


# Notices that ask someone to act cannot be switched off (only moved to the digest).
ACTION_REQUIRED = frozenset(
    {
        Kind.TASK_ASSIGNED,
        Kind.TASK_DUE_SOON,
        Kind.TASK_OVERDUE,
        Kind.REVIEW_OVERDUE,
        Kind.QUARTER_WITHOUT_SESSION,
        Kind.PROTOCOL_MISSING,
    }
)


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("Off")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    # Rendered in the recipient's language when shown or sent, never frozen in one language.
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    # The same reminder for the same deadline is one notification, however often a sweep
    # or a redelivered task asks for it.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    in_digest = models.BooleanField(default=False)
    digest_delivery = models.ForeignKey(
        "Delivery", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The list: WHERE recipient_id = … ORDER BY created_at DESC
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
            # The bell: COUNT(*) WHERE recipient_id = … AND read_at IS NULL
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            # The digest, every minute after its hour: SELECT DISTINCT recipient_id WHERE
            # in_digest AND digest_delivery_id IS NULL — only the few rows still waiting
            # are in this index, never the whole table.
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(in_digest=True, digest_delivery__isnull=True),
                name="notification_digest_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.kind}"


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        DIGEST = "digest", _("Daily digest e-mail")
        TELEGRAM = "telegram", _("Telegram")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        # The message went out whole but the server's answer never came (a timeout after
        # the end of DATA): it may or may not have been accepted. Re-sent, with the same
        # Message-ID, only after NOTIFICATIONS_UNKNOWN_RESEND_SECONDS (see tasks.sweep).
        UNKNOWN = "unknown", _("Sent? (no answer from the server)")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    digest_date = models.DateField(_("digest of"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Who holds the claim: "host:pid:start", so that a claim whose process is gone is
    # seen at once on a single machine (SQLite, where advisory locks do not exist).
    claimed_by = models.CharField(max_length=200, blank=True, default="", db_default="")
    # When a task for this row was last handed to the broker; NULL when the hand-over
    # failed, so the sweep takes the row at once instead of after the grace period.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "digest_date"],
                condition=models.Q(channel="digest"),
                name="one_digest_per_day",
            ),
            # A notice goes at most once by each channel: two workers falling back to
            # e-mail for the same Telegram message at once create one e-mail, not two.
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=models.Q(notification__isnull=False),
                name="one_delivery_per_notice_and_channel",
            ),
        ]
        indexes = [
            # The sweep: WHERE status = 'pending' AND next_attempt_at <= now
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending",
            ),
            # Stale claims: WHERE status = 'sending' AND claimed_at < …
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="delivery_sending",
            ),
            # Unanswered sends to re-send: WHERE status = 'unknown' AND claimed_at < …
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="unknown"),
                name="delivery_unknown",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.status})"


class Route(models.TextChoices):
    """Where an immediate notice goes."""

    EMAIL = "email", _("E-mail")
    TELEGRAM = "telegram", _("Telegram")
    BOTH = "both", _("E-mail and Telegram")


class Preference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    mode = models.CharField(_("how"), max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    route = models.CharField(_("where"), max_length=10, choices=Route.choices, default=Route.EMAIL)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}: {self.mode}"


class TelegramLink(models.Model):
    """A person's Telegram chat with the bot. Made by a one-time code: the preferences page
    shows t.me/<bot>?start=<code>, the bot receives "/start <code>" from the person's chat
    and the chat is linked. A chat that blocks the bot (403) is deactivated and its notices
    go by e-mail again."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_link"
    )
    code = models.CharField(max_length=64, unique=True, null=True, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    chat_id = models.BigIntegerField(_("chat"), null=True, blank=True)
    linked_at = models.DateTimeField(_("linked"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=False)
    deactivated_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("Telegram link")
        verbose_name_plural = _("Telegram links")

    def __str__(self) -> str:
        return f"{self.user} → {self.chat_id or '-'}"


class Lease(models.Model):
    """A named lease held by one process at a time (e.g. "beat": only one beat schedules,
    however many are started). Taken and renewed by a conditional UPDATE; a holder that
    dies stops renewing and another takes over when `expires_at` has passed."""

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%H:%M:%S}"


class Cursor(models.Model):
    """Where a reader of an outside stream stopped (the Bot API's getUpdates offset)."""

    name = models.CharField(max_length=50, primary_key=True)
    position = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("cursor")
        verbose_name_plural = _("cursors")

    def __str__(self) -> str:
        return f"{self.name}: {self.position}"
