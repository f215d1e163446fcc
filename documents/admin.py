from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import SchoolScopedAdmin

from .models import Document, DocumentVersion


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
