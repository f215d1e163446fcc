from __future__ import annotations

import datetime

from django import template
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.filter
def filesize(size: int | None) -> str:
    """File sizes in the reader's language. (Django's own Kyrgyz catalog calls a byte a
    "бит", a bit; this filter uses the project's catalog.)"""
    size = int(size or 0)
    if size < 1024:
        return ngettext("%(n)d byte", "%(n)d bytes", size) % {"n": size}
    if size < 1024 * 1024:
        return gettext("%(n).1f KB") % {"n": size / 1024}
    return gettext("%(n).1f MB") % {"n": size / (1024 * 1024)}


@register.filter
def took(created_at: datetime.datetime, previous_at: datetime.datetime | None) -> str:
    """How long after the previous step an event came. Under a minute Django's timesince
    says "0 minutes", which reads like a fault: say "within a minute" instead."""
    if previous_at is None:
        return ""
    if (created_at - previous_at).total_seconds() < 60:
        return gettext("within a minute of the previous step")
    return gettext("%(d)s after the previous step") % {"d": timesince(previous_at, created_at)}
