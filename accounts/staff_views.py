"""The school administrator's staff import: upload → a dry-run preview with an error per
row → import. The rows wait in the session between the preview and the import, so the
import does exactly what the preview showed (checked once more under its transaction)."""

from __future__ import annotations

import io
from dataclasses import asdict

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import staff_import
from .models import MethodicalAssociation, School
from .roles import Role

SESSION_KEY = "staff_import_rows"


class StaffFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Table of staff (.xlsx or .csv)"))


def _school(request: HttpRequest) -> School:
    """A school administrator's own school: the page imports into it only."""
    user = request.user
    if user.school_id is None or not user.has_perm("accounts.add_user"):
        raise PermissionDenied
    return user.school


@login_required
@require_http_methods(["GET", "POST"])
def staff_import_page(request: HttpRequest) -> HttpResponse:
    school = _school(request)
    form = StaffFileForm()
    results = None
    if request.method == "POST" and request.POST.get("action") == "import":
        stored = request.session.get(SESSION_KEY)
        if not stored:
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("staff_import")
        rows = [staff_import.StaffRow(**row) for row in stored]
        report = staff_import.staff_import_apply(actor=request.user, rows=rows, school=school)
        del request.session[SESSION_KEY]
        messages.success(
            request,
            _(
                "Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, "
                "%(errors)s rows with errors skipped."
            )
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "errors": report.errors,
            },
        )
        return redirect("staff_import")
    if request.method == "POST":
        form = StaffFileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                rows = staff_import.staff_file_read(upload=form.cleaned_data["file"])
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                results = staff_import.staff_import_check(
                    actor=request.user, rows=rows, school=school
                )
                request.session[SESSION_KEY] = [asdict(row) for row in rows]
    counts = {}
    if results is not None:
        for action in ("create", "update", "unchanged", "error"):
            counts[action] = sum(1 for r in results if r.action == action)
    return render(
        request,
        "accounts/staff_import.html",
        {"form": form, "results": results, "counts": counts, "school": school},
    )


@login_required
def staff_import_template(request: HttpRequest) -> HttpResponse:
    """An XLSX to fill in: the columns in the reader's language, two example rows (Kyrgyz
    and Russian names), and on a second sheet the roles and associations to choose from."""
    from openpyxl import Workbook

    school = _school(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Staff")[:31]
    sheet.append([str(label) for key, label, _extra in staff_import.COLUMNS if key != "school"])
    association = MethodicalAssociation.objects.filter(school=school).order_by("name").first()
    sheet.append(
        [
            "Асанова Айгүл Бакыт кызы",
            "Кыргыз тили мугалими",
            "a.asanova@example.kg",
            str(Role.TEACHER.label),
            association.name if association else "",
            "ky",
        ]
    )
    sheet.append(
        [
            "Иванова Мария Петровна",
            "Учитель математики",
            "m.ivanova@example.kg",
            f"{Role.TEACHER.label}, {Role.COUNCIL_MEMBER.label}",
            "",
            "ru",
        ]
    )
    for column, width in zip("ABCDEF", (34, 28, 28, 30, 30, 8), strict=True):
        sheet.column_dimensions[column].width = width
    lists = workbook.create_sheet(_("Choices")[:31])
    lists.append([_("Role"), _("Methodical association")])
    roles = [str(Role(code).label) for code in sorted(staff_import.SCHOOL_ADMIN_GRANTS)]
    names = list(
        MethodicalAssociation.objects.filter(school=school)
        .order_by("name")
        .values_list("name", flat=True)
    )
    for i in range(max(len(roles), len(names))):
        lists.append([roles[i] if i < len(roles) else "", names[i] if i < len(names) else ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="staff-template.xlsx"'
    return response


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The link of the set-password e-mail a newly imported person gets."""

    template_name = "registration/password_set.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in."))
        return response
