"""The bench's own endpoints (bench/urls.py, loopback servers only)."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth import login as auth_login
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import middleware


def login(request: HttpRequest, username: str) -> JsonResponse:
    from accounts.models import User

    user = User.objects.get(username=username)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"user": user.pk, "csrf": get_token(request)})


def _moment(value: str | None, default: datetime.datetime) -> datetime.datetime:
    if not value:
        return default
    return timezone.make_aware(datetime.datetime.fromisoformat(value))


def _jobs(request: HttpRequest) -> dict[str, tuple[Callable[[], Any], bool]]:
    """name → (run, steady): a steady job runs once unmeasured first, so the figure is a
    minute of the beat in its steady state (what was owed is sent), not the first run."""
    from council import notices as council_notices
    from council import tasks as council_tasks
    from flows import notices, tasks
    from notifications import services as notification_services
    from notifications import tasks as notification_tasks
    from reports import tasks as report_tasks

    now = _moment(request.GET.get("now"), timezone.now())
    today = timezone.localdate(now)

    def reminders() -> int:
        fired = 0
        while True:  # as the beat would, minute after minute, until the batch is out
            batch = notices.deadlines_fire(now=now)
            fired += batch
            if not batch:
                return fired

    return {
        "council_time": (lambda: council_notices.council_reminders(today=today), True),
        "search_text_sweep": (report_tasks.document_text_sweep, True),
        # Both apps' sweeps, as one job: the figure stays comparable with earlier runs.
        "missing_files_sweep": (
            lambda: {**tasks.render_missing_files(), **council_tasks.render_missing_files()},
            True,
        ),
        "workflow_timers": (tasks.fire_workflow_timers, True),
        "notifications_sweep": (notification_tasks.sweep, True),
        "digests": (lambda: notification_services.digests_open(now=now), True),
        "reminder_batch": (reminders, False),
    }


def job(request: HttpRequest, name: str) -> JsonResponse:
    """One run of a periodic job, in a transaction that is rolled back (the data set stays
    as generated, run after run)."""
    run, steady = _jobs(request)[name]
    counter = middleware._Counter(capture="HTTP_X_BENCH_CAPTURE" in request.META)
    with transaction.atomic():
        if steady:
            run()
        middleware.CAPTURED.clear()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            result = run()
        ms = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return JsonResponse(
        {"ms": ms, "queries": counter.count, "result": json.loads(json.dumps(result, default=str))}
    )


@csrf_exempt
def explain(request: HttpRequest) -> JsonResponse:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest reads of the last captured request."""
    if request.GET.get("list"):
        # Every statement of the last captured request, in order, with its time.
        return JsonResponse(
            {"statements": [[round(t * 1000, 3), sql[:160]] for sql, _p, t in middleware.CAPTURED]}
        )
    top = int(request.GET.get("top", "4"))
    statements = sorted(middleware.CAPTURED, key=lambda s: -s[2])
    plans = []
    seen = set()
    for sql, params, spent in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH")) or sql in seen:
            continue
        seen.add(sql)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                transaction.set_rollback(True)
        except Exception as error:
            plan = f"(no plan: {error})"
        plans.append({"ms": round(spent * 1000, 2), "sql": sql, "plan": plan})
        if len(plans) >= top:
            break
    return JsonResponse({"plans": plans})


@csrf_exempt
def prepare(request: HttpRequest) -> JsonResponse:
    """Documents submitted for expertise in one school (for the transition bench), or bare
    flow processes with their task assigned; through the same services as the pages."""
    from accounts.models import AcademicYear, User
    from documents.models import Document
    from flows import services

    count = int(request.GET.get("count", "100"))
    school = int(request.GET["school"])
    if request.GET.get("flow") == "bare":
        from viewflow.workflow.models import Task

        from .flows import BareFlow

        owner = User.objects.get(username=f"s{school}-chair")
        ids = []
        for _ in range(count):
            process = BareFlow.start.run(owner_id=owner.pk)
            task = Task.objects.get(process=process, flow_task=BareFlow.approve)
            ids.append([process.pk, task.pk])
        return JsonResponse({"tasks": ids})
    teacher = User.objects.get(username=f"s{school}-teacher0")
    year = AcademicYear.current()
    ids = []
    for i in range(count):
        document = Document.objects.create(
            school_id=school,
            author=teacher,
            doc_type="lesson_plan",
            title=f"Сабактын планы (bench) {i}",
            academic_year=year,
            file="documents/bench/transition.pdf",
            file_name="plan.pdf",
            file_size=1000,
            file_kind="pdf",
            file_sha256="0" * 64,
        )
        process = services.document_submit(document=document, actor=teacher)
        ids.append(process.pk)
    return JsonResponse({"processes": ids})
