from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.dates import DayMonthYearField, HourMinuteField
from accounts.models import User
from documents.models import Document

from .models import AgendaItem


class DocumentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Document) -> str:
        return f"{obj.title} — {obj.get_doc_type_display()}, {obj.author.get_short_name()}"


class SessionForm(forms.Form):
    date = DayMonthYearField(label=_("Date"))
    time = HourMinuteField(label=_("Time"), required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    is_year_end = forms.BooleanField(
        label=_("Year-end session (sums up the year, regulation 5.2)"), required=False
    )
    documents = DocumentChoiceField(
        label=_("Documents recommended to a council session"),
        queryset=Document.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    free_items = forms.CharField(
        label=_("Other agenda items (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, documents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = documents


class AttendanceForm(forms.Form):
    present = forms.ModelMultipleChoiceField(
        label=_("Present"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = members


class SecretaryForm(forms.Form):
    secretary = forms.ModelChoiceField(
        label=_("Secretary elected"), queryset=User.objects.none(), required=True
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secretary"].queryset = members


class ItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = [
            "heard",
            "speakers",
            "resolution",
            "decision",
            "votes_for",
            "votes_against",
            "votes_abstained",
        ]
        widgets = {
            "heard": forms.Textarea(attrs={"rows": 2}),
            "speakers": forms.Textarea(attrs={"rows": 2}),
            "resolution": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "heard": _("Heard (УГУЛДУ)"),
            "speakers": _("Spoke (СҮЙЛӨДҮ)"),
            "resolution": _("Resolved (ТОКТОМ)"),
        }


class ReportForm(forms.Form):
    directions = forms.CharField(
        label=_("Directions of work for the next academic year (regulation 5.2)"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class PresentedForm(forms.Form):
    presented_on = DayMonthYearField(label=_("Presented to the pedagogical council on"))
    protocol_number = forms.CharField(label=_("Pedagogical council protocol №"), max_length=20)
