"""Tasks of people who left, or whose role went to someone else: the chair and the school
administrator see them and hand each to someone who may take it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task

from accounts.models import User

from .selectors import can_manage_tasks, unowned_tasks
from .services import task_reassign


@login_required
def unowned(request: HttpRequest) -> HttpResponse:
    if not can_manage_tasks(request.user):
        raise PermissionDenied
    person = None
    person_pk = request.GET.get("person", "")
    if person_pk.isdigit() and len(person_pk) < 10:
        person = User.objects.filter(pk=int(person_pk), school_id=request.user.school_id).first()
    rows = unowned_tasks(request.user.school_id, person_id=person.pk if person else None)
    return render(
        request,
        "flows/unowned.html",
        {
            "rows": rows,
            "person": person,
            "can_edit_council": request.user.has_perm("council.change_council"),
        },
    )


@login_required
@require_POST
def reassign(request: HttpRequest, task_pk: int) -> HttpResponse:
    if not can_manage_tasks(request.user):
        raise PermissionDenied
    task = get_object_or_404(
        Task.objects.select_related("process"),
        pk=task_pk,
        flow_task_type="HUMAN",
        process__expertiseprocess__document__school_id=request.user.school_id,
    )
    back = request.POST.get("next") or reverse("flows:unowned")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("flows:unowned")
    owner_pk = request.POST.get("owner", "")
    new_owner = (
        User.objects.filter(pk=int(owner_pk), school_id=request.user.school_id).first()
        if owner_pk.isdigit() and len(owner_pk) < 10
        else None
    )
    if new_owner is None:
        messages.error(request, _("Choose who takes the task."))
        return redirect(back)
    try:
        task_reassign(task=task, actor=request.user, new_owner=new_owner)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except FlowLockFailed:
        messages.warning(
            request, _("Someone else is working on this document right now. Please try again.")
        )
    else:
        messages.success(request, _("The task is handed to %(name)s.") % {"name": new_owner})
    return redirect(back)
