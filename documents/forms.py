from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AcademicYear, MethodicalAssociation, User

from .models import Document
from .uploads import validate_document_upload


class DocumentForm(forms.ModelForm):
    upload = forms.FileField(
        label=_("File (.docx, .odt or .pdf)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".docx,.odt,.pdf,application/pdf,"
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
                "application/vnd.oasis.opendocument.text"
            }
        ),
    )

    class Meta:
        model = Document
        fields = ["doc_type", "title", "academic_year", "methodical_association", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["methodical_association"].queryset = MethodicalAssociation.objects.filter(
            school_id=user.school_id
        )
        self.fields["academic_year"].queryset = AcademicYear.objects.all()
        if self.instance.pk and self.instance.version_count:
            self.fields["academic_year"].disabled = True  # fixed once submitted
        if not self.instance.pk:
            current = AcademicYear.current()
            if current is not None:
                self.fields["academic_year"].initial = current.pk
            if user.methodical_association_id:
                self.fields["methodical_association"].initial = user.methodical_association_id

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            self.upload_info = validate_document_upload(upload)
        else:
            self.upload_info = None
        return upload

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "doc_type": data["doc_type"],
            "title": data["title"],
            "academic_year": data["academic_year"],
            "methodical_association": data.get("methodical_association"),
            "description": data.get("description", ""),
            "upload": data.get("upload") or None,
            "upload_info": self.upload_info,
        }
