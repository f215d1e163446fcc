"""One behaviour per test of the writes in documents.services, each named after what would
have broken. The flow's stories drive them end to end; these pin each service alone."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import School
from documents.models import Document, DocumentType, Opinion, Review, Stage
from documents.services import (
    document_author_change,
    document_create,
    document_pedagogical_record,
    document_register,
    document_set_stage,
    document_update,
    review_acting_expert_set,
    review_due_date_set,
    review_hand_over,
    review_submit,
    round_open,
    version_freeze,
)
from documents.uploads import validate_document_upload
from tests.conftest import build_world, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The refusals' messages are matched in English (the UI default is Kyrgyz)."""
    with translation.override("en"):
        yield


def a_document(world, title: str = "Өнүгүү программасы", author=None) -> Document:
    upload = pdf_upload()
    return document_create(
        author=author or world.author,
        doc_type=DocumentType.DEVELOPMENT_PROGRAM,
        title=title,
        academic_year=world.year,
        upload=upload,
        upload_info=validate_document_upload(upload),
    )


def at_the_director(world, title: str = "Өнүгүү программасы") -> Document:
    document = a_document(world, title)
    document_set_stage(document=document, stage=Stage.DIRECTOR)
    return document


def an_open_review(world, experts=None) -> Review:
    document = a_document(world)
    version = version_freeze(document=document, actor=world.author)
    expertise_round = round_open(
        document=document,
        version=version,
        experts=experts or [world.expert1],
        due_date=timezone.localdate() + datetime.timedelta(days=5),
        assigned_by=world.chair,
    )
    return expertise_round.reviews.select_related("round").get(expert=world.expert1)


# -- document_update -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_saves_a_draft_when_the_caller_opened_no_transaction():
    # An API endpoint or a script calls it bare; it used to need its caller's transaction
    # for its row lock (TransactionManagementError).
    world = build_world()
    document = a_document(world)
    assert not connection.in_atomic_block
    document_update(
        document=document,
        actor=world.author,
        doc_type=DocumentType.LESSON_PLAN,
        title="Сабактын планы",
        academic_year=world.year,
        methodical_association=None,
        description="",
    )
    document.refresh_from_db()
    assert (document.title, document.doc_type) == ("Сабактын планы", DocumentType.LESSON_PLAN)


# -- document_register: the registry number --------------------------------------------


def test_it_numbers_approvals_of_a_school_and_year_one_after_another(world):
    first, second = at_the_director(world, "Биринчи"), at_the_director(world, "Экинчи")
    document_register(document=first, actor=world.director)
    document_register(document=second, actor=world.director)
    year = world.year.starts_on.year
    assert Document.objects.get(pk=first.pk).registry_number == f"{year}-001"
    assert Document.objects.get(pk=second.pk).registry_number == f"{year}-002"


def test_it_starts_each_schools_registry_at_one(world):
    document_register(document=at_the_director(world), actor=world.director)
    other = a_document(world, "Башка мектеп", author=world.outsider)
    document_set_stage(document=other, stage=Stage.DIRECTOR)
    document_register(document=other, actor=world.outsider)
    assert Document.objects.get(pk=other.pk).registry_number == f"{world.year.starts_on.year}-001"


def test_it_keeps_who_approved_and_in_which_position(world):
    world.director.position = "Директордун милдетин аткаруучу"
    document = at_the_director(world)
    document_register(document=document, actor=world.director)
    document.refresh_from_db()
    assert document.stage == Stage.APPROVED
    assert document.approved_by == world.director
    assert document.approver_position == "Директордун милдетин аткаруучу"
    assert document.approved_at is not None


def test_it_locks_the_schools_row_while_counting(world):
    # The property two simultaneous approvals rely on (tests/flows/test_concurrency.py
    # shows it with two connections); here, that the lock is taken at all.
    document = at_the_director(world)
    with CaptureQueriesContext(connection) as ctx:
        document_register(document=document, actor=world.director)
    school_table = School._meta.db_table
    locks = [
        q["sql"]
        for q in ctx.captured_queries
        if school_table in q["sql"] and "FOR UPDATE" in q["sql"]
    ]
    assert len(locks) == 1


# -- document_pedagogical_record -------------------------------------------------------


