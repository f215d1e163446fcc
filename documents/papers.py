"""Verifiable official papers: their codes, their issue and revocation, the lookup throttle.

Every approval sheet, protocol and annual report a worker renders gets a verification code
printed on it (a QR code and the same code to type). The code leads to a public page that
says what the paper is and whether it is still valid. The code is the only secret: 130
random bits, so that nobody finds a paper by guessing; lookups are throttled per client
address anyway, which also bounds the load a scanner can make.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import School, User

from .models import OfficialPaper, PaperKind, PaperStatus, VerificationThrottle

if TYPE_CHECKING:
    from .pdf import Rendered, Verification

# Crockford's base32: no I, L, O or U, so that what is read from paper is typed right.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 26  # 26 × 5 = 130 bits
GROUPS = (5, 5, 5, 5, 6)
# What people type for what they read (Crockford's decoding rules).
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})


def code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def code_normalize(typed: str) -> str | None:
    """The stored form of a typed or scanned code, or None when it cannot be one.
    Case, spaces and dashes do not matter; O, I and L are read as 0, 1 and 1."""
    cleaned = "".join(ch for ch in (typed or "")[:80].upper() if ch not in " -\t\r\n")
    cleaned = cleaned.translate(_TYPED)
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def code_display(code: str) -> str:
    """The code in groups, as printed: 7KQ2M-9XD4P-…"""
    parts, start = [], 0
    for size in GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(parts)


def verification_url(code: str) -> str:
    """The public address printed in the QR code. From SITE_URL: a worker renders the
    paper and has no request to take the host from."""
    return settings.SITE_URL + reverse("verify:paper", args=[code])


def file_sha256(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


# -- issue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Signatory:
    name: str
    role: str  # "approver", "chair", "secretary"
    position: str = ""


@dataclass(frozen=True)
class PaperFacts:
    """What the verification page will say: exactly what the paper itself prints."""

    school_id: int
    title: str
    number: str
    approved_on: datetime.date | None
    signatories: list[Signatory] = field(default_factory=list)
    version_sha256: str = ""


def paper_reserve(*, kind: str, object_id: int, school: School | int) -> OfficialPaper:
    """The code a rendering is about to print: the pending one of this record if a worker
    already reserved it (a retry, or two workers at once), else a new one."""
    school_id = school if isinstance(school, int) else school.pk
    for _attempt in range(3):
        paper = OfficialPaper.objects.filter(
            kind=kind, object_id=object_id, status=PaperStatus.PENDING
        ).first()
        if paper is not None:
            return paper
        try:
            with transaction.atomic():
                return OfficialPaper.objects.create(
                    code=code_new(), kind=kind, object_id=object_id, school_id=school_id
                )
        except IntegrityError:
            continue  # another worker reserved it between our read and our insert
    raise RuntimeError(f"could not reserve a paper for {kind} {object_id}")


def paper_issue(
    *, paper: OfficialPaper, facts: PaperFacts, pdf_sha256: str, signed_by: str
) -> OfficialPaper:
    """The rendered file is stored: the paper becomes valid, and the paper it replaces (a
    re-rendered report, a sheet rendered again) is marked superseded. Call inside the
    transaction that stores the file, so that both or neither happen."""
    now = timezone.now()
    previous = list(
        OfficialPaper.objects.select_for_update()
        .filter(kind=paper.kind, object_id=paper.object_id, status=PaperStatus.VALID)
        .exclude(pk=paper.pk)
    )
    # Superseded first: the partial unique index allows one valid paper per record.
    for old in previous:
        old.status = PaperStatus.SUPERSEDED
        old.save(update_fields=["status"])
    paper.school_id = facts.school_id
    paper.title = facts.title[:400]
    paper.number = facts.number[:40]
    paper.approved_on = facts.approved_on
    paper.signatories = [
        {"name": s.name, "role": s.role, "position": s.position} for s in facts.signatories
    ]
    paper.version_sha256 = facts.version_sha256
    paper.pdf_sha256 = pdf_sha256
    paper.signed_by = signed_by[:300]
    paper.status = PaperStatus.VALID
    paper.issued_at = now
    paper.save()
    for old in previous:
        old.superseded_by = paper
        old.save(update_fields=["superseded_by"])
    return paper


# -- rendering a paper (the workers of the apps that own each paper call these) ----------
# Rendering never runs in a request or under a flow lock: the write that makes a paper due
# enqueues its task after commit, and a periodic sweep of the owning app finds any file
# still missing. Both helpers are idempotent: of two concurrent renders only the first
# conditional UPDATE wins.


def store_once(model: type[Model], pk: int, field: str, name: str, data: bytes) -> bool:
    """Save `data` and point the row's empty `field` at it; False if another worker won."""
    stored = default_storage.save(name, ContentFile(data))
    won = model.objects.filter(pk=pk, **{field: ""}).update(**{field: stored})
    if not won:
        default_storage.delete(stored)
    return bool(won)


