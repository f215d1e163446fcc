"""Reads for pages, each in a fixed number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User

from .models import Document, DocumentVersion, ExpertiseRound, Recommendation, Review, Stage


def documents_visible_to(user: User) -> QuerySet[Document]:
    """What a person may open. Drafts are their author's alone; a teacher sees their own
    documents, an expert the documents they were asked to review, the head of a
    methodical association its teachers' submitted documents; the chair, secretary,
    director and school administrators every submitted document of the school."""
    if not user.is_authenticated or user.school_id is None:
        return Document.objects.none()
    school_docs = Document.objects.filter(school_id=user.school_id)
    submitted = ~Q(stage=Stage.DRAFT)
    if user.has_perm("documents.view_school_documents"):
        return school_docs.filter(Q(author=user) | submitted)
    reviewed = Document.objects.filter(
        Q(rounds__reviews__expert=user) | Q(rounds__reviews__acting_expert=user)
    ).values("pk")
    return school_docs.filter(
        Q(author=user)
        | (submitted & Q(pk__in=reviewed))
        | (submitted & Q(methodical_association__head=user))
    )


def my_documents(user: User) -> QuerySet[Document]:
    return (
        Document.objects.filter(author=user, school_id=user.school_id)
        .select_related("academic_year", "methodical_association")
        .order_by("-updated_at", "-pk")
    )


def document_reviews_by_round(
    document: Document, *, reviews: QuerySet[Review]
) -> list[ExpertiseRound]:
    """Rounds, newest first, with reviews, experts and recommendations prefetched (4 queries).

    `reviews` says which reviews are attached, and is required so that no caller forgets
    the blind-expertise rule: pass flows.selectors.reviews_visible_to(user, document)
    (or use flows.selectors.rounds_for)."""
    reviews = reviews.select_related("expert", "acting_expert").order_by("expert__last_name", "pk")
    return list(
        ExpertiseRound.objects.filter(document=document)
        .select_related("version", "decided_by")
        .prefetch_related(
            Prefetch("reviews", queryset=reviews),
            Prefetch(
                "reviews__recommendations",
                queryset=Recommendation.objects.select_related("answered_in").order_by("number"),
            ),
        )
        .order_by("-number")
    )


def document_versions(document: Document) -> list[DocumentVersion]:
    return list(document.versions.select_related("submitted_by").order_by("-number"))


def document_events(document: Document) -> QuerySet:
    return document.events.select_related("actor").order_by("created_at", "pk")


def document_timeline(document: Document) -> list:
    """The events, each with `previous_at`: how long the step took is the time since the
    event before it (the timeline shows it)."""
    events = list(document_events(document))
    previous = None
    for event in events:
        event.previous_at = previous
        previous = event.created_at
    return events
