from __future__ import annotations

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("schools/<int:pk>/", views.school_dashboard, name="school"),
    path("schools/<int:pk>/overdue/", views.overdue_list, name="overdue"),
    path("district/", views.district, name="district"),
    path("search/", views.search, name="search"),
]
