"""The REST API under /api/v1/: one NinjaAPI, its routers, its problem details, its
schema (/api/v1/openapi.json) and documentation page (/api/v1/docs, served from our own
static files)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from . import problems
from .auth import SessionAuth, TokenAuth, TokenRateThrottle


class CouncilAPI(NinjaAPI):
    def create_response(self, request: Any, data: Any, **kwargs: Any) -> Any:
        response = super().create_response(request, data, **kwargs)
        # The caller's language (a token's person), which the middleware did not know yet.
        response["Content-Language"] = translation.get_language()
        return response

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Errors are served as application/problem+json; say so in the schema."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        content[problems.PROBLEM_TYPE] = content.pop("application/json")
        return schema


class Utf8Renderer(JSONRenderer):
    # Kyrgyz and Russian text as it is, not as \u escapes: readable with curl.
    json_dumps_params = {"ensure_ascii": False}


api = CouncilAPI(
    renderer=Utf8Renderer(),
    title="School council API",
    version="1",
    urls_namespace="api-1",
    # For the programmers of the district's systems and apps: English, like the schema.
    description=(
        "Documents, their expertise and the council's records, scoped exactly like the "
        "pages. Authenticate with a personal token (Authorization: Bearer …) created on "
        "your profile page, or with the browser's session."
    ),
    auth=[TokenAuth(), SessionAuth()],
    throttle=[TokenRateThrottle()],
    docs_url="/docs",
)
problems.install(api)

from . import endpoints_documents, endpoints_other, endpoints_tasks  # noqa: E402

api.add_router("", endpoints_other.router)
api.add_router("/documents", endpoints_documents.router)
api.add_router("/tasks", endpoints_tasks.router)
