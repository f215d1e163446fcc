from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _allow_db_access_next_to_playwrights_event_loop():
    """Playwright's sync API runs an asyncio loop in this thread; Django would then refuse
    ORM calls from the test body (SynchronousOnlyOperation). Allowed for this module only."""
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if old is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old
