from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.dates import DayMonthYearField
from accounts.models import User
from documents.models import ExpertiseRound, Opinion, Recommendation

from .models import ExpertiseProcess


class ExpertChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username}" + (
            f" — {obj.position}" if obj.position else ""
        )


class ScreenForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Your decision"),
        choices=ExpertiseProcess.Screening.choices,
        widget=forms.RadioSelect,
    )
    experts = ExpertChoiceField(
        label=_("Experts"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    due_date = DayMonthYearField(
        label=_("Due date of the reviews"),
        required=False,
    )
    reason = forms.CharField(
        label=_("What must be fixed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = candidates
        if not self.is_bound:
            self.fields["due_date"].initial = timezone.localdate() + datetime.timedelta(
                days=settings.EXPERTISE_DEFAULT_DAYS
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == ExpertiseProcess.Screening.ACCEPT:
            if not data.get("experts"):
                self.add_error("experts", _("Choose at least one expert."))
            due = data.get("due_date")
            if not due:
                self.add_error("due_date", _("Set the due date."))
            elif due < timezone.localdate():
                self.add_error("due_date", _("The due date cannot be in the past."))
        elif (
            data.get("action") == ExpertiseProcess.Screening.RETURN
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Say what the author must fix."))
        return data


class ReviewForm(forms.Form):
    opinion = forms.ChoiceField(
        label=_("Opinion"), choices=Opinion.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class RecommendationForm(forms.Form):
    text = forms.CharField(
        label=_("Recommendation"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BaseRecommendationFormSet(forms.BaseFormSet):
    def texts(self) -> list[str]:
        return [
            f.cleaned_data["text"].strip()
            for f in self.forms
            if f.cleaned_data.get("text", "").strip()
        ]


RecommendationFormSet = forms.formset_factory(
    RecommendationForm, formset=BaseRecommendationFormSet, extra=3, max_num=50, validate_max=True
)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=ExpertiseRound.Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason and consolidated recommendations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("decision") == ExpertiseRound.Decision.REJECT
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Give the reason for the rejection."))
        return data


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"),
        choices=Recommendation.Answer.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason for declining"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, recommendation: Recommendation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recommendation = recommendation

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("answer") == Recommendation.Answer.DECLINED
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Give a reason for declining."))
        return data


def answer_forms(recommendations: list[Recommendation], data: Any = None) -> list[AnswerForm]:
    return [
        AnswerForm(
            data,
            prefix=f"rec-{rec.pk}",
            recommendation=rec,
            initial={"answer": rec.answer, "reason": rec.answer_reason},
        )
        for rec in recommendations
    ]


class PedagogicalForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=ExpertiseProcess.PedagogicalOutcome.choices,
        widget=forms.RadioSelect,
    )
    protocol_number = forms.CharField(
        label=_("Pedagogical council protocol №"), max_length=20, required=False
    )
    considered_on = DayMonthYearField(
        label=_("Date of the pedagogical council"),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason for returning"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("outcome") == ExpertiseProcess.PedagogicalOutcome.CONSIDERED:
            if not (data.get("protocol_number") or "").strip():
                self.add_error("protocol_number", _("Enter the protocol number."))
            if not data.get("considered_on"):
                self.add_error("considered_on", _("Enter the date."))
        elif (
            data.get("outcome") == ExpertiseProcess.PedagogicalOutcome.RETURNED
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Say why the document goes back to its author."))
        return data


class ApproveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=ExpertiseProcess.DirectorDecision.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for returning"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("outcome") == ExpertiseProcess.DirectorDecision.RETURN
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Say why the document goes back to its author."))
        return data
