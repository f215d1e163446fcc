"""A paginator that reads the number of rows from the page's own query.

For search the expensive part is the match itself; Django's Paginator runs it twice (COUNT,
then the page). Here the page query carries `COUNT(*) OVER ()`, so one statement gives both;
only a page past the end (no rows to carry the count) costs a separate COUNT."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.utils.functional import cached_property

TOTAL = "_matches_total"


class WindowCountPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, **kwargs: Any) -> None:
        super().__init__(object_list.annotate(**{TOTAL: Window(Count("pk"))}), per_page, **kwargs)
        self._known_count: int | None = None

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return self.object_list.count()

    def get_page(self, number: Any) -> Page:
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if rows:
            self._known_count = getattr(rows[0], TOTAL)
            self.__dict__.pop("count", None)
            return Page(rows, number, self)
        return super().get_page(number)  # past the end: the last page, by COUNT
