"""What the accounts app announces. accounts is the ground of the apps and imports none of
them: an app that must act when people are created connects a receiver in its
AppConfig.ready (notifications sends each a set-password e-mail, notifications/receivers.py).
Sent inside the transaction that created them, so that whatever a receiver writes commits
or rolls back with them."""

from __future__ import annotations

from django.dispatch import Signal

# New people were created without a password (the staff import); each is to be told how
# to set one (accounts.staff_import.welcome_notice). Keyword argument: people, a list of
# User.
people_created = Signal()
