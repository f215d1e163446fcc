from __future__ import annotations

from django import template
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
