"""Medians and percentiles: PostgreSQL's percentile_cont in the database, the same
definition in Python on SQLite (which `make run` uses and which has no percentile)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.db import connection
from django.db.models import Aggregate, Expression, FloatField, Func


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


class PercentileCont(Aggregate):
    """percentile_cont(fraction) WITHIN GROUP (ORDER BY expr): PostgreSQL only."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression: Expression, fraction: float, **extra) -> None:
        # A literal, validated: it is written into the SQL.
        super().__init__(expression, fraction=f"{float(fraction):.4f}", **extra)


class EpochSeconds(Func):
    """The length of an interval in seconds (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the sorted values at
    position fraction × (n − 1)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
