"""The project's URLs plus the bench's endpoints (bench/settings.py only)."""

from __future__ import annotations

from django.urls import path
from viewflow.workflow.flow import FlowViewset

from project.urls import urlpatterns as project_urls

from . import endpoints
from .flows import BareFlow

urlpatterns = [
    path("bench/login/<str:username>/", endpoints.login),
    path("bench/job/<str:name>/", endpoints.job),
    path("bench/explain/", endpoints.explain),
    path("bench/prepare/", endpoints.prepare),
    path("bench/bare/", FlowViewset(BareFlow).urls),
    *project_urls,
]
