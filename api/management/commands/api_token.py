"""Create a personal API token for a person and print it (it is shown only this once):

    TOKEN=$(.venv/bin/python manage.py api_token chair --name "curl" --days 30)

The same as "Create a token" on the profile page; for scripts and the README's example."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from api.services import token_create


class Command(BaseCommand):
    help = "Create a personal API token for a person and print it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.")
        try:
            _token, key = token_create(user=user, name=options["name"], days=options["days"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(key)
