"""Writes of the council: sessions, agenda, attendance, protocols, the annual report.
Rules come from the regulation (clauses in comments). Moving documents on after a
confirmed protocol is the flow's business: `protocol_confirm` announces it
(council.signals.protocol_confirmed) and the flow does it."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import acting_as
from accounts.models import User
from accounts.roles import Role
from documents.models import Document, DocumentType, Stage

from . import notices, signals
from .models import AgendaItem, AnnualReport, Attendance, Council, Protocol, Session
from .tasks import annual_report_render_enqueue, protocol_render_enqueue


def council_roles_sync(*, council: Council, actor: User | None = None) -> None:
    """Give the council's people the role groups that go with their place on it; the role
    record names `actor` as the one who gave them."""
    with acting_as(actor):
        _council_roles_give(council)


def _council_roles_give(council: Council) -> None:
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    member_group = groups.get(Role.COUNCIL_MEMBER)
    if member_group is not None:
        member_group.user_set.add(*[m.user_id for m in council.members.all()])
    if council.chair_id and Role.CHAIR in groups:
        groups[Role.CHAIR].user_set.add(council.chair_id)
    if council.secretary_id and Role.SECRETARY in groups:
        groups[Role.SECRETARY].user_set.add(council.secretary_id)


def council_agendas_reopen(*, council: Council) -> int:
    """The council's members changed (the admin): the agendas of its coming sessions go out
    again at the next run of the reminders, to the members who have not had them (each
    member's dedupe key keeps the others from a second copy)."""
    return Session.objects.filter(
        council=council,
        date__gte=timezone.localdate(),
        agenda_sent_at__isnull=False,
        protocol__confirmed_at__isnull=True,
    ).update(agenda_sent_at=None)


def is_chair(council: Council, user: User) -> bool:
    return council.chair_id == user.pk


def can_write_protocol(council: Council, user: User) -> bool:
    # 5.4: the secretary keeps the protocols; until one is elected (at the first session)
    # the chair writes it.
    if council.secretary_id:
        return council.secretary_id == user.pk
    return council.chair_id == user.pk


def _require_chair(council: Council, user: User) -> None:
    if not is_chair(council, user):
        raise PermissionDenied(_("Only the chair of the council can do this."))


def _require_writer(session: Session, user: User) -> Protocol:
    if not can_write_protocol(session.council, user):
        raise PermissionDenied(_("Only the secretary of the council writes the protocol."))
    # The council's row first, then the protocol's: the order protocol_sign and
    # council_tasks_sync take them in, so concurrent writes never deadlock.
    Council.objects.select_for_update().get(pk=session.council_id)
    protocol = Protocol.objects.select_for_update().get(session=session)
    if protocol.is_confirmed:
        raise ValidationError(_("The protocol is confirmed and can no longer be changed."))
    return protocol


def _reset_confirmations(protocol: Protocol) -> None:
    # A change after one signature needs both signatures again.
    if protocol.chair_confirmed_at or protocol.secretary_confirmed_at:
        protocol.chair_confirmed_by = protocol.secretary_confirmed_by = None
        protocol.chair_confirmed_at = protocol.secretary_confirmed_at = None
        protocol.save(
            update_fields=[
                "chair_confirmed_by",
                "chair_confirmed_at",
                "secretary_confirmed_by",
                "secretary_confirmed_at",
            ]
        )


def documents_awaiting_council(council: Council):
    """Documents recommended to a council session and not yet on an open session's agenda."""
    on_open_agenda = AgendaItem.objects.filter(
        session__council=council,
        session__protocol__confirmed_at__isnull=True,
        document__isnull=False,
    ).values("document_id")
    return (
        Document.objects.filter(
            school_id=council.school_id,
            academic_year=council.academic_year,
            stage=Stage.RECOMMENDED,
        )
        .exclude(pk__in=on_open_agenda)
        .select_related("author")
        .order_by("title")
    )


@transaction.atomic
def session_schedule(
    *,
    council: Council,
    actor: User,
    date: datetime.date,
    time: datetime.time | None,
    place: str,
    is_year_end: bool,
    documents: Sequence[Document],
    free_items: Sequence[str],
) -> Session:
    _require_chair(council, actor)
    # First the lock: two "Schedule" clicks must not put one document on two agendas.
    Council.objects.select_for_update().get(pk=council.pk)
    year = council.academic_year
    if not (year.starts_on <= date <= year.ends_on):
        raise ValidationError(_("The date is outside the academic year %(year)s.") % {"year": year})
    allowed = set(documents_awaiting_council(council).values_list("pk", flat=True))
    if any(d.pk not in allowed for d in documents):
        raise ValidationError(
            _("Only documents recommended to a council session can be on the agenda.")
        )
    titles = [t.strip() for t in free_items if t and t.strip()]
    if not documents and not titles:
        raise ValidationError(_("The agenda is empty: add a document or an item."))
    session = Session.objects.create(
        council=council,
        date=date,
        time=time,
        place=place,
        quarter=year.quarter_of(date),
        is_first=not council.sessions.exists(),
        is_year_end=is_year_end,
        created_by=actor,
    )
    position = 0
    items = []
    for document in documents:
        position += 1
        items.append(
            AgendaItem(
                session=session,
                position=position,
                document=document,
                title=_("On the document «%(title)s» (%(type)s), author %(author)s")
                % {
                    "title": document.title,
                    "type": document.get_doc_type_display(),
                    "author": document.author.get_short_name(),
                },
            )
        )
    for title in titles:
        position += 1
        items.append(AgendaItem(session=session, position=position, title=title[:400]))
    AgendaItem.objects.bulk_create(items)
    Attendance.objects.bulk_create(
        [Attendance(session=session, user_id=m.user_id) for m in council.members.all()]
    )
    Protocol.objects.create(session=session, council=council)
    council_tasks_sync(council=council)
    return session


def quorum(session: Session) -> tuple[int, int, bool]:
    """(present, members, reached): more than the configured share of the members."""
    members = session.council.members.count()
    present = session.attendance.filter(present=True).count()
    return present, members, members > 0 and present > members * settings.COUNCIL_QUORUM_SHARE


@transaction.atomic
def attendance_record(*, session: Session, actor: User, present_user_ids: Sequence[int]) -> None:
    protocol = _require_writer(session, actor)
    present = set(present_user_ids)
    # Members added to the council after the session was scheduled get their row now.
    listed = set(session.attendance.values_list("user_id", flat=True))
    Attendance.objects.bulk_create(
        [
            Attendance(session=session, user_id=user_id)
            for user_id in session.council.members.values_list("user_id", flat=True)
            if user_id not in listed
        ]
    )
    for row in session.attendance.all():
        if row.present != (row.user_id in present):
            row.present = row.user_id in present
            row.save(update_fields=["present"])
    _reset_confirmations(protocol)
    council_tasks_sync(council=session.council)


@dataclass(frozen=True)
class ItemRecord:
    heard: str
    speakers: str
    resolution: str
    decision: str
    votes_for: int | None
    votes_against: int | None
    votes_abstained: int | None


@transaction.atomic
def item_record(*, item: AgendaItem, actor: User, record: ItemRecord) -> AgendaItem:
    protocol = _require_writer(item.session, actor)
    if record.decision:
        present, _members, reached = quorum(item.session)
        if not reached:
            raise ValidationError(_("There is no quorum: the council cannot take a decision."))
        votes = [v for v in (record.votes_for, record.votes_against, record.votes_abstained) if v]
        if sum(votes) > present:
            raise ValidationError(
                _("More votes (%(votes)s) than members present (%(present)s).")
                % {"votes": sum(votes), "present": present}
            )
        if record.decision == AgendaItem.Decision.RECOMMEND_APPROVAL and item.document is None:
            raise ValidationError(_("Only a document can be recommended for approval."))
    item.heard = record.heard
    item.speakers = record.speakers
    item.resolution = record.resolution
    item.decision = record.decision
    item.votes_for = record.votes_for
    item.votes_against = record.votes_against
    item.votes_abstained = record.votes_abstained
    item.save()
    _reset_confirmations(protocol)
    council_tasks_sync(council=item.session.council)
    return item


@transaction.atomic
def secretary_elect(*, session: Session, actor: User, secretary: User) -> None:
    """5.4: the first session elects the secretary, who then keeps the protocols."""
    if not session.is_first:
        raise ValidationError(_("The secretary is elected at the first session of the year."))
    protocol = _require_writer(session, actor)
    if not session.council.members.filter(user=secretary).exists():
        raise ValidationError(_("The secretary must be a member of the council."))
    session.secretary_elected = secretary
    session.save(update_fields=["secretary_elected"])
    council = session.council
    council.secretary = secretary
    council.save(update_fields=["secretary"])
    council_roles_sync(council=council, actor=actor)
    _reset_confirmations(protocol)
    council_tasks_sync(council=council)


def protocol_problems(session: Session) -> list[str]:
    """Why the protocol cannot be confirmed yet; empty when it can."""
    problems = []
    items = list(session.items.all())
    if any(not item.decision for item in items):
        problems.append(_("Every agenda item needs the council's decision."))
    if not quorum(session)[2]:
        problems.append(_("There is no quorum."))
    if session.is_first:
        if session.secretary_elected_id is None:
            problems.append(_("The first session must record the election of the secretary."))
        if not any(
            item.document_id
            and item.document.doc_type == DocumentType.WORK_PLAN
            and item.decision == AgendaItem.Decision.RECOMMEND_APPROVAL
            for item in items
        ):
            problems.append(_("The first session must approve the year's work plan."))
    return problems


@transaction.atomic
def protocol_sign(*, session: Session, actor: User) -> Protocol:
    """The chair's or the secretary's confirmation. With both, the protocol takes the next
    number of the academic year (5.3) and is closed to changes."""
    council = Council.objects.select_for_update().get(pk=session.council_id)
    protocol = Protocol.objects.select_for_update().get(session=session)
    if protocol.is_confirmed:
        raise ValidationError(_("The protocol is already confirmed."))
    as_chair = council.chair_id == actor.pk
    as_secretary = council.secretary_id == actor.pk
    if not (as_chair or as_secretary):
        raise PermissionDenied(_("Only the chair and the secretary confirm the protocol."))
    problems = protocol_problems(session)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    if as_chair and not protocol.chair_confirmed_at:
        protocol.chair_confirmed_by, protocol.chair_confirmed_at = actor, now
    if as_secretary and not protocol.secretary_confirmed_at:
        protocol.secretary_confirmed_by, protocol.secretary_confirmed_at = actor, now
    if protocol.chair_confirmed_at and protocol.secretary_confirmed_at:
        last = Protocol.objects.filter(council=council, number__isnull=False).order_by("-number")
        protocol.number = (last.values_list("number", flat=True).first() or 0) + 1
        protocol.confirmed_at = now
        # No reminder of a missing protocol is owed any more (council_reminders).
        Session.objects.filter(pk=session.pk).update(protocol_reminder_done_at=now)
    protocol.save()
    return protocol


def protocol_confirm(*, session: Session, actor: User) -> Protocol:
    """A signature on a session's protocol (the page's and the API's "Confirm"). With the
    second one the protocol is numbered, the apps above are told (the flow moves every
    document on the agenda on by the council's decision, under each document's lock), the
    protocol is rendered after the commit and the members are told. All in one
    transaction: if a document cannot be moved (its process is locked: viewflow's
    FlowLockFailed reaches the caller), nothing is confirmed."""
    with transaction.atomic():
        protocol = protocol_sign(session=session, actor=actor)
        if protocol.is_confirmed:
            signals.protocol_confirmed.send(
                sender=Protocol, protocol=protocol, session=session, actor=actor
            )
            protocol_render_enqueue(protocol.pk)
            notices.protocol_confirmed(session, protocol.number)
        # After the decisions moved the documents: a postponed one awaits an agenda again.
        council_tasks_sync(council=session.council)
    return protocol


@transaction.atomic
def session_close(*, session: Session, actor: User) -> Session:
    _require_chair(session.council, actor)
    if not Protocol.objects.get(session=session).is_confirmed:
        raise ValidationError(_("A session cannot be closed without a confirmed protocol."))
    if session.status == Session.Status.CLOSED:
        return session
    session.status = Session.Status.CLOSED
    session.closed_at = timezone.now()
    session.save(update_fields=["status", "closed_at"])
    return session


@transaction.atomic
def annual_report_prepare(*, council: Council, actor: User, directions: str) -> AnnualReport:
    """5.2: the year-end session sums up the year; the report is made from the records."""
    _require_chair(council, actor)
    if not council.sessions.filter(is_year_end=True, protocol__confirmed_at__isnull=False).exists():
        raise ValidationError(_("Hold the year-end session (with a confirmed protocol) first."))
    report, _created = AnnualReport.objects.select_for_update().get_or_create(
        council=council, defaults={"generated_by": actor, "directions": directions}
    )
    if report.presented_on:
        raise ValidationError(_("The report was already presented and can no longer change."))
    report.directions = directions
    report.generated_by = actor
    old = report.pdf.name if report.pdf else ""
    report.pdf = ""
    report.save()
    if old:
        transaction.on_commit(lambda: report.pdf.storage.delete(old))
    annual_report_render_enqueue(report.pk)
    return report


def annual_report_presented(
    *, report: AnnualReport, actor: User, presented_on: datetime.date, protocol_number: str
) -> AnnualReport:
    _require_chair(report.council, actor)
    if not protocol_number.strip():
        raise ValidationError(_("Enter the pedagogical council's protocol number."))
    if presented_on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    report.presented_on = presented_on
    report.pedagogical_protocol_number = protocol_number.strip()
    report.save(update_fields=["presented_on", "pedagogical_protocol_number"])
    return report


# The council's steps as inbox tasks (CouncilTask).


def _agenda_due(council: Council, today: datetime.date) -> datetime.date:
    # 5.1: a session every quarter, so the recommended documents wait at most until the
    # quarter ends; after the year's end, a week.
    year = council.academic_year
    if today > year.ends_on:
        return today + datetime.timedelta(days=7)
    return year.quarter_bounds()[year.quarter_of(today) - 1][1]


def _protocol_due(session: Session, today: datetime.date) -> datetime.date:
    return max(session.date + datetime.timedelta(days=settings.PROTOCOL_REMINDER_DAYS), today)


def _wanted_steps(
    council: Council, today: datetime.date
) -> dict[tuple, tuple[datetime.date, Session | None]]:
    """What should be open now: {(kind, session_id, assignee_id): (due, session)}."""
    from .models import CouncilTask

    kinds = CouncilTask.Kind
    wanted: dict[tuple, tuple] = {}
    if documents_awaiting_council(council).exists():
        wanted[(kinds.AGENDA, None, council.chair_id)] = (_agenda_due(council, today), None)
    writer_id = council.secretary_id or council.chair_id
    due_sessions = (
        Session.objects.filter(
            council=council, date__lte=today, protocol__confirmed_at__isnull=True
        )
        .select_related("protocol", "council")
        .order_by("date", "pk")
    )
    for session in due_sessions:
        due = _protocol_due(session, today)
        if protocol_problems(session):
            wanted[(kinds.PROTOCOL, session.pk, writer_id)] = (due, session)
            continue
        protocol = session.protocol
        if not protocol.chair_confirmed_at:
            wanted[(kinds.CONFIRM, session.pk, council.chair_id)] = (due, session)
        if council.secretary_id and not protocol.secretary_confirmed_at:
            wanted[(kinds.CONFIRM, session.pk, council.secretary_id)] = (due, session)
    return wanted


def council_agenda_step_ensure(*, school_id: int, academic_year_id: int) -> None:
    """A document was just recommended to a council session: its chair's agenda step must
    be open. When one is open already, the recommendation changes nothing else (every other
    council write syncs its own steps), so one indexed read suffices
    (council_task_agenda_open_once); otherwise the full sync."""
    from .models import CouncilTask

    if CouncilTask.objects.filter(
        council__school_id=school_id,
        council__academic_year_id=academic_year_id,
        kind=CouncilTask.Kind.AGENDA,
        session__isnull=True,
        status=CouncilTask.Status.OPEN,
    ).exists():
        return
    council_tasks_sync(school_id=school_id, academic_year_id=academic_year_id)


def council_tasks_sync(
    *,
    council: Council | None = None,
    school_id: int | None = None,
    academic_year_id: int | None = None,
    today: datetime.date | None = None,
) -> None:
    """Bring the council's inbox tasks in line with its records: open the steps that are
    due, close the ones that were done, and hand a step over when its role changed hands
    (a new chair or secretary). Called by every council write, in its transaction; the new
    assignee is told (an outbox row in the same transaction). The council is given, or
    named by school and year (then nothing happens when there is none)."""
    from notifications.models import Kind as NoticeKind
    from notifications.services import notify

    from .models import CouncilTask

    today = today or timezone.localdate()
    # Serialized per council: two documents recommended at the same moment must open one
    # agenda step, not trip the unique constraint. Every council write takes the council's
    # row before its protocol's, so this adds no lock-order inversion.
    rows = Council.objects.select_for_update(of=("self",)).select_related("academic_year")
    if council is not None:
        council = rows.get(pk=council.pk)
    else:
        council = rows.filter(school_id=school_id, academic_year_id=academic_year_id).first()
        if council is None:
            return
    wanted = _wanted_steps(council, today)
    open_rows = list(
        CouncilTask.objects.select_for_update().filter(
            council=council, status=CouncilTask.Status.OPEN
        )
    )
    now = timezone.now()
    still_wanted_steps = {(kind, session_id) for kind, session_id, _who in wanted}
    for row in open_rows:
        key = (row.kind, row.session_id, row.assignee_id)
        if key in wanted:
            wanted.pop(key)
            continue
        row.status = (
            CouncilTask.Status.HANDED_OVER
            if (row.kind, row.session_id) in still_wanted_steps
            else CouncilTask.Status.DONE
        )
        row.closed_at = now
        row.save(update_fields=["status", "closed_at"])
    for (kind, session_id, assignee_id), (due, session) in wanted.items():
        if assignee_id is None:
            continue
        task = CouncilTask.objects.create(
            council=council,
            session_id=session_id,
            kind=kind,
            assignee_id=assignee_id,
            due_date=due,
        )
        if kind == CouncilTask.Kind.AGENDA:
            titles = list(documents_awaiting_council(council).values_list("title", flat=True)[:3])
            notify(
                recipient=task.assignee,
                kind=NoticeKind.TASK_ASSIGNED,
                params={
                    "task_msgid": _msgid(CouncilTask.Kind.AGENDA.label),
                    "document": ", ".join(titles),
                    "due": f"{due:%d.%m.%Y}",
                },
                url=council_task_url(task),
                dedupe_key=f"council_task:{task.pk}",
            )
        else:
            notify(
                recipient=task.assignee,
                kind=NoticeKind.PROTOCOL_MISSING,
                params={"date": f"{session.date:%d.%m.%Y}"},
                url=council_task_url(task),
                dedupe_key=f"council_task:{task.pk}",
            )


def _msgid(lazy: object) -> str:
    """The source text of a lazily translated label, translated per recipient when shown."""
    from django.utils import translation

    with translation.override(None):
        return str(lazy)


def council_task_url(task) -> str:
    """Where the step is done: the new session form, the protocol, the session page."""
    from django.urls import reverse

    from .models import CouncilTask

    if task.kind == CouncilTask.Kind.AGENDA:
        return f"{reverse('council:session_new')}?year={task.council.academic_year_id}"
    if task.kind == CouncilTask.Kind.PROTOCOL:
        return reverse("council:protocol_edit", args=[task.session_id])
    return reverse("council:session", args=[task.session_id])


def council_tasks_due(*, today: datetime.date | None = None, batch: int = 200) -> int:
    """The periodic part: sessions whose date has come, with no confirmed protocol and no
    step opened yet (nothing was written since the day came). Constant work per run."""
    from .models import CouncilTask

    today = today or timezone.localdate()
    opened = CouncilTask.objects.filter(session=models.OuterRef("pk"))
    # The unconfirmed protocols from their partial index (Protocol "protocol_unconfirmed"),
    # then their sessions by key. Written as `protocol__confirmed_at IS NULL`, the reverse
    # one-to-one became a LEFT JOIN hashed over every past session in the country.
    unconfirmed = Protocol.objects.filter(confirmed_at__isnull=True).values("session_id")
    council_ids = list(
        Session.objects.filter(date__lte=today, pk__in=unconfirmed)
        .exclude(models.Exists(opened))
        .order_by("date")
        .values_list("council_id", flat=True)[:batch]
    )
    for council_id in dict.fromkeys(council_ids):
        with transaction.atomic():
            council_tasks_sync(council=Council(pk=council_id), today=today)
    return len(council_ids)
