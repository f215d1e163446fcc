"""Per request: the number of SQL statements, their time and the server time, as response
headers; with `X-Bench-Capture` the statements themselves are kept for /bench/explain/."""

from __future__ import annotations

import time
from typing import Any

from django.db import connection

CAPTURED: list[tuple[str, Any, float]] = []


class _Counter:
    def __init__(self, capture: bool) -> None:
        self.count = 0
        self.seconds = 0.0
        self.capture = capture

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.count += 1
            self.seconds += spent
            if self.capture and not many:
                CAPTURED.append((sql, params, spent))


def measure(get_response):
    def middleware(request):
        capture = "HTTP_X_BENCH_CAPTURE" in request.META
        if capture:
            CAPTURED.clear()
        counter = _Counter(capture)
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = get_response(request)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        response["X-Bench-Queries"] = str(counter.count)
        response["X-Bench-Sql-Ms"] = f"{counter.seconds * 1000:.2f}"
        response["X-Bench-Ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        return response

    return middleware
