from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import SchoolScopedAdmin

from .models import Document, DocumentVersion, OfficialPaper, PaperStatus
from .papers import code_display, paper_may_revoke, paper_revoke


class VersionInline(admin.TabularInline):
    model = DocumentVersion
    fields = ["number", "title", "file_name", "file_size", "submitted_by", "submitted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(SchoolScopedAdmin):
    """Read-only: documents change only through the expertise."""

    list_display = ["title", "doc_type", "author", "stage", "academic_year", "updated_at"]
    list_filter = ["stage", "doc_type", "academic_year", "school"]
    search_fields = ["title"]
    inlines = [VersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaperRevokeForm(forms.ModelForm):
    class Meta:
        model = OfficialPaper
        fields = ["revoked_reason"]

    actor: Any = None  # set by the admin: who is revoking

    def clean_revoked_reason(self) -> str:
        reason = self.cleaned_data["revoked_reason"].strip()
        if reason and self.instance.status != PaperStatus.VALID:
            raise ValidationError(_("Only a valid paper can be revoked."))
        if reason and not paper_may_revoke(self.actor, self.instance):
            raise ValidationError(_("Only the school's administrator revokes its papers."))
        return reason


@admin.register(OfficialPaper)
class OfficialPaperAdmin(SchoolScopedAdmin):
    """The papers the school issued. Nothing is edited here but a revocation: a reason
    typed and saved withdraws the paper (its public page then says so)."""

    form = PaperRevokeForm
    list_display = ["kind", "number", "title", "approved_on", "status", "issued_at"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "title"]
    fields = [
        "printed_code",
        "kind",
        "school",
        "title",
        "number",
        "approved_on",
        "signatories",
        "signed_by",
        "pdf_sha256",
        "version_sha256",
        "status",
        "superseded_by",
        "issued_at",
        "revoked_at",
        "revoked_reason",
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    @admin.display(description=_("Verification code"))
    def printed_code(self, obj: OfficialPaper) -> str:
        return code_display(obj.code)

    def get_queryset(self, request: HttpRequest) -> Any:
        # Reserved codes of renderings in progress are nobody's business.
        return super().get_queryset(request).exclude(status=PaperStatus.PENDING)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = [name for name in self.fields if name != "revoked_reason"]
        if obj is not None and obj.status != PaperStatus.VALID:
            readonly.append("revoked_reason")
        return readonly

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: OfficialPaper, form: Any, change: bool) -> None:
        # Through the service, never a plain save: it checks who may and stamps the time.
        reason = form.cleaned_data.get("revoked_reason", "")
        if reason and obj.status == PaperStatus.VALID:
            paper_revoke(paper=obj, actor=request.user, reason=reason)
