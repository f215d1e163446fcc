"""Status tracking pages: the school dashboard, its overdue list, the district comparison,
the school documents list and search. Every list takes the same filters and exports
them as CSV or XLSX (`?export=csv|xlsx`, same query string)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import AcademicYear, School
from documents.models import Document

from . import selectors
from .charts import Bar, hbar_chart
from .export import FORMATS, export_response
from .forms import ListFilterForm
from .pagination import WindowCountPaginator
from .templatetags.reports_tags import seconds_duration

PAGE_SIZE = 25


def _export_format(request: HttpRequest) -> str | None:
    fmt = request.GET.get("export", "")
    return fmt if fmt in FORMATS else None


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return query.urlencode()


def _document_rows(documents: Iterable[Document]) -> Iterable[Sequence[Any]]:
    for d in documents:
        yield [
            d.pk,
            d.title,
            d.get_doc_type_display(),
            str(d.academic_year),
            d.author.get_full_name() or d.author.username,
            str(d.methodical_association or ""),
            d.get_stage_display(),
            d.version_count,
            d.updated_at,
        ]


def _document_export(fmt: str, name: str, documents) -> HttpResponse:
    headers = [
        "ID",
        _("Title"),
        _("Type"),
        _("Academic year"),
        _("Author"),
        _("Methodical association"),
        _("Stage"),
        _("Versions"),
        _("Updated"),
    ]
    return export_response(
        fmt=fmt, name=name, headers=headers, rows=_document_rows(documents.iterator())
    )


@login_required
@permission_required("documents.view_school_documents", raise_exception=True)
def school_documents(request: HttpRequest) -> HttpResponse:
    """The school documents list (documents:school), with every filter and the exports."""
    form = ListFilterForm(request.GET or None, school_id=request.user.school_id)
    documents = selectors.school_documents(request.user, filters=form.filters())
    fmt = _export_format(request)
    if fmt:
        return _document_export(fmt, "school-documents", documents)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "documents/school_documents.html",
        {"page": page, "form": form, "query": _query_without_page(request)},
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Titles, descriptions and file text of the documents the user may see."""
    query = request.GET.get("q", "").strip()[:200]
    form = ListFilterForm(request.GET or None, school_id=request.user.school_id)
    documents = None
    if len(query) >= 2:
        documents = selectors.search_documents(request.user, query=query, filters=form.filters())
        fmt = _export_format(request)
        if fmt:
            return _document_export(fmt, "search", documents)
    page = (
        WindowCountPaginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
        if documents is not None
        else None
    )
    return render(
        request,
        "reports/search.html",
        {
            "q": query,
            "show_search": True,
            "page": page,
            "form": form,
            "query": _query_without_page(request),
        },
    )


def _viewable_school(request: HttpRequest, pk: int) -> School:
    """404 for a school the user may not see: whether it exists is not theirs to learn."""
    school = get_object_or_404(School.objects.select_related("district"), pk=pk)
    if not selectors.can_view_school(request.user, school):
        raise Http404
    return school


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The user's own school; a district administrator starts from the comparison."""
    if request.user.school_id is None:
        if selectors.district_schools(request.user).exists():
            return redirect("reports:district")
        raise PermissionDenied
    if not request.user.has_perm("reports.view_dashboard"):
        raise PermissionDenied
    return _school_dashboard(request, request.user.school)


@login_required
def school_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    return _school_dashboard(request, _viewable_school(request, pk))


def _dashboard_tables(data: selectors.Dashboard) -> dict[str, tuple[list[str], list[list]]]:
    """The dashboard's tables as (headers, rows): the page shows them and exports them."""
    group_labels = [str(label) for _key, label, _stages in selectors.STAGE_GROUPS]
    return {
        "stages": (
            [_("Stage"), _("Documents")],
            [[str(label), n] for _key, label, n in data.by_stage],
        ),
        "types": (
            [_("Type"), *group_labels, _("Total")],
            [[b.label, *b.counts, b.total] for b in data.by_type],
        ),
        "associations": (
            [_("Methodical association"), *group_labels, _("Total")],
            [[b.label, *b.counts, b.total] for b in data.by_association],
        ),
        "times": (
            [_("Step"), _("Finished"), _("Median, hours"), _("90th percentile, hours")],
            [
                [
                    t.title,
                    t.finished,
                    round(t.median / 3600, 1) if t.median is not None else None,
                    round(t.p90 / 3600, 1) if t.p90 is not None else None,
                ]
                for t in data.stage_times
            ],
        ),
        "experts": (
            [_("Expert"), _("Open reviews"), _("Done reviews"), _("Median review time, hours")],
            [
                [
                    e.expert.get_full_name() or e.expert.username,
                    e.open,
                    e.done,
                    round(e.median / 3600, 1) if e.median is not None else None,
                ]
                for e in data.experts
            ],
        ),
        "overdue": _overdue_table(data.overdue),
    }


