"""The one council action that moves documents through their process: confirming a
session's protocol. It lives with the flow so that the council app does not depend on it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.exceptions import FlowLockFailed

from council.models import Session
from council.selectors import can_view_council

from . import services


@login_required
@require_POST
def protocol_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(
        Session.objects.select_related("council"), pk=pk, council__school_id=request.user.school_id
    )
    council = session.council
    if not can_view_council(request.user, council) or request.user.pk not in (
        council.chair_id,
        council.secretary_id,
    ):
        raise PermissionDenied
    try:
        protocol = services.session_protocol_confirm(session=session, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error))
    except FlowLockFailed:
        messages.warning(request, _("A document of this session is being worked on. Try again."))
    else:
        if protocol.is_confirmed:
            messages.success(
                request,
                _("Protocol №%(number)s is confirmed. The documents move on.")
                % {"number": protocol.number},
            )
        else:
            messages.success(
                request, _("Your confirmation is recorded; the other signature is awaited.")
            )
    return redirect("council:session", pk=session.pk)