def test_it_records_the_pedagogical_council_and_sends_the_document_to_the_director(world):
    document = a_document(world)
    document_set_stage(document=document, stage=Stage.PEDAGOGICAL)
    day = timezone.localdate()
    document_pedagogical_record(
        document=document, actor=world.chair, protocol_number=" 3 ", considered_on=day
    )
    document.refresh_from_db()
    assert (document.stage, document.pedagogical_protocol_number) == (Stage.DIRECTOR, "3")
    assert document.pedagogical_reviewed_on == day


@pytest.mark.parametrize(
    ("number", "days_ago", "message"),
    [
        ("", 0, "protocol number and date"),
        ("3", None, "protocol number and date"),
        ("3", -1, "cannot be in the future"),
    ],
)
def test_it_refuses_a_pedagogical_record_without_a_number_or_with_a_future_date(
    world, number, days_ago, message
):
    document = a_document(world)
    document_set_stage(document=document, stage=Stage.PEDAGOGICAL)
    day = None if days_ago is None else timezone.localdate() - datetime.timedelta(days=days_ago)
    with pytest.raises(ValidationError, match=message):
        document_pedagogical_record(
            document=document, actor=world.chair, protocol_number=number, considered_on=day
        )
    assert Document.objects.get(pk=document.pk).stage == Stage.PEDAGOGICAL


# -- document_author_change ------------------------------------------------------------


def test_it_makes_whoever_takes_over_the_revision_the_author(world):
    document = a_document(world)
    document_author_change(document=document, actor=world.admin, author=world.teacher2)
    assert Document.objects.get(pk=document.pk).author == world.teacher2


# -- reviews ---------------------------------------------------------------------------


def test_it_records_the_substitute_who_acts_for_the_expert(world):
    review = an_open_review(world)
    review_acting_expert_set(review=review, acting_expert=world.teacher2)
    assert Review.objects.get(pk=review.pk).acting_expert == world.teacher2


def test_it_gives_one_expert_a_later_due_date(world):
    review = an_open_review(world)
    later = timezone.localdate() + datetime.timedelta(days=20)
    review_due_date_set(review=review, actor=world.chair, due_date=later)
    review = Review.objects.select_related("round").get(pk=review.pk)
    assert review.effective_due_date == later != review.round.due_date


def test_it_refuses_a_due_date_in_the_past(world):
    review = an_open_review(world)
    with pytest.raises(ValidationError, match="cannot be in the past"):
        review_due_date_set(
            review=review,
            actor=world.chair,
            due_date=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert Review.objects.get(pk=review.pk).due_date is None


def test_it_does_not_extend_a_review_already_given(world):
    review = an_open_review(world)
    review_submit(review=review, opinion=Opinion.APPROVE, comment="", recommendations=[])
    with pytest.raises(ValidationError, match="no longer open"):
        review_due_date_set(
            review=review,
            actor=world.chair,
            due_date=timezone.localdate() + datetime.timedelta(days=20),
        )


def test_it_hands_an_open_review_to_another_expert_keeping_the_old_one_as_replaced(world):
    review = an_open_review(world)
    review_due_date_set(
        review=review,
        actor=world.chair,
        due_date=timezone.localdate() + datetime.timedelta(days=9),
    )
    new = review_hand_over(review=review, actor=world.chair, expert=world.expert2)
    old = Review.objects.get(pk=review.pk)
    assert old.replaced_by == new
    assert (new.round_id, new.expert, new.due_date) == (old.round_id, world.expert2, old.due_date)
    assert new.submitted_at is None


def test_it_does_not_hand_over_a_review_already_given(world):
    review = an_open_review(world)
    review_submit(review=review, opinion=Opinion.APPROVE, comment="", recommendations=[])
    with pytest.raises(ValidationError, match="no longer open"):
        review_hand_over(review=review, actor=world.chair, expert=world.expert2)
    assert Review.objects.filter(round=review.round).count() == 1


def test_it_does_not_give_an_expert_a_second_review_of_the_same_round(world):
    review = an_open_review(world, experts=[world.expert1, world.expert2])
    with pytest.raises(ValidationError, match="already reviews"):
        review_hand_over(review=review, actor=world.chair, expert=world.expert2)
    assert Review.objects.get(pk=review.pk).replaced_by is None
