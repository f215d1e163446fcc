"""Writes to documents. Keyword-only, typed; views and flows call these, never the ORM.
Each is atomic by itself (a single statement, or `transaction.atomic`), so a caller needs
no transaction of its own; inside one, it is a savepoint."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AcademicYear, MethodicalAssociation, School, User

from .models import (
    AUTHOR_EDITABLE_STAGES,
    Document,
    DocumentEvent,
    DocumentVersion,
    EventKind,
    ExpertiseRound,
    Recommendation,
    Review,
    Stage,
)
from .signals import document_content_changed, version_frozen
from .uploads import KIND_EXTENSIONS, UploadInfo


def _attach_file(document: Document, upload: UploadedFile, info: UploadInfo) -> None:
    old_name = document.file.name if document.file else ""
    # The stored name is random; the shown name gets the extension of the real type.
    original = (upload.name or "document").rsplit("/", 1)[-1][:200]
    stem = original.rsplit(".", 1)[0] if "." in original else original
    document.file.save("upload", upload, save=False)
    document.file_name = f"{stem}{KIND_EXTENSIONS[info.kind]}"
    document.file_size = info.size
    document.file_kind = info.kind
    document.file_sha256 = info.sha256
    if old_name:
        # A replaced draft file is deleted unless a frozen version still points at it.
        def delete_if_unreferenced() -> None:
            if not DocumentVersion.objects.filter(file=old_name).exists():
                document.file.storage.delete(old_name)

        transaction.on_commit(delete_if_unreferenced)


def content_changed_announce(document: Document) -> None:
    """Tell whoever reads a document's text (search, in reports) that it may have changed:
    they rebuild it in Celery after the commit (documents/signals.py)."""
    document_content_changed.send(sender=Document, document=document)


def content_read(*, document: Document) -> bool:
    """The reader of the content (reports, having built the search text) has read what
    `document` holds: the document is no longer unread, unless it changed meanwhile (a
    save after `document` was loaded set a later mark, and its own build will clear it)."""
    if document.content_unread_since is None:
        return False
    return bool(
        Document.objects.filter(
            pk=document.pk, content_unread_since=document.content_unread_since
        ).update(content_unread_since=None)
    )


def event_record(
    *,
    document: Document,
    actor: User,
    kind: str,
    version_number: int | None = None,
    round_number: int | None = None,
    note: str = "",
) -> DocumentEvent:
    return DocumentEvent.objects.create(
        document=document,
        actor=actor,
        kind=kind,
        version_number=version_number,
        round_number=round_number,
        note=note,
    )


@transaction.atomic
def document_create(
    *,
    author: User,
    doc_type: str,
    title: str,
    academic_year: AcademicYear,
    methodical_association: MethodicalAssociation | None = None,
    description: str = "",
    upload: UploadedFile | None = None,
    upload_info: UploadInfo | None = None,
) -> Document:
    if author.school_id is None:
        raise ValidationError(_("Only a person of a school can create documents."))
    if methodical_association is not None and methodical_association.school_id != author.school_id:
        raise ValidationError(_("The methodical association belongs to another school."))
    document = Document(
        school_id=author.school_id,
        author=author,
        doc_type=doc_type,
        title=title,
        academic_year=academic_year,
        methodical_association=methodical_association,
        description=description,
    )
    if upload is not None and upload_info is not None:
        _attach_file(document, upload, upload_info)
    try:
        document.save()
        event_record(document=document, actor=author, kind=EventKind.CREATED)
    except BaseException:
        # The file is in storage already; a rolled-back row must not leave it behind.
        if document.file:
            document.file.storage.delete(document.file.name)
        raise
    content_changed_announce(document)
    return document


@transaction.atomic
def document_update(
    *,
    document: Document,
    actor: User,
    doc_type: str,
    title: str,
    academic_year: AcademicYear,
    methodical_association: MethodicalAssociation | None,
    description: str,
    upload: UploadedFile | None = None,
    upload_info: UploadInfo | None = None,
) -> Document:
    """Save the author's working copy. Frozen versions are untouched. Atomic by itself
    (the row lock below needs a transaction), so any caller may use it."""
    # Re-read under a row lock: a submit that committed meanwhile must not be undone by a
    # save built from the page the author loaded before it.
    locked = Document.objects.select_for_update().get(pk=document.pk)
    document.stage, document.version_count = locked.stage, locked.version_count
    if document.author_id != actor.pk or document.stage not in AUTHOR_EDITABLE_STAGES:
        raise ValidationError(_("This document cannot be edited now."))
    if (
        methodical_association is not None
        and methodical_association.school_id != document.school_id
    ):
        raise ValidationError(_("The methodical association belongs to another school."))
    if locked.version_count and academic_year.pk != locked.academic_year_id:
        # The year decides whose council examines it; a running expertise stays in its year.
        raise ValidationError(_("The academic year cannot change after the first submission."))
    document.doc_type = doc_type
    document.title = title
    document.academic_year = academic_year
    document.methodical_association = methodical_association
    document.description = description
    if upload is not None and upload_info is not None:
        _attach_file(document, upload, upload_info)
    document.save(
        update_fields=[
            "doc_type",
            "title",
            "academic_year",
            "methodical_association",
            "description",
            "file",
            "file_name",
            "file_size",
            "file_kind",
            "file_sha256",
            "updated_at",
        ]
    )
    content_changed_announce(document)
    return document


@transaction.atomic
def version_freeze(*, document: Document, actor: User) -> DocumentVersion:
    """Freeze the working copy as the next numbered version (called under the flow lock)."""
    if not document.file:
        raise ValidationError(_("Attach the document's file before submitting it."))
    document.version_count += 1
    version = DocumentVersion(
        document=document,
        number=document.version_count,
        title=document.title,
        description=document.description,
        file=document.file.name,
        file_name=document.file_name,
        file_size=document.file_size,
        file_kind=document.file_kind,
        # Hashed when the upload was checked: no re-reading of the file under the lock.
        sha256=document.file_sha256,
        submitted_by=actor,
    )
    version.save(force_insert=True)
    document.save(update_fields=["version_count", "updated_at"])
    # Whoever compares versions reads its paragraphs in Celery after the commit.
    version_frozen.send(sender=DocumentVersion, version=version)
    return version


def document_set_stage(*, document: Document, stage: str) -> None:
    document.stage = stage
    document.save(update_fields=["stage", "updated_at"])


@transaction.atomic
def document_author_change(*, document: Document, actor: User, author: User) -> Document:
    """Whoever takes over a revision becomes the document's author (`actor` hands it over;
    who may do so is the caller's check)."""
    document.author = author
    document.save(update_fields=["author", "updated_at"])
    return document


