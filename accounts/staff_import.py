"""Staff import: a school administrator (or, by `manage.py import_staff`, a district
administrator over many schools) loads a table of people from XLSX or CSV.

`staff_file_read` turns the file into rows, `staff_import_check` says row by row what an
import would do and why a row cannot be imported (the dry-run preview), and
`staff_import_apply` creates or updates the valid rows' people in their school only. A
second import of the same file changes nothing and sends nothing: people are found by
e-mail. Each new person gets a set-password e-mail in their language, through the
notifications outbox (written in the same transaction, delivered after the commit).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Language, MethodicalAssociation, School, User
from .roles import Role
from .signals import people_created

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# The notice that carries the set-password link. Not one of the notification kinds a
# person chooses about (it cannot be switched off), so it is not in notifications' Kind.
ACCOUNT_CREATED = "account_created"

# Columns: the key, its label (translated: the template's header in the reader's
# language), and extra spellings people use in their own tables.
COLUMNS: list[tuple[str, object, tuple[str, ...]]] = [
    ("full_name", gettext_lazy("Full name"), ("фио", "ф.и.о.", "аты-жөнү", "name")),
    ("position", gettext_lazy("Position"), ("должность", "кызматы")),
    ("email", gettext_lazy("E-mail"), ("email", "e-mail", "почта", "электрондук почта")),
    ("roles", gettext_lazy("Role"), ("roles", "роли", "роль", "ролу")),
    (
        "association",
        gettext_lazy("Methodical association"),
        ("мо", "методическое объединение", "усулдук бирикме"),
    ),
    ("language", gettext_lazy("Language"), ("язык", "тил")),
    ("school", gettext_lazy("School"), ("школа", "мектеп")),
]
REQUIRED = ("full_name", "email", "roles")

# What each kind of administrator may grant. Nobody grants district administration here.
SCHOOL_ADMIN_GRANTS = frozenset(
    {Role.TEACHER, Role.COUNCIL_MEMBER, Role.CHAIR, Role.SECRETARY, Role.DIRECTOR}
)
DISTRICT_ADMIN_GRANTS = SCHOOL_ADMIN_GRANTS | {Role.SCHOOL_ADMIN}
ADMIN_ROLES = frozenset({Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN})


@dataclass
class StaffRow:
    line: int  # as the person sees it in their spreadsheet (the header is line 1)
    full_name: str = ""
    position: str = ""
    email: str = ""
    roles: str = ""
    association: str = ""
    language: str = ""
    school: str = ""


@dataclass
class RowResult:
    row: StaffRow
    action: str = ""  # "create", "update", "unchanged" or "error"
    errors: list[str] = field(default_factory=list)
    school: School | None = None
    user: User | None = None
    last_name: str = ""
    first_name: str = ""
    patronymic: str = ""
    role_codes: list[str] = field(default_factory=list)
    association: MethodicalAssociation | None = None
    language: str = Language.KY


@dataclass
class ImportReport:
    results: list[RowResult]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0


def _norm(text: object) -> str:
    return " ".join(str(text or "").split())


def _header_map() -> dict[str, str]:
    names: dict[str, str] = {}
    for key, label, extra in COLUMNS:
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names[_norm(label).lower()] = key
        names[key] = key
        for spelling in extra:
            names[spelling] = key
    return names


def _role_map() -> dict[str, str]:
    names: dict[str, str] = {}
    for role in Role:
        names[role.value] = role.value
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names[_norm(role.label).lower()] = role.value
    return names


def _cells_to_rows(table: Iterable[Sequence[object]]) -> list[StaffRow]:
    rows_iter = iter(table)
    header = next(rows_iter, None)
    if header is None:
        raise ValidationError(_("The file is empty."))
    names = _header_map()
    columns = [names.get(_norm(cell).lower().rstrip(" *:")) for cell in header]
    missing = [key for key in REQUIRED if key not in columns]
    if missing:
        labels = {key: str(label) for key, label, _extra in COLUMNS}
        raise ValidationError(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(labels[key] for key in missing)}
        )
    rows = []
    for number, cells in enumerate(rows_iter, start=2):
        values = {key: _norm(cell) for key, cell in zip(columns, cells, strict=False) if key}
        if not any(values.values()):
            continue  # blank lines between blocks of a spreadsheet
        rows.append(StaffRow(line=number, **values))
        if len(rows) > MAX_ROWS:
            raise ValidationError(_("At most %(count)s people in one file.") % {"count": MAX_ROWS})
    if not rows:
        raise ValidationError(_("The file has no people in it."))
    return rows


def staff_file_read(*, upload: UploadedFile) -> list[StaffRow]:
    """The rows of an XLSX or CSV file (the type told by its content, not its name)."""
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."))
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."))
    if data[:4] == b"PK\x03\x04":
        return _cells_to_rows(_xlsx_cells(data))
    for encoding in ("utf-8-sig", "cp1251"):  # Excel in Russian saves CSV in cp1251
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        return _cells_to_rows(csv.reader(io.StringIO(text), delimiter=delimiter))
    raise ValidationError(_("Upload an .xlsx or .csv file."))


def _xlsx_cells(data: bytes) -> Iterable[Sequence[object]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # A spreadsheet of a few thousand people unpacks to a few MB; refuse bombs.
            if sum(i.file_size for i in archive.infolist()) > 20 * MAX_FILE_BYTES:
                raise ValidationError(_("Upload an .xlsx or .csv file."))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    except ValidationError:
        raise
    except Exception:  # any unreadable workbook gets the same answer
        raise ValidationError(_("Upload an .xlsx or .csv file.")) from None


def grantable_roles(actor: User) -> frozenset[str]:
    if actor.is_superuser or actor.groups.filter(name=Role.DISTRICT_ADMIN).exists():
        return frozenset(DISTRICT_ADMIN_GRANTS)
    return frozenset(SCHOOL_ADMIN_GRANTS)


def schools_of(actor: User) -> list[School]:
    """The schools whose people this administrator may import."""
    if actor.is_superuser:
        return list(School.objects.order_by("name", "pk"))
    if actor.district_id and actor.has_perm("reports.view_district"):
        return list(School.objects.filter(district_id=actor.district_id).order_by("name", "pk"))
    if actor.school_id and actor.has_perm("accounts.add_user"):
        return [actor.school]
    return []


def staff_import_check(
    *, actor: User, rows: Sequence[StaffRow], school: School | None = None
) -> list[RowResult]:
    """What importing `rows` would do, row by row, with every reason a row is refused.
    Reads in a fixed number of queries, whatever the number of rows. `school`: the one
    school of a school administrator's page; without it each row names its school."""
    allowed_schools = {s.pk: s for s in schools_of(actor)}
    by_name = {}
    for s in allowed_schools.values():
        by_name[_norm(s.name).lower()] = s
        if s.short_name:
            by_name[_norm(s.short_name).lower()] = s
    grants = grantable_roles(actor)
    role_names = _role_map()
    associations = {
        (a.school_id, _norm(a.name).lower()): a
        for a in MethodicalAssociation.objects.filter(school_id__in=list(allowed_schools))
    }
    emails = [r.email.lower() for r in rows if r.email]
    existing: dict[str, list[User]] = {}
    for user in (
        User.objects.annotate(lower_email=Lower("email"))
        .filter(lower_email__in=emails)
        .prefetch_related("groups")
    ):
        existing.setdefault(user.lower_email, []).append(user)
    seen: dict[str, int] = {}
    results = []
    for row in rows:
        result = RowResult(row=row)
        errors = result.errors
        # The school.
        if school is not None:
            result.school = school if school.pk in allowed_schools else None
            if result.school is None:
                errors.append(_("You may not import people into this school."))
        elif not row.school:
            errors.append(_("Name the school."))
        else:
            key = row.school.lower()
            result.school = by_name.get(key) or (
                allowed_schools.get(int(key)) if key.isdigit() else None
            )
            if result.school is None:
                errors.append(
                    _("Unknown school “%(school)s”, or not one of yours.") % {"school": row.school}
                )
        # The name: last, first, then the patronymic (several words: "Бакыт кызы").
        parts = row.full_name.split()
        if len(parts) < 2:
            errors.append(_("Write the full name: last name, first name (and patronymic)."))
        else:
            result.last_name, result.first_name = parts[0][:150], parts[1][:150]
            result.patronymic = " ".join(parts[2:])[:150]
        if len(row.position) > 200:
            errors.append(_("The position is longer than 200 characters."))
        # The e-mail: valid, once in the file, not someone else's.
        email = row.email.lower()
        try:
            validate_email(row.email)
        except ValidationError:
            errors.append(_("“%(email)s” is not a valid e-mail address.") % {"email": row.email})
            email = ""
        if email:
            if email in seen:
                errors.append(
                    _("This e-mail is already on line %(line)s of the file.")
                    % {"line": seen[email]}
                )
            else:
                seen[email] = row.line
            matches = existing.get(email, [])
            if len(matches) > 1:
                errors.append(
                    _("Several accounts have this e-mail; change them in the administration.")
                )
            elif matches:
                user = matches[0]
                result.user = user
                held = {g.name for g in user.groups.all()}
                if user.is_superuser or held & ADMIN_ROLES:
                    errors.append(
                        _(
                            "This e-mail belongs to an administrator; "
                            "change them in the administration."
                        )
                    )
                elif result.school is not None and user.school_id != result.school.pk:
                    errors.append(_("This e-mail belongs to a person of another school."))
        # Roles: known, and ones this administrator may grant.
        for name in re.split(r"[,;/]", row.roles):
            name = _norm(name).lower()
            if not name:
                continue
            code = role_names.get(name)
            if code is None:
                errors.append(_("Unknown role “%(role)s”.") % {"role": name})
            elif code not in grants:
                errors.append(
                    _("You may not grant the role “%(role)s”.") % {"role": Role(code).label}
                )
            elif code not in result.role_codes:
                result.role_codes.append(code)
        if not row.roles.strip():
            errors.append(_("Give at least one role."))
        # The methodical association, of the person's school.
        if row.association and result.school is not None:
            result.association = associations.get((result.school.pk, row.association.lower()))
            if result.association is None:
                errors.append(
                    _("Unknown methodical association “%(name)s” in %(school)s.")
                    % {"name": row.association, "school": result.school}
                )
        # The language of their e-mails and pages.
        language = row.language.lower()[:2]
        if language and language not in Language.values:
            errors.append(_("The language is ky, ru or en."))
        result.language = language or Language.KY
        if errors:
            result.action = "error"
        elif result.user is None:
            result.action = "create"
        else:
            result.action = "update" if _changes(result) else "unchanged"
        results.append(result)
    return results


