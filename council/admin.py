from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import SafeAutocompleteSelect, SchoolScopedAdmin

from .models import Council, CouncilMember, Session
from .services import council_agendas_reopen, council_roles_sync, council_tasks_sync


class CouncilMemberInline(admin.TabularInline):
    model = CouncilMember
    extra = 1
    autocomplete_fields = ["user"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        from accounts.models import User

        if db_field.name == "user" and request.user.school_id and not request.user.is_superuser:
            # Membership gives a role: an administrator does not make themselves a member.
            kwargs["queryset"] = User.objects.filter(school_id=request.user.school_id).exclude(
                pk=request.user.pk
            )
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Council)
class CouncilAdmin(SchoolScopedAdmin):
    list_display = ["__str__", "chair", "secretary"]
    list_filter = ["academic_year", "school"]
    inlines = [CouncilMemberInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("chair", "secretary") and not request.user.is_superuser:
            # The chair's and the secretary's places give roles: an administrator does not
            # give them to themselves.
            field.queryset = field.queryset.exclude(pk=request.user.pk)
        return field

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        council_roles_sync(council=form.instance, actor=request.user)
        # A new chair or secretary takes over the council's open steps.
        council_tasks_sync(council=form.instance)
        # A member added after a coming session's agenda went out gets it too.
        council_agendas_reopen(council=form.instance)


@admin.register(Session)
class SessionAdmin(SchoolScopedAdmin):
    """Read-only: sessions are kept through the council pages, protocols never change."""

    school_field = "council__school"
    list_display = ["__str__", "quarter", "status", "is_first", "is_year_end"]
    list_filter = ["status", "quarter", "council__academic_year"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
