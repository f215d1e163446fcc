"""Errors as RFC 9457 problem details (`application/problem+json`), with the title and
detail in the user's language: the same messages the pages show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from viewflow.workflow.exceptions import FlowLockFailed

PROBLEM_TYPE = "application/problem+json"
# The error statuses every operation may answer, each as a Problem.
ERRORS = frozenset({400, 401, 403, 404, 409, 422, 429})


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    # Field errors: field name (or "__all__") → messages, as on the page's form.
    errors: dict[str, list[str]] = {}


class ApiConflict(Exception):
    """The request is well formed but the state does not allow it (a task already done,
    a task of another step)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class FormInvalid(Exception):
    """A Django form refused the input: its messages go back as field errors."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        super().__init__(dict(errors))
        self.errors = {field: [str(m) for m in messages] for field, messages in errors.items()}


def problem(
    status: int, title: str, detail: str = "", errors: Mapping[str, Sequence[str]] | None = None
) -> JsonResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = {k: [str(m) for m in v] for k, v in errors.items()}
    response = JsonResponse(
        body, status=status, content_type=PROBLEM_TYPE, json_dumps_params={"ensure_ascii": False}
    )
    response["Content-Language"] = get_language()
    return response


SOURCES = ("body", "form", "query", "path", "file", "header", "cookie")


def _validation_title() -> str:
    return _("The data is not valid.")


def install(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def request_invalid(request: HttpRequest, exc: NinjaValidationError) -> JsonResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            location = [str(p) for p in error.get("loc", ())]
            if location and location[0] in SOURCES:
                location = location[1:]
            if location and location[0] in ("payload", "filters", "query"):
                location = location[1:]
            errors.setdefault(".".join(location) or "__all__", []).append(str(error.get("msg", "")))
        return problem(422, _validation_title(), _("Check the marked fields."), errors)

    @api.exception_handler(FormInvalid)
    def form_invalid(request: HttpRequest, exc: FormInvalid) -> JsonResponse:
        first = next((m for messages in exc.errors.values() for m in messages), "")
        return problem(422, _validation_title(), first, exc.errors)

    @api.exception_handler(DjangoValidationError)
    def service_refused(request: HttpRequest, exc: DjangoValidationError) -> JsonResponse:
        return problem(422, _validation_title(), " ".join(exc.messages), {"__all__": exc.messages})

    @api.exception_handler(ApiConflict)
    def conflict(request: HttpRequest, exc: ApiConflict) -> JsonResponse:
        return problem(409, _("Conflict"), exc.detail)

    @api.exception_handler(FlowLockFailed)
    def locked(request: HttpRequest, exc: FlowLockFailed) -> JsonResponse:
        return problem(
            409,
            _("Conflict"),
            _("Someone else is working on this document right now. Please try again."),
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> JsonResponse:
        return problem(404, pgettext("problem", "Not found"))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> JsonResponse:
        return problem(403, _("Forbidden"), str(exc) if exc.args else "")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
        response = problem(
            401,
            _("Authentication required"),
            _("Sign in, or send a personal token: Authorization: Bearer <token>."),
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> JsonResponse:
        return problem(429, _("Too many requests"), _("Slow down and try again in a minute."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
        titles = {403: _("Forbidden"), 404: pgettext("problem", "Not found")}
        return problem(exc.status_code, titles.get(exc.status_code, _("Bad request")), str(exc))
