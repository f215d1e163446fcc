"""`make run` loads the demo school through the real services; it must keep working."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from documents.models import Document, Stage
from flows.stages import NODES

pytestmark = pytest.mark.django_db


def test_the_demo_school_loads_once_with_documents_at_several_stages():
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # idempotent
    stages = set(Document.objects.values_list("stage", flat=True))
    assert {
        Stage.DRAFT,
        Stage.SCREENING,
        Stage.IN_EXPERTISE,
        Stage.REVISION,
        Stage.DECISION,
        Stage.DIRECTOR,
    } <= stages
    assert Document.objects.count() == 6
    # The registry's stage of each node is where the flow's services leave the document.
    open_tasks = Task.objects.filter(status__in=(STATUS.NEW, STATUS.ASSIGNED)).select_related(
        "process__expertiseprocess__document"
    )
    seen = set()
    for task in open_tasks:
        document = task.process.expertiseprocess.document
        node = task.flow_task.name
        seen.add(node)
        assert NODES[node].stage == document.stage, (
            f"{document}: at node {node} the registry says {NODES[node].stage}, "
            f"the document is {document.stage}"
        )
    assert {"screen", "review", "decide", "revise", "approve"} <= seen
    for username in (
        "teacher",
        "chair",
        "expert1",
        "secretary",
        "director",
        "admin",
        "district",
        "root",
    ):
        assert User.objects.get(username=username).check_password("demo-council-94")
    # The demo's school administrator is the scoped one, not a superuser.
    admin = User.objects.get(username="admin")
    assert admin.is_staff and not admin.is_superuser
    assert admin.groups.filter(name="school_admin").exists()
    assert User.objects.get(username="root").is_superuser