def _overdue_table(rows: list[selectors.OverdueTask]) -> tuple[list[str], list[list]]:
    return (
        [_("Document"), _("Step"), _("Who"), _("Due or since"), _("Days late")],
        [
            [
                r.document.title,
                r.title,
                (r.owner.get_full_name() or r.owner.username) if r.owner else "",
                r.since,
                r.days_late,
            ]
            for r in rows
        ],
    )


def _years() -> list[AcademicYear]:
    return list(AcademicYear.objects.order_by("-starts_on"))


def _school_dashboard(request: HttpRequest, school: School) -> HttpResponse:
    year = selectors.year_choice(request.GET.get("year"))
    if year is None:
        return render(request, "reports/dashboard.html", {"school": school, "data": None})
    data = selectors.school_dashboard(school=school, academic_year=year)
    tables = _dashboard_tables(data)
    fmt = _export_format(request)
    table = request.GET.get("table", "")
    if fmt and table in tables:
        headers, rows = tables[table]
        return export_response(fmt=fmt, name=f"{table}-{school.pk}", headers=headers, rows=rows)
    stage_chart = hbar_chart(
        [Bar(str(label), [n], [str(n)]) for _key, label, n in data.by_stage],
        title=_("Documents by stage"),
    )
    times_chart = hbar_chart(
        [
            Bar(
                t.title,
                [t.median, t.p90],
                [seconds_duration(t.median), seconds_duration(t.p90)],
            )
            for t in data.stage_times
            if t.finished
        ],
        title=_("Time per step"),
        legend=[_("median"), _("90th percentile")],
    )
    context = {
        "school": school,
        "year": year,
        "years": _years(),
        "data": data,
        "tables": tables,
        "stage_chart": stage_chart,
        "times_chart": times_chart if any(t.finished for t in data.stage_times) else "",
        "group_labels": [label for _k, label, _s in selectors.STAGE_GROUPS],
        "own_school": request.user.school_id == school.pk,
        "overdue_top": data.overdue[:10],
    }
    return render(request, "reports/dashboard.html", context)


@login_required
def overdue_list(request: HttpRequest, pk: int) -> HttpResponse:
    """All overdue tasks of a school, filtered; the dashboard shows the ten latest."""
    school = _viewable_school(request, pk)
    form = ListFilterForm(request.GET or None, school_id=school.pk, with_overdue=False)
    rows = selectors.overdue_tasks(school_ids=[school.pk], filters=form.filters())
    fmt = _export_format(request)
    if fmt:
        headers, table = _overdue_table(rows)
        return export_response(fmt=fmt, name=f"overdue-{school.pk}", headers=headers, rows=table)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/overdue.html",
        {
            "school": school,
            "page": page,
            "form": form,
            "query": _query_without_page(request),
            "own_school": request.user.school_id == school.pk,
        },
    )


@login_required
def district(request: HttpRequest) -> HttpResponse:
    """The district's schools side by side (a district administrator only)."""
    if not request.user.has_perm("reports.view_district") or not request.user.district_id:
        raise PermissionDenied
    year = selectors.year_choice(request.GET.get("year"))
    schools = list(selectors.district_schools(request.user))
    rows = selectors.district_comparison(schools=schools, academic_year=year) if year else []
    fmt = _export_format(request)
    if fmt:
        return export_response(
            fmt=fmt,
            name="district",
            headers=[
                _("School"),
                _("Documents in expertise"),
                _("Overdue tasks"),
                _("Past quarters without a session"),
            ],
            rows=[
                [str(r.school), r.in_expertise, r.overdue, r.quarters_without_session] for r in rows
            ],
        )
    chart = hbar_chart(
        [
            Bar(str(r.school), [r.in_expertise, r.overdue], [str(r.in_expertise), str(r.overdue)])
            for r in rows
        ],
        title=_("Schools of the district"),
        legend=[_("in expertise"), _("overdue tasks")],
    )
    return render(
        request,
        "reports/district.html",
        {
            "rows": rows,
            "year": year,
            "years": _years(),
            "district": request.user.district,
            "chart": chart if rows else "",
            "query": _query_without_page(request),
        },
    )


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 6 else None


@login_required
def version_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions of a document side by side in one column: what changed, paragraph by
    paragraph, with the changed words marked; for the people who may open the versions."""
    from django.contrib import messages

    from documents.selectors import documents_visible_to

    from .compare import version_pair
    from .tasks import VERSION_TASK_NAME

    document = get_object_or_404(
        documents_visible_to(request.user).select_related("author", "academic_year"), pk=pk
    )
    pair = version_pair(
        user=request.user,
        document=document,
        old_number=_int_param(request, "old"),
        new_number=_int_param(request, "new"),
    )
    if pair is None:
        messages.info(request, _("The document has only one version: nothing to compare yet."))
        return redirect("documents:detail", pk=document.pk)
    if pair.waiting:
        # Lost to a broker outage, or just submitted: ask again (a second delivery is a
        # no-op); the sweep would find it too.
        from common.broker import enqueue_on_commit

        for version in pair.waiting:
            enqueue_on_commit(VERSION_TASK_NAME, version.pk)
    side = request.GET.get("view") == "side"
    return render(
        request, "reports/compare.html", {"document": document, "pair": pair, "side": side}
    )
