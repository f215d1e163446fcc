from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Path

MAX_PAGE_SIZE = 100
# A row id in a path: positive and within PostgreSQL's integer range, so that an id out
# of range is a 422 for the caller, never a database error.
MAX_ID = 2**31 - 1
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]


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
