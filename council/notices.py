"""The council's time (regulation 5.1, 5.3): what members and the chair are told about
sessions and protocols. The notices of a write run inside its transaction (notifications
are outbox rows); `council_reminders` is the periodic part (council.tasks.council_time),
idempotent: each reminder has a dedupe key."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind
from notifications.services import notify, notify_many

from .models import Council, Session


def session_agenda_due(session: Session) -> int:
    """The agenda to every member of the council who has not had it; how many got it."""
    members = [m.user for m in session.council.members.select_related("user")]
    return notify_many(
        recipients=members,
        kind=Kind.SESSION_SCHEDULED,
        params={
            "date": f"{session.date:%d.%m.%Y}",
            "place": session.place,
            "agenda": [item.title for item in session.items.order_by("position")],
        },
        url=reverse("council:session", args=[session.pk]),
        key=f"agenda:{session.pk}",
    )


def protocol_confirmed(session: Session, number: int) -> None:
    members = [m.user for m in session.council.members.select_related("user")]
    notify_many(
        recipients=members,
        kind=Kind.PROTOCOL_CONFIRMED,
        params={"number": number, "date": f"{session.date:%d.%m.%Y}"},
        url=reverse("council:session", args=[session.pk]),
        key=f"protocol:{session.pk}",
    )


PROTOCOL_REMINDER_WINDOW_DAYS = 30


def council_reminders(today: datetime.date | None = None) -> dict[str, int]:
    """Agendas to members before a session; the chair reminded of a quarter ending with
    no session held or scheduled, and of a session a week old without its protocol.

    Runs every minute over the whole country, so each part costs a fixed number of queries
    whatever the number of councils: candidates are read in one indexed query that already
    leaves out whatever was sent (the agenda's marker on the session, the reminders' dedupe
    keys), and only the notices still owed cost a write each."""
    from django.db.models import Exists, OuterRef

    from accounts.models import AcademicYear

    from .models import Protocol

    today = today or timezone.localdate()
    counts = {"agendas": 0, "quarters": 0, "protocols": 0}
    # Every session has its protocol from the day it is scheduled; the unconfirmed ones are
    # read from their partial index (Protocol "protocol_unconfirmed"). Written as
    # `protocol__confirmed_at IS NULL`, the reverse one-to-one became a LEFT JOIN that
    # PostgreSQL could only hash over every session and protocol in the country.
    unconfirmed = Protocol.objects.filter(confirmed_at__isnull=True).values("session_id")

    # Agendas: sessions of the next days whose agenda has not gone out, read from their
    # partial index (Session "session_agenda_unsent"); each one's notices and its marker
    # are written in one transaction. A session whose agenda went out is never read again,
    # so in its steady state the job reads one empty range, for the country as for one
    # school. (Members added later: council.services.council_agendas_reopen.)
    agenda_until = today + datetime.timedelta(days=settings.AGENDA_DAYS_BEFORE)
    for session in Session.objects.filter(
        date__gte=today,
        date__lte=agenda_until,
        agenda_sent_at__isnull=True,
        pk__in=unconfirmed,
    ).select_related("council"):
        with transaction.atomic():
            if session_agenda_due(session):
                counts["agendas"] += 1
            Session.objects.filter(pk=session.pk).update(agenda_sent_at=timezone.now())
    # Protocols: sessions a week old whose protocol reminder is still owed (the partial
    # index session_protocol_reminder_owed: a session leaves it when its chair is reminded
    # or its protocol confirmed), within a month of becoming late: the reminder goes out in
    # the first minute, so only an outage of the beat longer than that could skip one. In
    # the steady state an empty range, for the country as for one school.
    late = today - datetime.timedelta(days=settings.PROTOCOL_REMINDER_DAYS)
    for session in Session.objects.filter(
        date__lte=late,
        date__gt=late - datetime.timedelta(days=PROTOCOL_REMINDER_WINDOW_DAYS),
        protocol_reminder_done_at__isnull=True,
        pk__in=unconfirmed,
    ).select_related("council__chair"):
        with transaction.atomic():
            if notify(
                recipient=session.council.chair,
                kind=Kind.PROTOCOL_MISSING,
                params={"date": f"{session.date:%d.%m.%Y}"},
                url=reverse("council:session", args=[session.pk]),
                dedupe_key=f"protocol_missing:{session.pk}",
            ):
                counts["protocols"] += 1
            Session.objects.filter(pk=session.pk).update(protocol_reminder_done_at=timezone.now())
    # Quarters: decided per academic year first, so that outside the last days of a
    # quarter no council is read at all; then only the councils of that year not checked
    # for this quarter yet (the index council_quarter_checked), each with whether it has a
    # session in the quarter: those are marked in one statement, the others' chairs
    # reminded and marked one by one.
    # After the first minute of the quarter's last days nothing is left to read.
    horizon = datetime.timedelta(days=settings.QUARTER_REMINDER_DAYS)
    for year in AcademicYear.objects.filter(starts_on__lte=today, ends_on__gte=today):
        number = year.quarter_of(today)
        _start, end = year.quarter_bounds()[number - 1]
        if end - today > horizon:
            continue
        unchecked = list(
            Council.objects.filter(academic_year=year, quarter_checked__lt=number)
            .annotate(held=Exists(Session.objects.filter(council=OuterRef("pk"), quarter=number)))
            .select_related("chair")
            .order_by("pk")  # not the model's order by year and school name: no joins
        )
        if any(council.held for council in unchecked):
            Council.objects.filter(pk__in=[c.pk for c in unchecked if c.held]).update(
                quarter_checked=number
            )
        for council in (c for c in unchecked if not c.held):
            with transaction.atomic():
                if notify(
                    recipient=council.chair,
                    kind=Kind.QUARTER_WITHOUT_SESSION,
                    params={"quarter": number, "ends": f"{end:%d.%m.%Y}"},
                    url=reverse("council:session_new"),
                    dedupe_key=f"quarter:{council.pk}:{number}",
                ):
                    counts["quarters"] += 1
                Council.objects.filter(pk=council.pk).update(quarter_checked=number)
    return counts