def _changes(result: RowResult) -> dict[str, object]:
    """The fields an import would change on an existing person."""
    user = result.user
    assert user is not None
    wanted = {
        "last_name": result.last_name,
        "first_name": result.first_name,
        "patronymic": result.patronymic,
        "methodical_association_id": result.association.pk if result.association else None,
    }
    if result.row.position:
        wanted["position"] = result.row.position
    if result.row.language:
        wanted["language"] = result.language
    changes: dict[str, object] = {k: v for k, v in wanted.items() if getattr(user, k) != v}
    held = {g.name for g in user.groups.all()}
    if set(result.role_codes) - held:
        changes["roles"] = sorted(set(result.role_codes) - held)
    return changes


def _usernames(results: Sequence[RowResult]) -> dict[int, str]:
    """A free username per new person, from their e-mail's local part."""
    wanted = {}
    for r in results:
        base = re.sub(r"[^a-z0-9._-]", "", r.row.email.split("@", 1)[0].lower())[:120] or "user"
        wanted[r.row.line] = base
    taken = set(
        User.objects.filter(username__in=list(set(wanted.values()))).values_list(
            "username", flat=True
        )
    )
    # Candidates with a number are looked up only for the bases already taken.
    busy_bases = {b for b in wanted.values() if b in taken}
    if busy_bases:
        for base in busy_bases:
            taken |= set(
                User.objects.filter(username__startswith=base).values_list("username", flat=True)
            )
    chosen = {}
    for line, base in wanted.items():
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}{n}"
        taken.add(name)
        chosen[line] = name
    return chosen


