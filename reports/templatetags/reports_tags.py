from __future__ import annotations

import datetime

from django import template
from django.utils.timesince import timesince

register = template.Library()
EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@register.filter
def seconds_duration(seconds: float | None) -> str:
    """A duration in seconds as Django's translated "2 days, 3 hours" ("—" when none)."""
    if seconds is None:
        return "—"
    return timesince(EPOCH, EPOCH + datetime.timedelta(seconds=seconds))


@register.filter
def at(sequence, index: int):
    """sequence[index] in a template."""
    try:
        return sequence[index]
    except (IndexError, KeyError, TypeError):
        return ""
