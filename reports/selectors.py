"""Reads of the status tracking: every figure is computed from the rows the flow writes
(documents and their `stage`, reviews, viewflow's Task rows), never from a second copy,
and every page reads them in a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import AcademicYear, MethodicalAssociation, School, User
from common.params import parse_id
from documents.models import Document, DocumentType, Review
from documents.selectors import documents_visible_to
from flows.stages import STAGES, DashboardGroup, flow_nodes, stages_of_group

from .extraction import fold
from .stats import EpochSeconds, PercentileCont, on_postgresql, percentile_cont

# The dashboard's stage groups and the measured nodes come from the flow's registry
# (flows/stages.py), which maps every Stage and every node.
STAGE_GROUPS: list[tuple[str, Any, tuple[str, ...]]] = [
    (group.value, group.label, stages_of_group(group)) for group in DashboardGroup
]
GROUP_OF_STAGE = {stage: entry.group.value for stage, entry in STAGES.items()}
STAGES_OF_GROUP = {key: stages for key, _label, stages in STAGE_GROUPS}
GROUP_LABELS = {key: label for key, label, _stages in STAGE_GROUPS}
OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
DOCUMENT = "process__expertiseprocess__document__"


# ---------------------------------------------------------------------------------------
# Filters shared by every list


@dataclass(frozen=True)
class Filters:
    academic_year: AcademicYear | None = None
    doc_type: str = ""
    association: MethodicalAssociation | None = None
    author: User | None = None
    stage: str = ""  # a key of STAGE_GROUPS
    overdue_only: bool = False

    def q(self, prefix: str = "") -> Q:
        """The filters as a condition on documents (through `prefix` from another model).
        Each is served by an index on documents_document (see documents/models.py)."""
        q = Q()
        if self.academic_year is not None:
            q &= Q(**{f"{prefix}academic_year": self.academic_year})
        if self.doc_type:
            q &= Q(**{f"{prefix}doc_type": self.doc_type})
        if self.association is not None:
            q &= Q(**{f"{prefix}methodical_association": self.association})
        if self.author is not None:
            q &= Q(**{f"{prefix}author": self.author})
        if self.stage:
            q &= Q(**{f"{prefix}stage__in": STAGES_OF_GROUP[self.stage]})
        return q


def filtered_documents(
    documents: QuerySet[Document], *, filters: Filters, school_ids: list[int]
) -> QuerySet[Document]:
    documents = documents.filter(filters.q())
    if filters.overdue_only:
        # A subquery with the dashboard's own condition: "overdue" means exactly what the
        # dashboard shows.
        late = overdue_queryset(
            school_ids=school_ids, filters=Filters(filters.academic_year), now=timezone.now()
        )
        documents = documents.filter(pk__in=late.values(f"{DOCUMENT}id"))
    return documents


def school_documents(user: User, *, filters: Filters) -> QuerySet[Document]:
    """The school documents list: what the user may see, filtered, newest first."""
    qs = documents_visible_to(user).select_related(
        "author", "academic_year", "methodical_association"
    )
    qs = filtered_documents(qs, filters=filters, school_ids=[user.school_id])
    return qs.order_by("-updated_at", "-pk")


def search_documents(user: User, *, query: str, filters: Filters) -> QuerySet[Document]:
    """Title, description and file text, case-folded on both sides (Kyrgyz ң ө ү fold like
    the rest of Cyrillic); only documents the user may see.

    The school is matched on the search text's own row, so PostgreSQL narrows to the
    reader's school inside the (school_id, trigram) index before it compares any text
    (reports/migrations/0003): the cost follows the school's documents, not the country's.
    The page carries the number of matches in a window, so count and page are one query
    (WindowCountPaginator).

    The school id goes in as a bigint: passed as a plain integer literal, `school_id = 1`
    compares bigint with integer, an operator btree_gin's index does not carry, and
    PostgreSQL could only match the word across the country and filter the school
    afterwards (measured: 63.6 ms instead of 21 ms for a rare word at national scale)."""
    folded = fold(query)
    school = Cast(Value(user.school_id), BigIntegerField())
    qs = documents_visible_to(user).filter(
        search__school_id=school, search__search_text__contains=folded
    )
    qs = filtered_documents(qs, filters=filters, school_ids=[user.school_id])
    return qs.select_related("author", "academic_year", "methodical_association").order_by(
        "-updated_at", "-pk"
    )


# ---------------------------------------------------------------------------------------
# Overdue tasks


@dataclass
class OverdueTask:
    task: Task
    document: Document
    owner: User | None
    node: str
    title: str
    since: datetime.date  # the due date (reviews) or the day the task was created
    days_late: int


def open_tasks(*, school_ids: list[int], filters: Filters) -> QuerySet[Task]:
    """Open human tasks of the schools' documents. viewflow indexes task.status and
    task.process_id; the document side uses the documents' indexes."""
    return (
        Task.objects.filter(
            **{f"{DOCUMENT}school_id__in": school_ids},
            status__in=OPEN_STATUSES,
            flow_task_type="HUMAN",
        )
        .filter(filters.q(DOCUMENT))
        .select_related(
            "owner",
            "process__expertiseprocess__document__author",
            "process__expertiseprocess__document__school",
        )
        .order_by("created", "pk")
    )


