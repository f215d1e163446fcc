from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import User


class AbsenceForm(forms.Form):
    """A period of absence and the colleague who acts for the person meanwhile."""

    starts_on = forms.DateField(
        error_messages={"invalid": _("Enter valid dates."), "required": _("Enter valid dates.")}
    )
    ends_on = forms.DateField(
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
