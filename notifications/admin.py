from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import SchoolScopedAdmin

from .models import Delivery, Notification
from .services import delivery_retry


@admin.register(Delivery)
class DeliveryAdmin(SchoolScopedAdmin):
    """What went out, what is waiting and what failed (with the error); failed ones can be
    retried."""

    school_field = "recipient__school"
    list_display = [
        "created_at",
        "recipient",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["recipient__username", "recipient__last_name", "last_error"]
    readonly_fields = [
        "notification",
        "recipient",
        "channel",
        "digest_date",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "claimed_by",
        "sent_at",
        "last_error",
        "created_at",
    ]
    actions = ["retry"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Retry the selected failed deliveries"))
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        # "Sent?" rows too: an admin who knows the server lost them need not wait the hold.
        count = sum(
            delivery_retry(delivery=d)
            for d in queryset.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.UNKNOWN])
        )
        messages.success(request, _("%(n)s deliveries queued again.") % {"n": count})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(SchoolScopedAdmin):
    list_display = ["created_at", "recipient", "kind", "read_at"]
    list_filter = ["kind"]
    readonly_fields = [
        "recipient",
        "school",
        "kind",
        "params",
        "url",
        "dedupe_key",
        "in_digest",
        "created_at",
        "read_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
