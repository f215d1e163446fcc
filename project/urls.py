from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accounts import staff_views
from accounts import views as accounts_views
from accounts.forms import LoginForm
from api import views as api_views
from api.api import api
from council import views as council_views
from documents import verification_views
from documents import views as documents_views
from flows import document_views, handover_views
from flows import views as flows_views
from notifications import views as notifications_views
from ops import views as ops_views
from project.favicon import favicon
from reports import views as reports_views

documents_patterns = (
    [
        path("", documents_views.my_documents, name="mine"),
        # The list with the status-tracking filters and exports lives in reports/.
        path("school/", reports_views.school_documents, name="school"),
        path("new/", document_views.document_create, name="create"),
        path("<int:pk>/", document_views.document_detail, name="detail"),
        path("<int:pk>/edit/", document_views.document_edit, name="edit"),
        path("<int:pk>/submit/", document_views.document_submit_view, name="submit"),
        path("<int:pk>/file/", documents_views.draft_file, name="draft_file"),
        path(
            "<int:pk>/versions/<int:number>/file/",
            documents_views.version_file,
            name="version_file",
        ),
        path("<int:pk>/approval-sheet/", documents_views.approval_sheet, name="approval_sheet"),
        path("<int:pk>/compare/", reports_views.version_compare, name="compare"),
        path(
            "<int:pk>/reviews/<int:review_pk>/extend/",
            document_views.review_extend,
            name="review_extend",
        ),
        path(
            "<int:pk>/reviews/<int:review_pk>/replace/",
            document_views.review_replace,
            name="review_replace",
        ),
    ],
    "documents",
)

flows_patterns = (
    [
        path("inbox/", flows_views.inbox, name="inbox"),
        path("tasks/<int:task_pk>/", flows_views.task_dispatch, name="task"),
        path("tasks/unowned/", handover_views.unowned, name="unowned"),
        path("tasks/<int:task_pk>/reassign/", handover_views.reassign, name="reassign"),
    ],
    "flows",
)

notifications_patterns = (
    [
        path("", notifications_views.notification_list, name="list"),
        path("read/", notifications_views.notification_read, name="read_all"),
        path("<int:pk>/read/", notifications_views.notification_read, name="read"),
        path("settings/", notifications_views.preferences, name="preferences"),
    ],
    "notifications",
)

council_patterns = (
    [
        path("", council_views.overview, name="overview"),
        path("sessions/new/", council_views.session_new, name="session_new"),
        path("sessions/<int:pk>/", council_views.session_detail, name="session"),
        path("sessions/<int:pk>/protocol/", council_views.protocol_edit, name="protocol_edit"),
        path(
            "sessions/<int:pk>/confirm/",
            council_views.protocol_confirm,
            name="protocol_confirm",
        ),
        path("sessions/<int:pk>/close/", council_views.session_close, name="session_close"),
        path(
            "sessions/<int:pk>/protocol.<str:fmt>",
            council_views.protocol_file,
            name="protocol_file",
        ),
        path("compliance/", council_views.compliance, name="compliance"),
        path("report/", council_views.report, name="report"),
        path("report/file/", council_views.report_file, name="report_file"),
    ],
    "council",
)

# Public, no login: what an official paper's QR code and printed code lead to.
verify_patterns = (
    [
        path("verify/", verification_views.verify_start, name="start"),
        path("v/<str:code>/", verification_views.verify_paper, name="paper"),
    ],
    "verify",
)

urlpatterns = [
    # The start page is the inbox (flows): wired here, since accounts names no upper app.
    path("", login_required(RedirectView.as_view(pattern_name="flows:inbox")), name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("", include(verify_patterns)),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", accounts_views.set_language, name="set_language"),
    path("absence/", accounts_views.absence, name="absence"),
    path("roles/history/", accounts_views.role_changes, name="role_changes"),
    path("documents/", include(documents_patterns)),
    path("", include(flows_patterns)),
    path("council/", include(council_patterns)),
    path("notifications/", include(notifications_patterns)),
    path("reports/", include("reports.urls")),
    path("staff/import/", staff_views.staff_import_page, name="staff_import"),
    path(
        "staff/import/template.xlsx",
        staff_views.staff_import_template,
        name="staff_import_template",
    ),
    path(
        "password/set/<uidb64>/<token>/",
        staff_views.PasswordSetView.as_view(),
        name="password_set",
    ),
    path("profile/", api_views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", api_views.token_revoke, name="token_revoke"),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<path>.*)$", api_views.api_not_found),
    path("admin/", admin.site.urls),
    path("health/", ops_views.health, name="health"),
]
