from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as accounts_views
from documents import views as documents_views
from flows import document_views
from flows import views as flows_views

documents_patterns = (
    [
        path("", documents_views.my_documents, name="mine"),
        path("school/", documents_views.school_documents, name="school"),
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
    ],
    "documents",
)

flows_patterns = (
    [
        path("inbox/", flows_views.inbox, name="inbox"),
        path("tasks/<int:task_pk>/", flows_views.task_dispatch, name="task"),
    ],
    "flows",
)

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", accounts_views.set_language, name="set_language"),
    path("documents/", include(documents_patterns)),
    path("", include(flows_patterns)),
    path("admin/", admin.site.urls),
]
