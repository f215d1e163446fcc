"""What the council announces to the apps above it, which it never imports.

`protocol_confirmed` is sent inside the transaction of the second signature, after the
protocol got its number and before the council's inbox steps are brought up to date: a
receiver's writes commit or roll back with the confirmation, and an exception a receiver
raises (e.g. a document's process is locked by someone else) undoes the confirmation and
reaches the caller. The flow connects to it in FlowsConfig.ready to move each document on
the agenda on by the council's decision."""

from __future__ import annotations

from django.dispatch import Signal

# sender=Protocol; kwargs: protocol (confirmed, numbered), session, actor.
protocol_confirmed = Signal()
