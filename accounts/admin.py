from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import AcademicYear, CreativeGroup, District, MethodicalAssociation, School, User


class SchoolScopedAdmin(admin.ModelAdmin):
    """A school administrator (staff with a school) sees and creates only their school's
    rows; superusers and district staff without a school see everything."""

    school_field = "school"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser or request.user.school_id is None:
            return qs
        return qs.filter(**{f"{self.school_field}_id": request.user.school_id})

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if (
            not request.user.is_superuser
            and request.user.school_id
            and self.school_field == "school"
        ):
            fields.append("school")
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if (
            not change
            and self.school_field == "school"
            and not request.user.is_superuser
            and request.user.school_id
        ):
            obj.school_id = request.user.school_id
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        school_id = request.user.school_id
        if school_id and not request.user.is_superuser:
            model = db_field.related_model
            if model is User:
                kwargs["queryset"] = User.objects.filter(school_id=school_id)
            elif model is School:
                kwargs["queryset"] = School.objects.filter(pk=school_id)
            elif hasattr(model, "school_id"):
                kwargs["queryset"] = model.objects.filter(school_id=school_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "district"]
    list_filter = ["district"]
    search_fields = ["name", "short_name"]


@admin.register(AcademicYear)
class AcademicYearAdmin(admin.ModelAdmin):
    list_display = ["__str__", "starts_on", "ends_on"]


@admin.register(MethodicalAssociation)
class MethodicalAssociationAdmin(SchoolScopedAdmin):
    list_display = ["name", "school", "head"]
    list_filter = ["school"]
    search_fields = ["name"]


@admin.register(CreativeGroup)
class CreativeGroupAdmin(SchoolScopedAdmin):
    list_display = ["name", "school"]
    list_filter = ["school"]
    filter_horizontal = ["members"]


@admin.register(User)
class UserAdmin(SchoolScopedAdmin, BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "school", "position", "is_active"]
    list_filter = ["school", "groups", "is_active", "is_staff"]
    search_fields = ["username", "last_name", "first_name", "email"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("School"),
            {"fields": ("school", "patronymic", "position", "methodical_association", "language")},
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("School"), {"fields": ("school", "last_name", "first_name", "patronymic", "position")}),
    )

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        # Deactivated with open tasks: ask to whom each goes (the tasks page offers the
        # role's new holder), so that nothing waits for someone who left.
        from flows.selectors import open_tasks_of

        if not obj.is_active and obj.school_id and open_tasks_of(obj):
            from django.contrib import messages
            from django.http import HttpResponseRedirect
            from django.urls import reverse

            messages.warning(
                request,
                _("%(name)s has open tasks. Choose to whom each goes.") % {"name": obj},
            )
            if request.user.school_id == obj.school_id:
                return HttpResponseRedirect(f"{reverse('flows:unowned')}?person={obj.pk}")
        return super().response_change(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser hands out superuser rights or raw permissions.
            fields += ["is_superuser", "user_permissions"]
        return fields
