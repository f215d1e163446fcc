from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import AcademicYear, School, User

from .models import Council


def council_for(*, school: School, academic_year: AcademicYear) -> Council | None:
    return (
        Council.objects.select_related("chair", "secretary")
        .filter(school=school, academic_year=academic_year)
        .first()
    )


def council_members(*, school: School, academic_year: AcademicYear) -> QuerySet[User]:
    """People the chair may pick as experts: the council's members and its chair."""
    return (
        User.objects.filter(
            school=school,
            is_active=True,
            council_memberships__council__school=school,
            council_memberships__council__academic_year=academic_year,
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