def overdue_queryset(
    *, school_ids: list[int], filters: Filters, now: datetime.datetime
) -> QuerySet[Task]:
    """Open review tasks past their review's due date (the expert's extension counts), and
    any other open task older than REPORTS_TASK_OVERDUE_DAYS, decided in the database:
    a district's thousands of open tasks never reach Python."""
    today = timezone.localdate(now)
    allowance = settings.REPORTS_TASK_OVERDUE_DAYS
    review_node = flow_nodes()["review"]
    late_review = (
        Review.objects.filter(pk=OuterRef("review_id"))
        .annotate(due=Coalesce("due_date", "round__due_date"))
        .filter(due__lt=today)
    )
    # Late from the day after `allowance` full days: created before that day's start.
    cutoff = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=allowance), datetime.time.min)
    )
    return (
        open_tasks(school_ids=school_ids, filters=filters)
        .annotate(review_id=Cast(KeyTextTransform("review", "data"), IntegerField()))
        .filter(
            Q(flow_task=review_node, review_id__isnull=False) & Exists(late_review)
            | ~Q(flow_task=review_node) & Q(created__lt=cutoff)
        )
    )


def overdue_tasks(
    *, school_ids: list[int], filters: Filters, now: datetime.datetime | None = None
) -> list[OverdueTask]:
    """The overdue tasks with who and how many days late, most late first (two queries)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    allowance = settings.REPORTS_TASK_OVERDUE_DAYS
    tasks = list(overdue_queryset(school_ids=school_ids, filters=filters, now=now))
    review_ids = [t.data.get("review") for t in tasks if t.flow_task.name == "review"]
    reviews = Review.objects.select_related("round").in_bulk([pk for pk in review_ids if pk])
    rows = []
    for task in tasks:
        node = task.flow_task.name
        if node == "review":
            review = reviews.get(task.data.get("review"))
            if review is None:
                continue
            since = review.effective_due_date
            days_late = (today - since).days
        else:
            since = timezone.localdate(task.created)
            days_late = (today - since).days - allowance
        if days_late > 0:
            rows.append(
                OverdueTask(
                    task=task,
                    document=task.process.expertiseprocess.document,
                    owner=task.owner,
                    node=node,
                    title=str(task.flow_task.task_title),
                    since=since,
                    days_late=days_late,
                )
            )
    rows.sort(key=lambda row: (-row.days_late, row.task.pk))
    return rows


# ---------------------------------------------------------------------------------------
# The school dashboard


@dataclass
class Breakdown:
    label: str
    counts: list[int]  # per STAGE_GROUPS
    total: int
    key: Any = None


@dataclass
class StageTime:
    node: str
    title: str
    finished: int
    median: float | None  # seconds
    p90: float | None


@dataclass
class ExpertLoad:
    expert: User
    open: int
    done: int
    median: float | None  # seconds, created → finished of their done review tasks


@dataclass
class Dashboard:
    school: School
    academic_year: AcademicYear
    by_stage: list[tuple[str, Any, int]]  # key, label, count
    total: int
    by_type: list[Breakdown]
    by_association: list[Breakdown]
    overdue: list[OverdueTask]
    stage_times: list[StageTime]
    experts: list[ExpertLoad]
    overdue_after_days: int = field(default=0)


def _breakdowns(school: School, academic_year: AcademicYear):
    """One grouped query gives the stage counts and both breakdowns."""
    rows = (
        Document.objects.filter(school=school, academic_year=academic_year)
        .values("doc_type", "methodical_association_id", "methodical_association__name", "stage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    index = {key: i for i, (key, _label, _stages) in enumerate(STAGE_GROUPS)}
    by_stage = [0] * len(STAGE_GROUPS)
    by_type: dict[str, list[int]] = defaultdict(lambda: [0] * len(STAGE_GROUPS))
    by_association: dict[Any, list[int]] = defaultdict(lambda: [0] * len(STAGE_GROUPS))
    names: dict[Any, str] = {}
    for row in rows:
        i = index[GROUP_OF_STAGE[row["stage"]]]
        by_stage[i] += row["n"]
        by_type[row["doc_type"]][i] += row["n"]
        by_association[row["methodical_association_id"]][i] += row["n"]
        names[row["methodical_association_id"]] = row["methodical_association__name"]
    types = [
        Breakdown(label=str(label), counts=by_type[value], total=sum(by_type[value]), key=value)
        for value, label in DocumentType.choices
        if value in by_type
    ]
    associations = sorted(
        (
            Breakdown(
                label=names[pk] or str(_("No methodical association")),
                counts=counts,
                total=sum(counts),
                key=pk,
            )
            for pk, counts in by_association.items()
        ),
        key=lambda b: (b.key is None, b.label),
    )
    stages = [(key, label, by_stage[index[key]]) for key, label, _s in STAGE_GROUPS]
    return stages, sum(by_stage), types, associations


def _year_tasks(school: School, academic_year: AcademicYear) -> QuerySet[Task]:
    return Task.objects.filter(
        **{f"{DOCUMENT}school": school, f"{DOCUMENT}academic_year": academic_year}
    )


def stage_times(
    *, school: School, academic_year: AcademicYear, use_database: bool | None = None
) -> list[StageTime]:
    """Median and 90th percentile of created → finished of the finished tasks, per node.
    percentile_cont in PostgreSQL; the same definition in Python elsewhere (one query
    either way)."""
    nodes = flow_nodes()
    finished = _year_tasks(school, academic_year).filter(
        status=STATUS.DONE, finished__isnull=False, flow_task__in=list(nodes.values())
    )
    use_database = on_postgresql() if use_database is None else use_database
    figures: dict[str, tuple[int, float | None, float | None]] = {}
    if use_database:
        seconds = EpochSeconds(F("finished") - F("created"))
        for row in (
            finished.values("flow_task")
            .annotate(
                n=Count("pk"),
                median=PercentileCont(seconds, 0.5),
                p90=PercentileCont(seconds, 0.9),
            )
            .order_by()
        ):
            figures[row["flow_task"].name] = (row["n"], row["median"], row["p90"])
    else:
        durations: dict[str, list[float]] = defaultdict(list)
        for flow_task, created, done in finished.values_list("flow_task", "created", "finished"):
            durations[flow_task.name].append((done - created).total_seconds())
        for name, values in durations.items():
            figures[name] = (
                len(values),
                percentile_cont(values, 0.5),
                percentile_cont(values, 0.9),
            )
    return [
        StageTime(
            node=name,
            title=str(node.task_title),
            finished=figures.get(name, (0, None, None))[0],
            median=figures.get(name, (0, None, None))[1],
            p90=figures.get(name, (0, None, None))[2],
        )
        for name, node in nodes.items()
    ]


def expert_load(
    *, school: School, academic_year: AcademicYear, use_database: bool | None = None
) -> list[ExpertLoad]:
    """Per person holding review tasks (a substitute counts for the work they did) and
    per council member: open and done reviews, the median time of their done ones."""
    from council.models import CouncilMember

    review_node = flow_nodes()["review"]
    reviews = _year_tasks(school, academic_year).filter(
        flow_task=review_node, owner__isnull=False, status__in=(*OPEN_STATUSES, STATUS.DONE)
    )
    use_database = on_postgresql() if use_database is None else use_database
    load: dict[int, list] = defaultdict(lambda: [0, 0, None])
    is_open = Q(status__in=OPEN_STATUSES)
    is_done = Q(status=STATUS.DONE)
    if use_database:
        for row in (
            reviews.values("owner_id")
            .annotate(
                open=Count("pk", filter=is_open),
                done=Count("pk", filter=is_done),
                median=PercentileCont(
                    EpochSeconds(F("finished") - F("created")), 0.5, filter=is_done
                ),
            )
            .order_by()
        ):
            load[row["owner_id"]] = [row["open"], row["done"], row["median"]]
    else:
        durations: dict[int, list[float]] = defaultdict(list)
        for owner_id, status, created, done in reviews.values_list(
            "owner_id", "status", "created", "finished"
        ):
            if status == STATUS.DONE:
                load[owner_id][1] += 1
                durations[owner_id].append((done - created).total_seconds())
            else:
                load[owner_id][0] += 1
        for owner_id, values in durations.items():
            load[owner_id][2] = percentile_cont(values, 0.5)
    # The members' ids are read first: `pk IN (list) OR pk IN (subquery)` cannot use the
    # primary key for both sides, and PostgreSQL scanned every user in the country.
    members = CouncilMember.objects.filter(
        council__school=school, council__academic_year=academic_year
    ).values_list("user_id", flat=True)
    people = User.objects.filter(pk__in={*load, *members}).order_by("last_name", "first_name", "pk")
    return [
        ExpertLoad(
            expert=person,
            open=load[person.pk][0],
            done=load[person.pk][1],
            median=load[person.pk][2],
        )
        for person in people
    ]


def school_dashboard(
    *, school: School, academic_year: AcademicYear, now: datetime.datetime | None = None
) -> Dashboard:
    by_stage, total, by_type, by_association = _breakdowns(school, academic_year)
    return Dashboard(
        school=school,
        academic_year=academic_year,
        by_stage=by_stage,
        total=total,
        by_type=by_type,
        by_association=by_association,
        overdue=overdue_tasks(
            school_ids=[school.pk], filters=Filters(academic_year=academic_year), now=now
        ),
        stage_times=stage_times(school=school, academic_year=academic_year),
        experts=expert_load(school=school, academic_year=academic_year),
        overdue_after_days=settings.REPORTS_TASK_OVERDUE_DAYS,
    )


# ---------------------------------------------------------------------------------------
# Who may see which school, and the district


def can_view_school(user: User, school: School) -> bool:
    """A school's own staff with the dashboard permission, or the administrator of the
    school's district."""
    if not user.is_authenticated:
        return False
    if user.school_id == school.pk and user.has_perm("reports.view_dashboard"):
        return True
    district_id = getattr(user, "district_id", None)
    return bool(
        district_id and school.district_id == district_id and user.has_perm("reports.view_district")
    )


