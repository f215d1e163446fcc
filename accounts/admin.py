from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.params import MAX_ID

from .audit import acting_as
from .models import (
    AcademicYear,
    CreativeGroup,
    District,
    MethodicalAssociation,
    RoleChange,
    School,
    User,
)
from .roles import Role

# Roles that hand out rights: only a superuser gives them, so that an administrator's
# rights can never grow by their own hand.
ADMIN_ROLES = (Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN)
# Roles whose holders decide on documents. Giving someone such a role is recorded
# (RoleChange) and shown to the director and the district; setting the password of someone
# who already holds one would let an administrator sign in and decide in their name with no
# trace. So only a superuser (or the person) sets those passwords.
DECIDING_ROLES = (Role.COUNCIL_MEMBER, Role.CHAIR, Role.SECRETARY, Role.DIRECTOR)


def grantable_roles(user: Any) -> list[str]:
    if user.is_superuser:
        return list(Role.values)
    return [role for role in Role.values if role not in ADMIN_ROLES]


def _scoped_list_filter(list_filter: Any) -> list[Any]:
    # A plain "school" filter lists every school of the deployment; this one lists only
    # the schools of the rows the admin may see (their own school, their district's).
    return [
        (name, admin.RelatedOnlyFieldListFilter) if name in ("school", "groups") else name
        for name in list_filter
    ]


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up when it shows the form
    again; a value that is not a key at all ("abc") or past bigint makes that query fail.
    Such a value is dropped: the form already says "select a valid choice"."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        pk_field = self.field.remote_field.model._meta.pk
        kept = []
        for item in value:
            try:
                parsed = pk_field.to_python(item)
            except (ValidationError, TypeError, ValueError):
                continue
            if parsed in (None, "") or (isinstance(parsed, int) and abs(parsed) > MAX_ID):
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class SchoolScopedAdmin(admin.ModelAdmin):
    """A school administrator (staff with a school) sees and creates only their school's
    rows; staff of a district (no school) only their district's; superusers everything."""

    school_field = "school"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser:
            return qs
        if user.school_id is not None:
            return qs.filter(**{f"{self.school_field}_id": user.school_id})
        if user.district_id is not None:
            return qs.filter(**{f"{self.school_field}__district_id": user.district_id})
        return qs.none()

    def get_list_filter(self, request: HttpRequest) -> Any:
        return _scoped_list_filter(super().get_list_filter(request))

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Roles given by saving this form (a user's groups, a council's chair and members)
        # are recorded as given by this administrator.
        with acting_as(request.user):
            return super().changeform_view(request, *args, **kwargs)

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
    """People of the school. A school administrator (no superuser) never sees superusers,
    other staff or anyone holding an administrator's role, never changes their own roles
    and never gives an administrator's role: their rights cannot grow by their own hand
    (setting a superuser's password and signing in as them, making themselves director)."""

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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        administrators = User.objects.filter(groups__name__in=ADMIN_ROLES).values("pk")
        protected = Q(is_superuser=True) | Q(is_staff=True) | Q(pk__in=administrators)
        return qs.exclude(protected & ~Q(pk=request.user.pk))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser or obj.pk == request.user.pk:
            return True
        # Belt and braces for paths that fetch the user without get_queryset().
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        if not request.user.is_superuser and str(unquote(id)) != str(request.user.pk):
            target = self.get_object(request, unquote(id))
            if target is not None and target.groups.filter(name__in=DECIDING_ROLES).exists():
                raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        # Deactivated with open tasks: ask to whom each goes (the tasks page offers the
        # role's new holder), so that nothing waits for someone who left.
        from .open_work import handover_url_for

        handover_url = handover_url_for(obj) if not obj.is_active and obj.school_id else None
        if handover_url:
            from django.contrib import messages
            from django.http import HttpResponseRedirect

            messages.warning(
                request,
                _("%(name)s has open tasks. Choose to whom each goes.") % {"name": obj},
            )
            if request.user.school_id == obj.school_id:
                return HttpResponseRedirect(handover_url)
        return super().response_change(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser hands out superuser rights, raw permissions or admin access.
            fields += ["is_superuser", "user_permissions", "is_staff"]
            if obj is not None and obj.pk == request.user.pk:
                fields.append("groups")  # nobody changes their own roles
        return fields

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(name__in=grantable_roles(request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        chosen = form.cleaned_data.get("groups")
        if chosen is not None and change and not request.user.is_superuser:
            # Groups the admin may not give are not in the form; keep the ones the person
            # has instead of letting the form take them away.
            kept = form.instance.groups.exclude(name__in=grantable_roles(request.user))
            form.cleaned_data["groups"] = [*chosen, *kept]
        super().save_related(request, form, formsets, change)


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """The append-only record of role changes, read-only (superusers; the director and the
    district administrator read it at /roles/history/)."""

    list_display = ["created_at", "user", "role", "action", "actor", "school"]
    list_filter = ["action", "role"]
    search_fields = ["user__username", "user__last_name", "actor__username"]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        from .selectors import role_changes_visible_to

        return role_changes_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# django-celery-beat's admin (periodic jobs, superusers only) answers some malformed forms
# with a 500: a crontab such as "-1" breaks the human-readable preview shown with the form's
# errors, and a custom task name over 200 characters breaks its form's clean(). The same
# admins, with those two places made to show the form's errors instead.
def _register_safe_beat_admin() -> None:
    from django.utils.translation import gettext_lazy as _
    from django_celery_beat import admin as beat_admin
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    class SafePeriodicTaskForm(beat_admin.PeriodicTaskForm):
        def clean(self) -> Any:
            # An invalid "task" is already reported on its field; the parent's clean()
            # reads it unconditionally.
            self.cleaned_data.setdefault("task", "")
            return super().clean()

    class SafePeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
        form = SafePeriodicTaskForm

    class SafeCrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
        fields = (
            "readable",
            "minute",
            "hour",
            "day_of_month",
            "month_of_year",
            "day_of_week",
            "timezone",
        )
        readonly_fields = ("readable",)

        @admin.display(description=_("human readable"))
        def readable(self, obj: CrontabSchedule) -> str:
            try:
                return obj.human_readable
            except Exception:  # an unsaved, invalid schedule being shown with its errors
                return "—"

    for model, model_admin in (
        (PeriodicTask, SafePeriodicTaskAdmin),
        (CrontabSchedule, SafeCrontabScheduleAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, model_admin)


_register_safe_beat_admin()
