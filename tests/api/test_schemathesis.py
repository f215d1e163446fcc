"""The API fuzzed against its own OpenAPI schema (schemathesis), with the demo school
loaded (`manage.py load_demo`): data that follows the schema and data that breaks it, as
the chair, a teacher, an expert and the district administrator, on random ids and on the
demo's real documents, tasks and sessions. No answer may be a server error, an
undocumented status or content type, or a body that contradicts the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from api.models import PersonalToken
from api.services import token_create
from council.models import Session
from documents.models import Document

pytestmark = pytest.mark.django_db
EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def real_ids(user: User) -> dict[str, list[int]]:
    """Path parameters that exist for this person, so the fuzzer gets past the 404s."""
    tasks = list(
        Task.objects.filter(owner=user, status=STATUS.ASSIGNED, flow_task_type="HUMAN")
        .order_by("pk")
        .values_list("pk", flat=True)[:3]
    )
    documents = list(Document.objects.order_by("pk").values_list("pk", flat=True)[:3])
    sessions = list(Session.objects.order_by("pk").values_list("pk", flat=True)[:1])
    return {
        "task_id": tasks,
        "document_id": documents,
        "session_id": sessions,
        "notification_id": list(user.notifications.order_by("pk").values_list("pk", flat=True)[:1]),
    }


def fuzz(schema, operation, key: str, mode, path_parameters=None) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same examples in every run: CI does not flicker
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {key}"})
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except BaseException as error:
        failures.append(f"{operation.label} [{mode.name}] {path_parameters}: {error}"[:2000])
    return failures


@pytest.fixture
def connection_kept():
    """As in Django's test client: a request must not close the test's connection (its
    transaction holds the demo school)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_answers_every_request_within_its_schema(settings, connection_kept):
    call_command("load_demo", verbosity=0)
    settings.API_TOKEN_RATE_PER_MINUTE = 1_000_000  # the fuzzer is faster than a person
    personas = ["chair", "teacher", "expert1", "district"]
    keys = {
        name: token_create(user=User.objects.get(username=name), name="fuzz", days=1)[1]
        for name in personas
    }
    assert PersonalToken.objects.count() == len(personas)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for name in personas:
        user = User.objects.get(username=name)
        ids = real_ids(user)
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += fuzz(schema, operation, keys[name], mode)
            names = [p.name for p in operation.path_parameters]
            if names and all(ids.get(n) for n in names):
                for i in range(max(len(ids[n]) for n in names)):
                    chosen = {n: ids[n][min(i, len(ids[n]) - 1)] for n in names}
                    failures += fuzz(schema, operation, keys[name], GenerationMode.POSITIVE, chosen)
    assert not failures, "\n\n".join(failures)
