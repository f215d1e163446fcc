"""reports listens to what documents announces (documents/signals.py) and reads the text
in its own Celery tasks, after the commit of the change (connected in ReportsConfig.ready)."""

from __future__ import annotations

from typing import Any

from common.broker import enqueue_on_commit

from .tasks import TASK_NAME, VERSION_TASK_NAME


def document_text_rebuild(sender: Any, document: Any, **kwargs: Any) -> None:
    """Search reads the title, description and file text: rebuilt in Celery after the
    commit, since reading a file never belongs in the request."""
    enqueue_on_commit(TASK_NAME, document.pk)


def version_text_read(sender: Any, version: Any, **kwargs: Any) -> None:
    """A frozen version's paragraphs, for comparing versions: read once, in Celery. The
    debt is written in the submission's transaction, so a lost task is found by the sweep."""
    from .models import VersionTextOwed

    VersionTextOwed.objects.create(version_id=version.pk)
    enqueue_on_commit(VERSION_TASK_NAME, version.pk)