def district_schools(user: User) -> QuerySet[School]:
    if not getattr(user, "district_id", None) or not user.has_perm("reports.view_district"):
        return School.objects.none()
    return School.objects.filter(district_id=user.district_id).order_by("name", "pk")


@dataclass
class SchoolRow:
    school: School
    in_expertise: int
    overdue: int
    quarters_without_session: int
    has_council: bool


def district_comparison(
    *, schools: list[School], academic_year: AcademicYear, today: datetime.date | None = None
) -> list[SchoolRow]:
    """Per school: documents in expertise, overdue tasks, past quarters without a held
    session (council.selectors.quarter_facts, the rule of the compliance page). Five
    queries for any number of schools."""
    from council.models import Council, Session
    from council.selectors import quarter_facts

    today = today or timezone.localdate()
    ids = [s.pk for s in schools]
    in_expertise = Counter(
        dict(
            Document.objects.filter(
                school_id__in=ids,
                academic_year=academic_year,
                stage__in=STAGES_OF_GROUP["in_expertise"],
            )
            .values_list("school_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    # The same condition as the dashboard's list, counted in the database.
    late = Counter(
        dict(
            overdue_queryset(
                school_ids=ids, filters=Filters(academic_year=academic_year), now=timezone.now()
            )
            .values_list(f"{DOCUMENT}school_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    councils = {
        c.school_id: c
        for c in Council.objects.filter(school_id__in=ids, academic_year=academic_year)
    }
    sessions: dict[int, list] = defaultdict(list)
    for session in Session.objects.filter(council__in=list(councils.values())).select_related(
        "protocol"
    ):
        sessions[session.council_id].append(session)
    rows = []
    for school in schools:
        council = councils.get(school.pk)
        missing = 0
        if council is not None:
            facts = quarter_facts(
                academic_year=academic_year, sessions=sessions[council.pk], today=today
            )
            missing = sum(1 for q in facts if q.missing)
        else:
            missing = sum(1 for _start, end in academic_year.quarter_bounds() if end < today)
        rows.append(
            SchoolRow(
                school=school,
                in_expertise=in_expertise[school.pk],
                overdue=late[school.pk],
                quarters_without_session=missing,
                has_council=council is not None,
            )
        )
    return rows


def year_choice(year_id: str | None) -> AcademicYear | None:
    """The chosen academic year, else the current one, else the latest."""
    year_pk = parse_id(year_id)
    if year_pk is not None:
        chosen = AcademicYear.objects.filter(pk=year_pk).first()
        if chosen is not None:
            return chosen
    return AcademicYear.current() or AcademicYear.objects.order_by("-starts_on").first()