@transaction.atomic
def staff_import_apply(
    *, actor: User, rows: Sequence[StaffRow], school: School | None = None
) -> ImportReport:
    """Create or update the people of the valid rows (rows with errors are skipped and
    reported); idempotent. New people get no usable password until they set one."""
    results = staff_import_check(actor=actor, rows=rows, school=school)
    report = ImportReport(results=results)
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    new = [r for r in results if r.action == "create"]
    usernames = _usernames(new)
    created = []
    for r in new:
        user = User(
            username=usernames[r.row.line],
            email=r.row.email,
            last_name=r.last_name,
            first_name=r.first_name,
            patronymic=r.patronymic,
            position=r.row.position,
            school=r.school,
            methodical_association=r.association,
            language=r.language,
        )
        user.set_unusable_password()
        created.append(user)
        r.user = user
    User.objects.bulk_create(created, batch_size=500)
    memberships = [
        User.groups.through(user_id=r.user.pk, group_id=groups[code].pk)
        for r in new
        for code in r.role_codes
    ]
    updates = [r for r in results if r.action == "update"]
    changed_users = []
    fields: set[str] = set()
    for r in updates:
        changes = _changes(r)
        roles = changes.pop("roles", [])
        for name, value in changes.items():
            setattr(r.user, name, value)
            fields.add(name)
        changed_users.append(r.user)
        memberships += [
            User.groups.through(user_id=r.user.pk, group_id=groups[code].pk) for code in roles
        ]
    if fields:
        User.objects.bulk_update(changed_users, sorted(fields), batch_size=500)
    User.groups.through.objects.bulk_create(memberships, batch_size=1000, ignore_conflicts=True)
    _welcome([r.user for r in new])
    report.created, report.updated = len(new), len(updates)
    report.unchanged = sum(1 for r in results if r.action == "unchanged")
    report.errors = sum(1 for r in results if r.action == "error")
    return report


def set_password_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("password_set", kwargs={"uidb64": uid, "token": token})


def _welcome(users: Sequence[User]) -> None:
    """Announce the new people (accounts/signals.py): notifications writes a set-password
    e-mail to each, in their language, through the outbox — rows in this transaction,
    sent by the worker after the commit."""
    people_created.send(sender=User, people=list(users))


def welcome_notice(user: User) -> dict[str, object]:
    """What the set-password notice of a new person says: its kind, parameters, link
    and dedupe key (the same person is welcomed once, however often imported)."""
    return {
        "kind": ACCOUNT_CREATED,
        "params": {"school": str(user.school or ""), "username": user.username},
        "url": set_password_path(user),
        "dedupe_key": f"{ACCOUNT_CREATED}:{user.pk}",
    }