@transaction.atomic
def document_pedagogical_record(
    *,
    document: Document,
    actor: User,
    protocol_number: str,
    considered_on: datetime.date | None,
) -> Document:
    """The pedagogical council considered the document ("Каралды"): its protocol number and
    date; the document goes to the director."""
    if not protocol_number.strip() or considered_on is None:
        raise ValidationError(_("Enter the pedagogical council's protocol number and date."))
    if considered_on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    document.pedagogical_protocol_number = protocol_number.strip()
    document.pedagogical_reviewed_on = considered_on
    document.stage = Stage.DIRECTOR
    document.save(
        update_fields=[
            "pedagogical_protocol_number",
            "pedagogical_reviewed_on",
            "stage",
            "updated_at",
        ]
    )
    return document


def registry_number_next(*, school_id: int, academic_year: AcademicYear) -> str:
    """The next number of the school's registry for the year, `YYYY-NNN`. Only meaningful
    under the school's row lock (document_register)."""
    count = Document.objects.filter(
        school_id=school_id, academic_year=academic_year, stage=Stage.APPROVED
    ).count()
    return f"{academic_year.starts_on.year}-{count + 1:03d}"


@transaction.atomic
def document_register(*, document: Document, actor: User) -> Document:
    """The director's "Бекитем": the document is approved and gets the next registry number
    of its school and year. Two approvals at the same moment are serialized on the school's
    row, so each counts the other's and they never share a number."""
    School.objects.select_for_update().only("pk").get(pk=document.school_id)
    document.registry_number = registry_number_next(
        school_id=document.school_id, academic_year=document.academic_year
    )
    document.approved_by = actor
    document.approver_position = actor.position
    document.approved_at = timezone.now()
    document.stage = Stage.APPROVED
    document.save(
        update_fields=[
            "registry_number",
            "approved_by",
            "approver_position",
            "approved_at",
            "stage",
            "updated_at",
        ]
    )
    return document