def issue_paper(
    *,
    model: type[Model],
    pk: int,
    field: str,
    name: str,
    kind: str,
    school_name: str,
    facts: PaperFacts,
    build: Callable[[Verification], Rendered],
) -> bool:
    """Render, sign and store an official PDF as a verifiable paper; False if another
    worker stored it first (its paper stands, ours is never shown).

    A code reserved before rendering is printed on it, the PDF is signed with the school's
    certificate when one is configured, and the paper becomes valid in the same
    transaction that stores the file."""
    from .pdf import Verification
    from .signing import SignatureBox, sign_pdf

    paper = paper_reserve(kind=kind, object_id=pk, school=facts.school_id)
    rendered = build(
        Verification(
            code=code_display(paper.code),
            url=verification_url(paper.code),
            check_url=settings.SITE_URL + reverse("verify:start"),
        )
    )
    box = None
    if rendered.signature_boxes:
        first = rendered.signature_boxes[0]
        box = SignatureBox(first.page - 1, *first.in_points(rendered.page_height))
    with translation.override(settings.OFFICIAL_DOCUMENT_LANGUAGE):
        reason = f"{PaperKind(kind).label} {facts.number}".strip()
    signed = sign_pdf(rendered.data, box=box, reason=reason, location=school_name)
    stored = default_storage.save(name, ContentFile(signed.data))
    with transaction.atomic():
        won = model.objects.filter(pk=pk, **{field: ""}).update(**{field: stored})
        if won:
            paper_issue(
                paper=paper,
                facts=facts,
                pdf_sha256=hashlib.sha256(signed.data).hexdigest(),
                signed_by=signed.signed_by,
            )
    if not won:
        default_storage.delete(stored)
    return bool(won)


def paper_may_revoke(actor: User, paper: OfficialPaper) -> bool:
    return actor.is_superuser or (
        actor.school_id is not None
        and actor.school_id == paper.school_id
        and actor.has_perm("documents.change_officialpaper")
    )


@transaction.atomic
def paper_revoke(*, paper: OfficialPaper, actor: User, reason: str) -> OfficialPaper:
    """A paper withdrawn by the school (issued in error, the decision annulled). The page
    then says so to whoever checks it; the reason stays internal."""
    if not paper_may_revoke(actor, paper):
        raise ValidationError(_("Only the school's administrator revokes its papers."))
    if not reason.strip():
        raise ValidationError(_("Say why the paper is revoked."))
    paper = OfficialPaper.objects.select_for_update().get(pk=paper.pk)
    if paper.status == PaperStatus.REVOKED:
        return paper
    paper.status = PaperStatus.REVOKED
    paper.revoked_at = timezone.now()
    paper.revoked_reason = reason.strip()
    paper.save(update_fields=["status", "revoked_at", "revoked_reason"])
    return paper


def paper_lookup(code: str | None) -> OfficialPaper | None:
    """The issued paper behind a code; None for a malformed, unknown or pending code
    alike, so that a wrong code answers exactly as a missing one."""
    if code is None:
        return None
    return (
        OfficialPaper.objects.select_related("school", "superseded_by")
        .exclude(status=PaperStatus.PENDING)
        .filter(code=code)
        .first()
    )


# -- the throttle ----------------------------------------------------------------------


def throttle_hit(client: str, *, now: float | None = None) -> bool:
    """Count one lookup of `client` (an address); False when it is over the limit.

    One upsert statement, so that concurrent requests in several web processes count
    right without a lock; rows of past windows are cleared when a new window starts."""
    window_seconds = max(settings.PAPERS_VERIFY_RATE_WINDOW_SECONDS, 1)
    period = int((time.time() if now is None else now) // window_seconds)
    table = connection.ops.quote_name(VerificationThrottle._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client, period, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (client) DO UPDATE SET "
            f"hits = CASE WHEN {table}.period = EXCLUDED.period "
            f"THEN {table}.hits + 1 ELSE 1 END, period = EXCLUDED.period "
            f"RETURNING hits",
            [client[:64], period],
        )
        hits = cursor.fetchone()[0]
        if hits == 1:
            cursor.execute(f"DELETE FROM {table} WHERE period < %s", [period - 1])  # noqa: S608
    return hits <= settings.PAPERS_VERIFY_RATE_LIMIT
