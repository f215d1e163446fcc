"""What the documents app announces. documents sits below council, flows and reports and
never names their modules or tasks: an upper app that must act on a change connects a
receiver in its AppConfig.ready (reports: the search text and a version's paragraphs,
reports/receivers.py). Both are sent inside the transaction of the change; a receiver
that starts work in Celery enqueues it on commit (common.broker.enqueue_on_commit)."""

from __future__ import annotations

from django.dispatch import Signal

# A working copy was created or saved: its title, description or file may have changed.
# Keyword argument: document. The save also marked the content unread
# (Document.content_unread_since), so a listener whose work was lost finds it again.
document_content_changed = Signal()

# A version was frozen at submission (its number, title and file never change again).
# Keyword argument: version.
version_frozen = Signal()
