"""Comparing two versions of a document: paragraphs of .docx/.odt, lines of .pdf, changed
words marked, everything escaped, the recommendations and answers beside it, for the
people who may open the versions."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from documents.models import Document, DocumentVersion, Recommendation
from documents.samples import sample_docx, sample_odt, sample_pdf_lines
from reports.compare import compare_paragraphs, words_diff
from reports.models import VersionText, VersionTextOwed
from reports.tasks import (
    document_text_build,
    document_text_sweep,
    version_text_build,
    versions_to_extract,
)
from tests.helpers import document_fields, review_post, the_task

pytestmark = pytest.mark.django_db

V1 = (
    "Мектептин өнүгүү программасы\nМаксат: окуучулардын билимин жогорулатуу.\nБөлүм 3: көрсөткүчтөр"
)
V2 = (
    "Мектептин өнүгүү программасы\n"
    "Максат: окуучулардын функционалдык сабаттуулугун жогорулатуу.\n"
    "Бөлүм 3: көрсөткүчтөр\n"
    "Бөлүм 4: мониторинг жана баалоо"
)
MAKERS = {
    "docx": (sample_docx, "plan.docx"),
    "odt": (sample_odt, "plan.odt"),
    "pdf": (sample_pdf_lines, "plan.pdf"),
}


def upload(kind: str, text: str) -> SimpleUploadedFile:
    make, name = MAKERS[kind]
    return SimpleUploadedFile(name, make(text))


def submit_new(world, kind: str, text: str) -> Document:
    response = world.client(world.author).post(
        reverse("documents:create"),
        {**document_fields(world), "upload": upload(kind, text), "submit": "1"},
    )
    assert response.status_code == 302
    return Document.objects.get(author=world.author)


def return_and_resubmit(world, document, kind: str, text: str) -> None:
    """The chair returns it for formal fixes; the author submits a new file: version 2."""
    screen = the_task(world.chair, "screen")
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]), {"action": "return", "reason": "Оңдоңуз"}
    )
    fix = the_task(world.author, "fix")
    response = world.client(world.author).post(
        reverse("flows:task", args=[fix.pk]),
        {**document_fields(world), "upload": upload(kind, text), "submit": "1"},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.version_count == 2


def extract_all() -> None:
    for version in DocumentVersion.objects.all():
        version_text_build(version.pk)


def compare(client, document, **params):
    return client.get(reverse("documents:compare", args=[document.pk]), params)


def test_words_are_marked_inside_a_changed_paragraph():
    html = words_diff("окуучулардын билимин жогорулатуу", "окуучулардын сабаттуулугун жогорулатуу")
    assert html == ("окуучулардын <del>билимин</del><ins>сабаттуулугун</ins> жогорулатуу")


def test_neighbouring_changed_words_read_as_one_change():
    html = words_diff("отурумдары жылына эки жолу", "отурумдары ар бир чейректе жолу")
    assert html == "отурумдары <del>жылына эки</del><ins>ар бир чейректе</ins> жолу"


def test_paragraphs_are_kept_inserted_removed_or_changed():
    result = compare_paragraphs(["A a", "B b", "C c"], ["A a", "B x", "D d", "C c"])
    kinds = [item.kind for item in result.items]
    assert kinds == ["same", "changed", "inserted", "same"]
    assert (result.changed, result.inserted, result.deleted) == (1, 1, 0)


def test_long_unchanged_runs_fold_away():
    old = [f"Пункт {n}" for n in range(30)]
    new = [*old[:15], "Жаңы пункт", *old[15:]]
    result = compare_paragraphs(old, new)
    assert [item.kind for item in result.items] == ["fold", "same", "inserted", "same", "fold"]
    assert sum(len(i.rows) for i in result.items if i.kind == "fold") == 28


def test_markup_in_a_document_is_escaped():
    result = compare_paragraphs(["Салам"], ["Салам <script>alert(1)</script>"])
    html = "".join(str(item.html) for item in result.items)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("kind", ["docx", "odt", "pdf"])
def test_two_versions_of_each_format_are_compared(world, kind):
    document = submit_new(world, kind, V1)
    return_and_resubmit(world, document, kind, V2)
    extract_all()
    response = compare(world.client(world.chair), document)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<del>билимин</del>" in html
    assert "<ins>функционалдык сабаттуулугун</ins>" in html
    assert "<ins>Бөлүм 4: мониторинг жана баалоо</ins>" in html
    pair = response.context["pair"]
    assert (pair.old.number, pair.new.number) == (1, 2)
    assert (pair.comparison.changed, pair.comparison.inserted, pair.comparison.deleted) == (
        1,
        1,
        0,
    )


def test_a_docx_and_a_pdf_version_compare_by_their_text(world):
    document = submit_new(world, "docx", V1)
    return_and_resubmit(world, document, "pdf", V2)
    extract_all()
    html = compare(world.client(world.author), document).content.decode()
    assert "<ins>Бөлүм 4: мониторинг жана баалоо</ins>" in html


def test_a_script_in_a_document_is_shown_as_text(world):
    document = submit_new(world, "docx", "Биринчи")
    return_and_resubmit(world, document, "docx", 'Биринчи <script>alert("x")</script>')
    extract_all()
    html = compare(world.client(world.chair), document).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_recommendations_and_answers_stand_beside_the_changes(world):
    document = submit_new(world, "docx", V1)
    screen = the_task(world.chair, "screen")
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [world.expert1.pk, world.expert2.pk], "due_date": due},
    )
    for expert, rec in ((world.expert1, "Максатты тактоо"), (world.expert2, "Мониторинг кошуу")):
        task = the_task(expert, "review")
        world.client(expert).post(
            reverse("flows:task", args=[task.pk]), review_post("revise", [rec])
        )
    decide = the_task(world.chair, "decide")
    world.client(world.chair).post(
        reverse("flows:task", args=[decide.pk]), {"decision": "revise", "reason": "Оңдоңуз"}
    )
    recs = list(Recommendation.objects.order_by("review__expert__username"))
    revise = the_task(world.author, "revise")
    world.client(world.author).post(
        reverse("flows:task", args=[revise.pk]),
        {
            **document_fields(world),
            "upload": upload("docx", V2),
            f"rec-{recs[0].pk}-answer": "accepted",
            f"rec-{recs[1].pk}-answer": "declined",
            f"rec-{recs[1].pk}-reason": "Мониторинг 4-бөлүмдө",
            "submit": "1",
        },
    )
    screen = the_task(world.chair, "screen")
    world.client(world.chair).post(
        reverse("flows:task", args=[screen.pk]),
        {"action": "accept", "experts": [world.expert1.pk, world.expert2.pk], "due_date": due},
    )
    extract_all()

    # Round two: the expert's task links to what changed since round one.
    task = the_task(world.expert1, "review")
    page = world.client(world.expert1).get(reverse("flows:task", args=[task.pk]))
    link = reverse("documents:compare", args=[document.pk]) + "?old=1&amp;new=2"
    assert link in page.content.decode()
    response = compare(world.client(world.expert1), document, old=1, new=2)
    html = response.content.decode()
    assert "Максатты тактоо" in html and "Мониторинг кошуу" in html
    assert "Мониторинг 4-бөлүмдө" in html  # the author's reason for declining
    assert len(response.context["pair"].recommendations) == 2
    # The document page links to the comparison.
    detail = world.client(world.expert1).get(reverse("documents:detail", args=[document.pk]))
    assert 'data-testid="compare-versions"' in detail.content.decode()
    assert link in detail.content.decode()  # "what changed" beside version 2


def test_only_people_who_may_open_the_versions_compare_them(world):
    document = submit_new(world, "docx", V1)
    return_and_resubmit(world, document, "docx", V2)
    extract_all()
    for user in (world.outsider, world.teacher2, world.expert1):  # expert1 not assigned
        assert compare(world.client(user), document).status_code == 404
    for user in (world.author, world.chair, world.director, world.admin):
        assert compare(world.client(user), document).status_code == 200


def test_garbage_parameters_fall_back_to_the_last_two_versions(world):
    document = submit_new(world, "docx", V1)
    return_and_resubmit(world, document, "docx", V2)
    extract_all()
    client = world.client(world.chair)
    for params in ({"old": "x", "new": "-1"}, {"old": "99", "new": "2"}, {"old": "2", "new": "2"}):
        response = compare(client, document, **params)
        assert response.status_code == 200
        assert (response.context["pair"].old.number, response.context["pair"].new.number) == (1, 2)
    response = compare(client, document, old="2", new="1")
    assert (response.context["pair"].old.number, response.context["pair"].new.number) == (1, 2)


def test_a_single_version_has_nothing_to_compare(world):
    document = submit_new(world, "docx", V1)
    response = compare(world.client(world.chair), document)
    assert response.status_code == 302


def test_a_version_text_not_read_yet_is_asked_for_again(world):
    document = submit_new(world, "docx", V1)
    return_and_resubmit(world, document, "docx", V2)
    with mock.patch("common.broker.enqueue_on_commit") as enqueue:
        response = compare(world.client(world.chair), document)
    assert 'data-testid="compare-waiting"' in response.content.decode()
    assert enqueue.call_count == 2
    extract_all()
    assert 'data-testid="compare-waiting"' not in (
        compare(world.client(world.chair), document).content.decode()
    )


def test_a_submission_enqueues_the_text_and_the_sweep_finds_what_was_lost(
    world, django_capture_on_commit_callbacks
):
    with (
        mock.patch("project.celery.app.send_task") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        document = submit_new(world, "docx", V1)
    version = document.versions.get()
    assert mock.call("reports.tasks.version_text_build", args=[version.pk]) in send.mock_calls
    assert list(versions_to_extract()) == [version]
    # The debt is a row of its own, written with the submission: found whatever its age.
    assert VersionTextOwed.objects.filter(version=version).exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=30)):
        assert list(versions_to_extract()) == [version]
    with mock.patch("reports.tasks.enqueue_on_commit") as enqueue:
        document_text_sweep()
    enqueue.assert_any_call("reports.tasks.version_text_build", version.pk)
    assert version_text_build(version.pk) is True
    assert version_text_build(version.pk) is False  # once per version
    assert VersionText.objects.get(version=version).paragraphs[0] == "Мектептин өнүгүү программасы"
    assert list(versions_to_extract()) == []
    assert not VersionTextOwed.objects.exists()


def test_the_version_text_sweep_reads_only_what_is_owed(world, django_assert_num_queries):
    """Not the week's versions in the country: the owed rows (none when all is built)."""
    document = submit_new(world, "docx", V1)
    return_and_resubmit(world, document, "docx", V2)
    owed = sorted(document.versions.values_list("pk", flat=True))
    assert sorted(versions_to_extract().values_list("pk", flat=True)) == owed
    extract_all()
    document_text_build(document.pk)
    assert list(versions_to_extract()) == []
    with (
        mock.patch("reports.tasks.enqueue_on_commit") as enqueue,
        django_assert_num_queries(2),  # documents unread, versions owed
    ):
        assert document_text_sweep() == 0
    enqueue.assert_not_called()


