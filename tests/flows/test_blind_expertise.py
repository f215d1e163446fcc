"""Blind expertise within a round: until an expert has given their opinion of a round, no
other opinion, comment or recommendation of that round reaches them, on any page, in
search, notifications or exports; earlier rounds stay visible; the chair sees everything,
the author and everyone else a round once the chair has decided on it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Absence
from documents.models import Review
from flows.selectors import reviews_visible_to
from notifications.models import Notification
from tests.helpers import create_and_submit, review_post, the_task

pytestmark = pytest.mark.django_db

SECRET_COMMENT = "Биринчи эксперттин жашыруун пикири"
SECRET_REC = "Максаттарды өлчөнүүчү кылып жазуу"
ROUND2_COMMENT = "Экинчи айлампадагы пикир"


def assign(world, document, experts):
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [e.pk for e in experts], "due_date": due},
    )
    assert response.status_code == 302


def give_review(world, expert, opinion="revise", recs=(SECRET_REC,), comment=SECRET_COMMENT):
    task = the_task(expert, "review")
    response = world.client(expert).post(
        reverse("flows:task", args=[task.pk]), review_post(opinion, list(recs), comment=comment)
    )
    assert response.status_code == 302, response.content.decode()


def detail(world, user, document) -> str:
    response = world.client(user).get(reverse("documents:detail", args=[document.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def round_one(world):
    """Round 1 with expert1 and expert2; expert1 has given their opinion, expert2 not."""
    document = create_and_submit(world)
    assign(world, document, [world.expert1, world.expert2])
    give_review(world, world.expert1)
    return document


def test_an_expert_sees_no_other_opinion_of_the_round_before_giving_theirs(world, round_one):
    document = round_one
    task = the_task(world.expert2, "review")
    page = world.client(world.expert2).get(reverse("flows:task", args=[task.pk]))
    html = page.content.decode()
    assert SECRET_COMMENT not in html and SECRET_REC not in html
    assert "Expertise of earlier rounds" not in html  # round 1 has no earlier round

    html = detail(world, world.expert2, document)
    assert SECRET_COMMENT not in html and SECRET_REC not in html
    assert 'data-testid="round-hidden"' in html
    assert "once you have given yours" in html
    # The timeline says that expert1 reviewed, not what they thought.
    assert "Revise" not in html.split('data-testid="timeline"')[1]


def test_after_giving_their_opinion_the_expert_sees_the_round(world, round_one):
    give_review(world, world.expert2, opinion="approve", recs=(), comment="Макул")
    html = detail(world, world.expert2, round_one)
    assert SECRET_COMMENT in html and SECRET_REC in html
    assert 'data-testid="round-hidden"' not in html


def test_the_chair_sees_every_opinion_at_once(world, round_one):
    html = detail(world, world.chair, round_one)
    assert SECRET_COMMENT in html and SECRET_REC in html
    assert set(reviews_visible_to(world.chair, round_one)) == set(
        Review.objects.filter(round__document=round_one)
    )


@pytest.mark.parametrize("persona", ["author", "director", "secretary", "admin", "expert3"])
def test_others_see_a_round_only_after_the_chairs_decision(world, round_one, persona):
    user = getattr(world, persona)
    assert not reviews_visible_to(user, round_one).exists()
    if persona != "expert3":  # expert3 is not an expert of this document: 404 anyway
        html = detail(world, user, round_one)
        assert SECRET_COMMENT not in html
        assert "after the chair's decision" in html

    give_review(world, world.expert2, opinion="approve", recs=(), comment="Макул")
    decide = the_task(world.chair, "decide")
    world.client(world.chair).post(
        reverse("flows:task", args=[decide.pk]), {"decision": "revise", "reason": "Оңдоңуз"}
    )
    if persona == "expert3":
        assert reviews_visible_to(user, round_one).count() == 0  # cannot open the document
    else:
        assert reviews_visible_to(user, round_one).count() == 2
        assert SECRET_COMMENT in detail(world, user, round_one)


def test_an_outsider_sees_no_review_through_the_policy(world, round_one):
    assert not reviews_visible_to(world.outsider, round_one).exists()


def test_earlier_rounds_stay_visible_under_their_own_heading(world, round_one):
    document = round_one
    give_review(world, world.expert2, opinion="approve", recs=(), comment="Макул")
    decide = the_task(world.chair, "decide")
    world.client(world.chair).post(
        reverse("flows:task", args=[decide.pk]), {"decision": "revise", "reason": "Оңдоңуз"}
    )
    revise = the_task(world.author, "revise")
    rec = Review.objects.get(expert=world.expert1).recommendations.get()
    from tests.helpers import document_fields

    world.client(world.author).post(
        reverse("flows:task", args=[revise.pk]),
        {**document_fields(world), f"rec-{rec.pk}-answer": "accepted", "submit": "1"},
    )
    assign(world, document, [world.expert1, world.expert2])
    give_review(world, world.expert1, opinion="approve", recs=(), comment=ROUND2_COMMENT)

    task = the_task(world.expert2, "review")
    html = world.client(world.expert2).get(reverse("flows:task", args=[task.pk])).content.decode()
    assert "Expertise of earlier rounds" in html
    assert SECRET_COMMENT in html and SECRET_REC in html  # round 1
    assert ROUND2_COMMENT not in html  # round 2, not yet theirs to see
    assert "Earlier expertise" not in html

    html = detail(world, world.expert2, document)
    assert SECRET_COMMENT in html and ROUND2_COMMENT not in html


def test_the_heading_of_earlier_rounds_is_translated():
    from django.utils import translation

    with translation.override("ky"):
        assert translation.gettext("Expertise of earlier rounds") == (
            "Мурунку турлардын экспертизасы"
        )
    with translation.override("ru"):
        assert translation.gettext("Expertise of earlier rounds") == ("Экспертиза предыдущих туров")


def test_a_substitute_deciding_for_the_chair_sees_every_opinion(world):
    today = timezone.localdate()
    document = create_and_submit(world)
    assign(world, document, [world.expert1, world.expert2])
    give_review(world, world.expert1)
    assert not reviews_visible_to(world.director, document).exists()
    Absence.objects.create(
        user=world.chair, substitute=world.director, starts_on=today, ends_on=today
    )
    give_review(world, world.expert2, opinion="approve", recs=(), comment="Макул")
    decide = the_task(world.director, "decide")
    page = world.client(world.director).get(reverse("flows:task", args=[decide.pk]))
    assert SECRET_COMMENT in page.content.decode()


def test_search_and_its_exports_do_not_carry_opinions(world, round_one):
    from reports.tasks import document_text_build

    document_text_build(round_one.pk)
    client = world.client(world.expert2)
    for query in (SECRET_COMMENT, SECRET_REC):
        page = client.get(reverse("reports:search"), {"q": query})
        assert page.context["page"].paginator.count == 0
        export = client.get(reverse("reports:search"), {"q": query, "export": "csv"})
        assert SECRET_COMMENT not in export.content.decode()
    # The document itself is found (by its title), and its export has no opinion either.
    export = client.get(reverse("reports:search"), {"q": "өнүгүү", "export": "csv"})
    body = export.content.decode()
    assert round_one.title in body and SECRET_COMMENT not in body and SECRET_REC not in body
    chair_export = world.client(world.chair).get(reverse("documents:school"), {"export": "xlsx"})
    assert chair_export.status_code == 200


def test_notifications_carry_no_other_experts_opinion(world, round_one):
    for notification in Notification.objects.filter(recipient=world.expert2):
        text = str(notification.params)
        assert SECRET_COMMENT not in text and SECRET_REC not in text
    assert Notification.objects.filter(recipient=world.expert2).exists()


def test_the_document_page_reads_the_rule_in_a_fixed_number_of_queries(
    world, round_one, django_assert_max_num_queries
):
    client = world.client(world.expert2)
    client.get(reverse("documents:detail", args=[round_one.pk]))
    with django_assert_max_num_queries(40) as captured:
        client.get(reverse("documents:detail", args=[round_one.pk]))
    few = len(captured)
    give_review(world, world.expert2, opinion="approve", recs=(), comment="Макул")
    with django_assert_max_num_queries(few + 1):
        client.get(reverse("documents:detail", args=[round_one.pk]))
