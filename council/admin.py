from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import SchoolScopedAdmin

from .models import Council, CouncilMember
from .services import council_roles_sync


class CouncilMemberInline(admin.TabularInline):
    model = CouncilMember
    extra = 1
    autocomplete_fields = ["user"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        from accounts.models import User

        if db_field.name == "user" and request.user.school_id and not request.user.is_superuser:
            kwargs["queryset"] = User.objects.filter(school_id=request.user.school_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Council)
class CouncilAdmin(SchoolScopedAdmin):
    list_display = ["__str__", "chair", "secretary"]
    list_filter = ["academic_year", "school"]
    inlines = [CouncilMemberInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        council_roles_sync(council=form.instance)
