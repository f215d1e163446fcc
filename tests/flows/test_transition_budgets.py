"""What one transition costs in statements, through the task page, as `make bench-national`
counts them (bench/results/): the budgets are those figures. The chair's screening writes
the reviews, their reminders, the notifications and deliveries in bulk, so a third expert
adds only viewflow's own two rows for the expert's task (the task and its link to the
split); the step reads no row twice."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.helpers import create_and_submit, review_post, the_task

pytestmark = pytest.mark.django_db

# Statements of each step without savepoints: the counts of bench/results/national-*.md
# (34, 19, 28, 26 on the national data) less the savepoint statements there (the step's
# own and the ones viewflow takes around a gateway or a join).
BUDGETS = {
    "screen": 30,  # two experts
    "review": 17,  # an expert who is not the last
    "last review": 24,  # the join completes, the chair's decision task is created
    "decide": 22,  # recommended; the chair's agenda step already open
    "return": 18,  # the chair returns the submission for formal fixes
}


def statements(context: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in context.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def post(client, task, data) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.post(reverse("flows:task", args=[task.pk]), data)
    assert response.status_code == 302, response.content[:500]
    return statements(context)


def screen_form(experts) -> dict:
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    return {"action": "accept", "experts": [e.pk for e in experts], "due_date": due}


def table_of(sql: str) -> str:
    """ "INSERT INTO viewflow_task", "SELECT accounts_user", …: what a statement does where."""
    verb = sql.split()[0]
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
    return f"{verb} {match.group(1) if match else '?'}"


def same_row_read_twice(sqls: list[str]) -> list[str]:
    reads = Counter(sql for sql in sqls if sql.startswith("SELECT"))
    return [sql[:200] for sql, n in reads.items() if n > 1]


def test_each_step_within_its_budget_and_no_row_read_twice(world):
    chair = world.client(world.chair)
    experts = world.experts[:2]
    # The chair's agenda step is open after a first recommendation; the measured decision
    # is the steady state of a council's year.
    create_and_submit(world, title="Budget zero")
    post(chair, the_task(world.chair, "screen"), screen_form(experts))
    for expert in experts:
        post(world.client(expert), the_task(expert, "review"), review_post("approve", ["a"]))
    post(chair, the_task(world.chair, "decide"), {"decision": "recommend", "reason": ""})

    create_and_submit(world, title="Budget one")
    costs = {}
    costs["screen"] = post(chair, the_task(world.chair, "screen"), screen_form(experts))
    costs["review"] = post(
        world.client(experts[0]), the_task(experts[0], "review"), review_post("approve", ["a"])
    )
    costs["last review"] = post(
        world.client(experts[1]), the_task(experts[1], "review"), review_post("approve", ["a"])
    )
    costs["decide"] = post(
        chair, the_task(world.chair, "decide"), {"decision": "recommend", "reason": ""}
    )
    create_and_submit(world, title="Budget two")
    costs["return"] = post(
        chair, the_task(world.chair, "screen"), {"action": "return", "reason": "Бет номерлери"}
    )
    report = {step: len(sqls) for step, sqls in costs.items()}
    over = {step: (report[step], BUDGETS[step]) for step in BUDGETS if report[step] > BUDGETS[step]}
    assert not over, over
    for step, sqls in costs.items():
        assert not same_row_read_twice(sqls), (step, same_row_read_twice(sqls))


def test_more_experts_add_only_viewflows_rows(world):
    """One expert and three: the reviews, reminders, notifications and deliveries are
    each one statement whatever their number; viewflow writes two rows per task."""
    chair = world.client(world.chair)
    create_and_submit(world, title="One expert")
    one = post(chair, the_task(world.chair, "screen"), screen_form(world.experts[:1]))
    create_and_submit(world, title="Three experts")
    three = post(chair, the_task(world.chair, "screen"), screen_form(world.experts[:3]))
    assert len(three) - len(one) == 2 * 2, (len(one), len(three))
    grown = Counter(map(table_of, three)) - Counter(map(table_of, one))
    assert set(grown) == {
        "INSERT viewflow_task",
        "INSERT viewflow_task_previous",
    }, grown
