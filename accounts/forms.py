from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .dates import DayMonthYearField
from .models import User

# Say so while there is still time: warn when this many attempts or fewer are left before
# django-axes locks the sign-in (by name and address) for its cool-off time.
WARN_WHEN_LEFT = 2


class LoginForm(AuthenticationForm):
    """Django's login form that, after a wrong password, tells how many attempts are left
    once only a couple are."""

    attempts_left: int | None = None

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            self.attempts_left = self._attempts_left()
            raise

    def _attempts_left(self) -> int | None:
        from axes.handlers.proxy import AxesProxyHandler
        from axes.helpers import get_failure_limit

        username = self.cleaned_data.get("username")
        if not username or self.request is None:
            return None
        credentials = {"username": username}
        left = get_failure_limit(self.request, credentials) - AxesProxyHandler.get_failures(
            self.request, credentials
        )
        return left if 0 < left <= WARN_WHEN_LEFT else None

    def cooloff_minutes(self) -> int:
        from axes.helpers import get_cool_off

        delta = get_cool_off(self.request)
        return round(delta.total_seconds() / 60) if delta else 0


class AbsenceForm(forms.Form):
    """A period of absence and the colleague who acts for the person meanwhile."""

    starts_on = DayMonthYearField(
        error_messages={"invalid": _("Enter valid dates."), "required": _("Enter valid dates.")}
    )
    ends_on = DayMonthYearField(
        error_messages={"invalid": _("Enter valid dates."), "required": _("Enter valid dates.")}
    )
    substitute = forms.ModelChoiceField(
        queryset=User.objects.none(),
        error_messages={
            "invalid_choice": _("Choose a substitute from your school."),
            "required": _("Choose a substitute from your school."),
        },
    )

    def __init__(self, *args: Any, colleagues: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = colleagues

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            raise forms.ValidationError(_("The end cannot be before the start."))
        return data