def test_the_comparison_reads_a_fixed_number_of_queries(world, django_assert_num_queries):
    document = submit_new(world, "docx", V1)
    return_and_resubmit(world, document, "docx", V2)
    extract_all()
    client = world.client(world.chair)
    client.get(reverse("documents:compare", args=[document.pk]))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        compare(client, document)
    long_text = "\n".join(f"Пункт {n}: өзгөрүү" for n in range(300))
    version = DocumentVersion.objects.get(document=document, number=2)
    VersionText.objects.filter(version=version).update(paragraphs=long_text.split("\n"))
    with CaptureQueriesContext(connection) as big:
        compare(client, document)
    assert len(big) == len(small) <= 16


def test_side_by_side_shows_each_version_in_its_own_column(world):
    document = submit_new(world, "odt", V1)
    return_and_resubmit(world, document, "odt", V2 + "\n<script>alert(1)</script>")
    extract_all()
    response = compare(world.client(world.chair), document, view="side")
    html = response.content.decode()
    assert response.context["side"]
    changed = html.split('data-testid="diff-changed"')[1].split("</div>")[0]
    left, right = changed.split("</p>")[:2]
    assert "<del>билимин</del>" in left and "<ins>" not in left
    assert "<ins>функционалдык сабаттуулугун</ins>" in right and "<del>" not in right
    assert "<script>" not in html.split('data-testid="diff"')[1]
    assert "&lt;script&gt;" in html


def test_a_version_without_text_says_so(world):
    document = submit_new(world, "docx", V1)
    return_and_resubmit(world, document, "docx", V2)
    extract_all()
    VersionText.objects.filter(version__number=2).update(paragraphs=[])  # a scanned image
    html = compare(world.client(world.chair), document).content.decode()
    assert 'data-testid="compare-textless"' in html
