"""The project's URLs plus the notifications bench's endpoint (bench/notifications_settings.py
only): it writes notices the way a page's change does — `notify` in the request's
transaction, the broker hand-over after the commit, through this web process' publish
breaker."""

from __future__ import annotations

import itertools

from django.db import transaction
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from accounts.models import User
from notifications.models import Kind
from notifications.services import notify
from project.urls import urlpatterns as project_urls

_users: list[User] = []
_turn = itertools.count()


@csrf_exempt
def write_notices(request: HttpRequest):
    """POST ?n=…: `n` protocol notices to the bench's people in turn, in one
    transaction; answers how many were written."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _users:
        _users.extend(User.objects.filter(username__startswith="bench").order_by("pk"))
    written = 0
    with transaction.atomic():
        for _ in range(int(request.GET.get("n", "5"))):
            number = next(_turn)
            note = notify(
                recipient=_users[number % len(_users)],
                kind=Kind.PROTOCOL_CONFIRMED,
                params={"number": number, "date": "01.09.2026"},
                url="/council/",
            )
            written += note is not None
    return JsonResponse({"written": written})


urlpatterns = [path("bench/notices/", write_notices), *project_urls]
