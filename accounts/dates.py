"""Date and time inputs that read and write what the product prints: 30.11.2026 and 14:00.

Chromium draws `<input type="date">` and `type="time"` in the browser's own locale, not the
page's language: an English browser shows 11/30/2026 and 02:00 PM next to our 30.11.2026,
and Chromium has no Kyrgyz pattern at all. So dates and times are text inputs with a
pattern, a numeric keyboard on phones and a placeholder saying the order; the server
accepts the ISO form too (what a native picker or an older page posts)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_FORMAT = "%d.%m.%Y"
DATE_INPUT_FORMATS = [DATE_FORMAT, "%Y-%m-%d"]
# What the browser may check before sending (forms are `novalidate`, so the server decides).
DATE_PATTERN = r"\s*(\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2})\s*"
TIME_FORMAT = "%H:%M"
TIME_INPUT_FORMATS = [TIME_FORMAT, "%H:%M:%S"]
TIME_PATTERN = r"\s*([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?\s*"


def date_attrs() -> dict[str, object]:
    return {
        "inputmode": "numeric",
        "pattern": DATE_PATTERN,
        "placeholder": _("dd.mm.yyyy"),
        "autocomplete": "off",
        "class": "date",
        "maxlength": 12,
    }


class DayMonthYearInput(forms.DateInput):
    input_type = "text"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__(attrs={**date_attrs(), **(attrs or {})}, format=DATE_FORMAT)


class HourMinuteInput(forms.TimeInput):
    input_type = "text"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        base = {
            "inputmode": "numeric",
            "pattern": TIME_PATTERN,
            "placeholder": _("hh:mm"),
            "autocomplete": "off",
            "class": "time",
            "maxlength": 8,
        }
        super().__init__(attrs={**base, **(attrs or {})}, format=TIME_FORMAT)


class DayMonthYearField(forms.DateField):
    widget = DayMonthYearInput
    input_formats = DATE_INPUT_FORMATS


class HourMinuteField(forms.TimeField):
    widget = HourMinuteInput
    input_formats = TIME_INPUT_FORMATS


def parse_day(value: str) -> datetime.date:
    """A date typed as 30.11.2026 (or 2026-11-30); ValueError otherwise."""
    value = (value or "").strip()
    for fmt in DATE_INPUT_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)
