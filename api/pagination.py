from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet

MAX_PAGE_SIZE = 100


def paginate(
    rows: QuerySet | Sequence[Any],
    *,
    page: int,
    page_size: int,
    present: Callable[[list[Any]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of an ordered list: a COUNT and one slice, whatever the list's length.
    A page past the end is empty, not an error."""
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    start = (page - 1) * page_size
    items = list(rows[start : start + page_size]) if start < count else []
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "next_page": page + 1 if start + page_size < count else None,
        "items": present(items),
    }
