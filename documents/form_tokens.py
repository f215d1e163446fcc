"""One document per submission of the "new document" form.

The form carries a random token. The first save that comes with it creates the document
and remembers token → document in the author's session; any later POST with the same
token (Back and Save again, a double click, a retry after a timeout) edits and returns that
same document instead of creating another one. The session is the right scope: the token
is only ever shown to that person, and no table or migration is needed for it."""

from __future__ import annotations

import secrets

from django.http import HttpRequest

SESSION_KEY = "document_form_tokens"
KEEP = 30  # the last tokens of this session; an older page simply makes a new draft


def new_token() -> str:
    return secrets.token_urlsafe(16)


def document_for_token(request: HttpRequest, token: str) -> int | None:
    """The document already made from this form, read from the stored session (a request
    that waited for the first one's lock holds a session loaded before that commit)."""
    if not token:
        return None
    stored = type(request.session)(request.session.session_key)
    tokens = {**request.session.get(SESSION_KEY, {}), **stored.get(SESSION_KEY, {})}
    if tokens:
        # Keep them in this request's session too, or saving it at the end would drop them.
        request.session[SESSION_KEY] = tokens
    return tokens.get(token)


def remember_token(request: HttpRequest, token: str, document_pk: int) -> None:
    """Call inside the transaction that created the document: the session row is written
    with it, before the lock that orders a person's own submissions is released."""
    if not token:
        return
    tokens = dict(request.session.get(SESSION_KEY, {}))
    tokens[token] = document_pk
    request.session[SESSION_KEY] = dict(list(tokens.items())[-KEEP:])
    request.session.save()
