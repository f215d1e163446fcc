"""Parsing what comes in a URL or a form by hand, where no Django form does it.

Anything can arrive: "abc", "²" (str.isdigit() says yes, int() says no), "١٢٣", a number
past the database's bigint, a NUL. Each parser gives a clean value or None, so that a view
answers with a 404, a form error or the default, never with a 500.
"""

from __future__ import annotations

import re

# The database keys are bigint (BigAutoField): a larger number names no row and must not
# reach PostgreSQL, which would refuse the query ("bigint out of range").
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(raw: object) -> int | None:
    """A positive row id from user input, or None."""
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
