from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AcademicYear, MethodicalAssociation, User
from documents.models import DocumentType

from .selectors import STAGE_GROUPS, Filters


class ListFilterForm(forms.Form):
    """The filters of every list: academic year, type, methodical association, author,
    stage, overdue only. Choices are the school's own; a foreign id is simply invalid."""

    year = forms.ModelChoiceField(
        label=_("Academic year"), queryset=AcademicYear.objects.none(), required=False
    )
    doc_type = forms.ChoiceField(label=_("Type"), required=False)
    association = forms.ModelChoiceField(
        label=_("Methodical association"),
        queryset=MethodicalAssociation.objects.none(),
        required=False,
    )
    author = forms.ModelChoiceField(label=_("Author"), queryset=User.objects.none(), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(
        self, *args: Any, school_id: int | None, with_overdue: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].queryset = AcademicYear.objects.order_by("-starts_on")
        self.fields["year"].empty_label = _("All years")
        self.fields["doc_type"].choices = [("", _("All types")), *DocumentType.choices]
        self.fields["association"].queryset = MethodicalAssociation.objects.filter(
            school_id=school_id
        ).order_by("name")
        self.fields["association"].empty_label = _("All associations")
        self.fields["author"].queryset = (
            User.objects.filter(school_id=school_id, documents__isnull=False)
            .distinct()
            .order_by("last_name", "first_name", "pk")
        )
        self.fields["author"].empty_label = _("All authors")
        self.fields["author"].label_from_instance = lambda user: user.get_short_name()
        self.fields["stage"].choices = [
            ("", _("All stages")),
            *((key, label) for key, label, _stages in STAGE_GROUPS),
        ]
        if not with_overdue:
            del self.fields["overdue"]

    def filters(self) -> Filters:
        """The valid filters; an invalid form filters nothing rather than failing."""
        if not self.is_bound or not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            academic_year=data.get("year"),
            doc_type=data.get("doc_type") or "",
            association=data.get("association"),
            author=data.get("author"),
            stage=data.get("stage") or "",
            overdue_only=bool(data.get("overdue")),
        )
