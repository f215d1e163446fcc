from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from accounts.models import AcademicYear, School, User
from common.params import parse_id

from .models import Council


def council_for(*, school: School | int, academic_year: AcademicYear | int) -> Council | None:
    """The school's council of that year (each given as a row or its id: an id spares the
    caller loading the row)."""
    return (
        Council.objects.select_related("chair", "secretary")
        .filter(school=school, academic_year=academic_year)
        .first()
    )


def council_members(*, school: School | int, academic_year: AcademicYear | int) -> QuerySet[User]:
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


def councils_of_school(school_id: int | None) -> list[Council]:
    return list(
        Council.objects.filter(school_id=school_id)
        .select_related("academic_year")
        .order_by("-academic_year__starts_on")
    )


def council_of_user(user: User, *, year_id: str | None = None) -> Council | None:
    """The council of the user's school for the chosen (or the current) academic year."""
    if not user.is_authenticated or user.school_id is None:
        return None
    qs = Council.objects.select_related("school", "academic_year", "chair", "secretary").filter(
        school_id=user.school_id
    )
    year_pk = parse_id(year_id)  # garbage in ?year= means no choice: the current year
    if year_pk is not None:
        return qs.filter(academic_year_id=year_pk).first()
    current = AcademicYear.current()
    return (current and qs.filter(academic_year=current).first()) or qs.order_by(
        "-academic_year__starts_on"
    ).first()


def can_view_council(user: User, council: Council) -> bool:
    if user.school_id != council.school_id:
        return False
    return (
        user.has_perm("documents.view_school_documents")
        or council.chair_id == user.pk
        or council.members.filter(user=user).exists()
    )


def members(council: Council):
    return council.members.select_related("user").order_by("user__last_name", "user__first_name")


def sessions(council: Council):
    from .models import Session

    return (
        Session.objects.filter(council=council)
        .select_related("protocol")
        .annotate(item_count=Count("items", distinct=True))
        .order_by("date", "pk")
    )


def year_figures(council: Council) -> dict:
    """The year in numbers, from the records the flow and the secretary wrote; the annual
    report and its page share it."""
    from documents.models import Document, Recommendation

    from .models import Session

    documents = Document.objects.filter(
        school_id=council.school_id, academic_year=council.academic_year, version_count__gt=0
    )
    by_type: dict[str, Counter] = defaultdict(Counter)
    for doc_type, stage, n in documents.values_list("doc_type", "stage").annotate(n=Count("pk")):
        by_type[doc_type][stage] += n
    recommendations = Recommendation.objects.filter(review__round__document__in=documents)
    made = recommendations.count()
    answered = recommendations.exclude(answer="").count()
    held = list(
        Session.objects.filter(council=council, protocol__confirmed_at__isnull=False)
        .select_related("protocol")
        .annotate(
            present=Count("attendance", filter=Q(attendance__present=True)),
            listed=Count("attendance"),
        )
        .order_by("date")
    )
    per_quarter = Counter(s.quarter for s in held)
    present = sum(s.present for s in held)
    listed = sum(s.listed for s in held)
    return {
        "by_type": dict(by_type),
        "documents": documents.count(),
        "recommendations_made": made,
        "recommendations_answered": answered,
        "answered_share": (answered / made) if made else None,
        "held": held,
        "per_quarter": [per_quarter.get(q, 0) for q in (1, 2, 3, 4)],
        "attendance_rate": (present / listed) if listed else None,
    }


@dataclass
class QuarterFact:
    number: int
    starts_on: datetime.date
    ends_on: datetime.date
    held: int
    scheduled: int
    is_past: bool

    @property
    def missing(self) -> bool:
        return self.is_past and self.held == 0


def quarter_facts(
    *, academic_year: AcademicYear, sessions: list, today: datetime.date
) -> list[QuarterFact]:
    """5.1 per quarter, from a council's sessions (with their protocols) already fetched:
    the district comparison fetches every school's sessions in one query."""
    quarters = []
    for number, (start, end) in enumerate(academic_year.quarter_bounds(), 1):
        in_quarter = [s for s in sessions if s.quarter == number]
        quarters.append(
            QuarterFact(
                number=number,
                starts_on=start,
                ends_on=end,
                held=sum(1 for s in in_quarter if s.protocol.is_confirmed),
                scheduled=sum(1 for s in in_quarter if not s.protocol.is_confirmed),
                is_past=end < today,
            )
        )
    return quarters


def compliance(council: Council, today: datetime.date | None = None) -> dict:
    """5.1, 5.3, 5.4: a session every quarter, a confirmed protocol for each, the secretary
    elected and the work plan approved at the first session."""
    from .models import AgendaItem, Session

    today = today or datetime.date.today()
    all_sessions = list(
        Session.objects.filter(council=council).select_related("protocol").order_by("date")
    )
    quarters = quarter_facts(
        academic_year=council.academic_year, sessions=all_sessions, today=today
    )
    unconfirmed = [s for s in all_sessions if s.date < today and not s.protocol.is_confirmed]
    first = next((s for s in all_sessions if s.is_first), None)
    plan_approved = bool(
        first
        and first.protocol.is_confirmed
        and AgendaItem.objects.filter(
            session=first,
            document__doc_type="work_plan",
            decision=AgendaItem.Decision.RECOMMEND_APPROVAL,
        ).exists()
    )
    return {
        "quarters": quarters,
        "unconfirmed": unconfirmed,
        "first": first,
        "secretary_elected": bool(
            first and first.secretary_elected_id and first.protocol.is_confirmed
        ),
        "plan_approved": plan_approved,
        "year_end_held": any(s.is_year_end and s.protocol.is_confirmed for s in all_sessions),
    }


def open_council_steps(council: Council) -> list:
    """The council's steps waiting for someone (agenda, protocol, confirmation)."""
    from .models import CouncilTask

    return list(
        CouncilTask.objects.filter(council=council, status=CouncilTask.Status.OPEN)
        .select_related("assignee", "session", "council")
        .order_by("due_date", "pk")
    )
