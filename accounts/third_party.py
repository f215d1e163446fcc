"""How third-party objects read in the admin, in the reader's language.

Their words go through the catalogs (locale_thirdparty/), but a few texts are built in code
that no catalog reaches, so they are set here once at start:

- role groups are stored under stable codes ("chair"); people read the role's name
  ("ИМКнын төрагасы"), in every list, filter and selector of the admin;
- django-axes names its app "Axes" (a library's name, untranslatable) in the admin index;
- django-celery-beat writes a crontab as "0 17 * * * (m/h/dM/MY/d) Asia/Bishkek" and
  describes it through cron-descriptor in English with a 12-hour clock ("At 05:00 PM").
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

# cron-descriptor's locales for our languages; it has none for Kyrgyz.
CRON_LOCALES = {"ru": "ru_RU", "en": "en_US"}


def group_name(group: Any) -> str:
    from .roles import Role

    try:
        return str(Role(group.name).label)
    except ValueError:  # a group an administrator made: its name is theirs
        return group.name


def crontab_str(crontab: Any) -> str:
    from django_celery_beat.models import cronexp

    expression = " ".join(
        cronexp(part)
        for part in (
            crontab.minute,
            crontab.hour,
            crontab.day_of_month,
            crontab.month_of_year,
            crontab.day_of_week,
        )
    )
    # Translators: the order of the five fields of a cron expression.
    legend = gettext("minute hour day-of-month month day-of-week")
    return f"{expression} ({legend}) {crontab.timezone}"


def crontab_human_readable(crontab: Any) -> str:
    """The schedule in words where cron-descriptor knows the language (24-hour clock);
    in Kyrgyz the common daily case in our words, otherwise the expression itself."""
    from cron_descriptor import (
        ExpressionDescriptor,
        FormatException,
        MissingFieldException,
        Options,
        WrongArgumentException,
    )

    minute, hour = str(crontab.minute), str(crontab.hour)
    rest = (str(crontab.day_of_month), str(crontab.month_of_year), str(crontab.day_of_week))
    expression = f"{minute} {hour} {' '.join(rest)}"
    language = translation.get_language() or "ky"
    locale = CRON_LOCALES.get(language.split("-")[0])
    if locale is not None:
        options = Options()
        options.locale_code = locale
        options.use_24hour_time_format = True
        try:
            return (
                f"{ExpressionDescriptor(expression, options).get_description()} {crontab.timezone}"
            )
        except (MissingFieldException, FormatException, WrongArgumentException):
            # An expression it cannot read: show it as typed.
            return f"{expression} {crontab.timezone}"
    if minute.isdigit() and hour.isdigit() and rest == ("*", "*", "*"):
        return (
            gettext("every day at %(time)s") % {"time": f"{int(hour):02d}:{int(minute):02d}"}
            + f" {crontab.timezone}"
        )
    return f"{expression} {crontab.timezone}"


def boolean_icon(value: bool | None) -> str:
    """The admin's yes/no icon, its alternative text in the reader's language (Django
    writes "True"/"False")."""
    from django.templatetags.static import static
    from django.utils.html import format_html

    name = {True: "yes", False: "no", None: "unknown"}[value]
    text = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), text)


def _when(moment: Any) -> str:
    from django.utils import timezone
    from django.utils.formats import date_format

    if moment is None:
        return "—"
    return date_format(timezone.localtime(moment), "d.m.Y H:i:s")


def access_attempt_str(attempt: Any) -> str:
    return gettext("Sign-in attempts of %(user)s since %(time)s") % {
        "user": attempt.username,
        "time": _when(attempt.attempt_time),
    }


def access_failure_str(failure: Any) -> str:
    text = gettext("Failed sign-in of %(user)s at %(time)s from %(address)s") % {
        "user": failure.username,
        "time": _when(failure.attempt_time),
        "address": failure.ip_address,
    }
    return f"{text} ({gettext('locked out')})" if failure.locked_out else text


def access_log_str(log: Any) -> str:
    return gettext("Sign-in of %(user)s at %(time)s") % {
        "user": log.username,
        "time": _when(log.attempt_time),
    }


def install() -> None:
    from django.apps import apps
    from django.contrib.admin.templatetags import admin_list
    from django.contrib.auth.models import Group

    Group.__str__ = group_name  # type: ignore[method-assign]
    admin_list._boolean_icon = boolean_icon
    if apps.is_installed("axes"):
        from axes.admin import AccessAttemptAdmin
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        axes_config = apps.get_app_config("axes")
        axes_config.verbose_name = pgettext_lazy("admin section", "Sign-in attempts")
        # axes writes its rows' names in English in code ("Attempted Access: …").
        AccessAttempt.__str__ = access_attempt_str  # type: ignore[method-assign]
        AccessFailureLog.__str__ = access_failure_str  # type: ignore[method-assign]
        AccessLog.__str__ = access_log_str  # type: ignore[method-assign]
        AccessAttemptAdmin.status.short_description = gettext_lazy("Status")  # type: ignore[attr-defined]
    if apps.is_installed("django_celery_beat"):
        from django_celery_beat.admin import PeriodicTaskAdmin
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        crontab_human_readable.short_description = gettext_lazy("The schedule in words")  # type: ignore[attr-defined]
        # Its only label written as a plain string, out of any catalog's reach.
        PeriodicTask._meta.get_field("task").verbose_name = gettext_lazy("Task name")
        CrontabSchedule.__str__ = crontab_str  # type: ignore[method-assign]
        CrontabSchedule.human_readable = property(crontab_human_readable)  # type: ignore[assignment]
        scheduler = PeriodicTask.scheduler
        if isinstance(scheduler, property) and scheduler.fget is not None:
            scheduler.fget.short_description = gettext_lazy("Schedule")  # type: ignore[attr-defined]
        PeriodicTaskAdmin.crontab_translation.short_description = gettext_lazy(  # type: ignore[attr-defined]
            "The schedule in words"
        )