# No savepoint of its own inside a caller's transaction (a transition: one fewer
# round trip each way); an error still undoes the caller's whole step.
@transaction.atomic(savepoint=False)
def round_open(
    *,
    document: Document,
    version: DocumentVersion,
    experts: Sequence[User],
    due_date: datetime.date,
    assigned_by: User,
) -> ExpertiseRound:
    number = (document.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    expertise_round = ExpertiseRound.objects.create(
        document=document,
        number=number,
        version=version,
        due_date=due_date,
        assigned_by=assigned_by,
    )
    # The new reviews ride along (`new_reviews`), each knowing its round: the flow arms
    # their reminders and tells their experts within the same step without reading them.
    expertise_round.new_reviews = Review.objects.bulk_create(
        [Review(round=expertise_round, expert=e) for e in experts]
    )
    return expertise_round


@dataclass(frozen=True)
class RecommendationAnswer:
    recommendation: Recommendation
    answer: str
    reason: str


@transaction.atomic
def review_acting_expert_set(*, review: Review, acting_expert: User) -> Review:
    """A substitute acts for the expert: they may open the document they review
    (documents_visible_to), and the review says who gave the opinion."""
    review.acting_expert = acting_expert
    review.save(update_fields=["acting_expert"])
    return review


@transaction.atomic
def review_due_date_set(*, review: Review, actor: User, due_date: datetime.date) -> Review:
    """One expert gets more (or less) time than the round's due date."""
    if due_date < timezone.localdate():
        raise ValidationError(_("The due date cannot be in the past."))
    if review.submitted_at is not None or review.replaced_by_id is not None:
        raise ValidationError(_("This review is no longer open."))
    review.due_date = due_date
    review.save(update_fields=["due_date"])
    return review


@transaction.atomic
def review_hand_over(*, review: Review, actor: User, expert: User) -> Review:
    """An open review goes to another expert: a new review of the same round and due date;
    the old one stays in the record as replaced by it."""
    if review.submitted_at is not None or review.replaced_by_id is not None:
        raise ValidationError(_("This review is no longer open."))
    if review.round.reviews.filter(expert=expert).exists():
        raise ValidationError(_("This member already reviews the document in this round."))
    new = Review.objects.create(round=review.round, expert=expert, due_date=review.due_date)
    review.replaced_by = new
    review.save(update_fields=["replaced_by"])
    return new


# No savepoint of its own inside a caller's transaction (a transition: one fewer
# round trip each way); an error still undoes the caller's whole step.
@transaction.atomic(savepoint=False)
def review_submit(
    *, review: Review, opinion: str, comment: str, recommendations: Iterable[str]
) -> Review:
    if review.submitted_at is not None:
        raise ValidationError(_("This review has already been submitted."))
    review.opinion = opinion
    review.comment = comment
    review.submitted_at = timezone.now()
    review.save(update_fields=["opinion", "comment", "submitted_at"])
    texts = [t.strip() for t in recommendations if t and t.strip()]
    Recommendation.objects.bulk_create(
        [Recommendation(review=review, number=n, text=t) for n, t in enumerate(texts, 1)]
    )
    return review


def round_decide(
    *, expertise_round: ExpertiseRound, decision: str, reason: str, decided_by: User
) -> ExpertiseRound:
    if expertise_round.decision:
        raise ValidationError(_("This round has already been decided."))
    expertise_round.decision = decision
    expertise_round.decision_reason = reason
    expertise_round.decided_by = decided_by
    expertise_round.decided_at = timezone.now()
    expertise_round.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    return expertise_round


@transaction.atomic
def recommendations_answer(
    *, answers: Sequence[RecommendationAnswer], version: DocumentVersion | None
) -> None:
    """Store the author's answers; `version` is set when the revision is submitted."""
    now = timezone.now()
    for item in answers:
        rec = item.recommendation
        rec.answer = item.answer
        rec.answer_reason = item.reason if item.answer == Recommendation.Answer.DECLINED else ""
        rec.answered_in = version
        rec.answered_at = now if version is not None else None
        rec.save(update_fields=["answer", "answer_reason", "answered_in", "answered_at"])
