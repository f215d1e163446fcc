"""Search over titles, descriptions and file text, in Kyrgyz and Russian, case-folded,
within what the user may see; the text is extracted after commit by a Celery task."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.samples import sample_docx, sample_odt
from documents.services import document_create
from documents.uploads import validate_document_upload
from reports.extraction import extract_text, fold
from reports.models import DocumentText
from reports.tasks import document_text_build, document_text_sweep, documents_to_index

pytestmark = pytest.mark.django_db


def cyrillic_pdf(text: str) -> bytes:
    from fpdf import FPDF

    from documents.pdf import FONT_DIR

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", FONT_DIR / "DejaVuSans.ttf")
    pdf.set_font("DejaVu", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_text_is_extracted_from_docx_odt_and_pdf():
    assert "Өнүгүү программасы" in extract_text(
        io.BytesIO(sample_docx("Өнүгүү программасы")), "docx"
    )
    assert "Сабактын планы" in extract_text(io.BytesIO(sample_odt("Сабактын планы ң ө ү")), "odt")
    pdf = extract_text(io.BytesIO(cyrillic_pdf("Программа развития школы")), "pdf")
    assert "Программа развития" in pdf
    # A damaged file gives no text, never an error.
    assert extract_text(io.BytesIO(b"PK\x03\x04 broken"), "docx") == ""


def test_fold_handles_kyrgyz_letters():
    assert fold("  ӨНҮГҮҮ   Программасы ҢӨҮ ") == "өнүгүү программасы ңөү"


def create(world, title: str, data: bytes, name: str, author=None, description: str = ""):
    upload = SimpleUploadedFile(name, data)
    document = document_create(
        author=author or world.author,
        doc_type="development_program",
        title=title,
        academic_year=world.year,
        methodical_association=None,
        description=description,
        upload=upload,
        upload_info=validate_document_upload(upload),
    )
    return document


def test_saving_a_document_enqueues_its_text_after_commit(
    world, django_capture_on_commit_callbacks
):
    from unittest import mock

    with (
        mock.patch("project.celery.app.send_task") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        document = create(world, "План", sample_docx("текст"), "plan.docx")
    send.assert_called_with("reports.tasks.document_text_build", args=[document.pk])


def test_the_sweep_finds_documents_never_indexed(world):
    from unittest import mock

    document = create(world, "План", sample_docx("текст"), "plan.docx")
    assert list(documents_to_index()) == [document]
    with mock.patch("reports.tasks.enqueue_on_commit") as enqueue:
        assert document_text_sweep() == 1
    enqueue.assert_called_once_with("reports.tasks.document_text_build", document.pk)
    document_text_build(document.pk)
    assert list(documents_to_index()) == []
    # A later save (new title) makes it stale again.
    document.title = "Жаңы аталыш"
    document.save()
    assert list(documents_to_index()) == [document]


def test_the_sweep_finds_a_document_whose_build_was_lost_and_then_nothing(world):
    """The build of a saved document never reached the worker (a broker outage): the
    sweep finds it, enqueues its build, and once built finds nothing more."""
    from unittest import mock

    built = create(world, "Бүткөн", sample_docx("текст"), "done.docx")
    document_text_build(built.pk)
    with mock.patch("reports.receivers.enqueue_on_commit"):  # the build is lost
        lost = create(world, "Жоголгон", sample_docx("окуу планы"), "lost.docx")
    assert list(documents_to_index()) == [lost]
    with mock.patch("reports.tasks.enqueue_on_commit") as enqueue:
        assert document_text_sweep() == 1
    enqueue.assert_called_once_with("reports.tasks.document_text_build", lost.pk)
    assert document_text_build(lost.pk) is True  # what the worker does with it
    assert DocumentText.objects.get(document=lost).search_text.startswith("жоголгон")
    assert list(documents_to_index()) == []
    with mock.patch("reports.tasks.enqueue_on_commit") as enqueue:
        assert document_text_sweep() == 0
    enqueue.assert_not_called()


def test_a_save_during_the_build_keeps_the_document_unread(world):
    """The build read the document, then the author saved a new title before the build
    finished: the build must not mark the new title as read, or search would keep the old
    one until the next save."""
    from documents.models import Document
    from documents.services import content_read

    document = create(world, "Биринчи", sample_docx("текст"), "plan.docx")
    seen_by_the_build = Document.objects.get(pk=document.pk)
    document.title = "Экинчи"
    document.save(update_fields=["title", "updated_at"])
    assert content_read(document=seen_by_the_build) is False
    assert list(documents_to_index()) == [document]
    assert content_read(document=Document.objects.get(pk=document.pk)) is True
    assert list(documents_to_index()) == []


def test_a_stage_change_leaves_the_content_read(world):
    from documents.models import Stage
    from documents.services import document_set_stage

    document = create(world, "План", sample_docx("текст"), "plan.docx")
    document_text_build(document.pk)
    document_set_stage(document=document, stage=Stage.SCREENING)
    assert list(documents_to_index()) == []


def test_the_sweep_query_is_served_by_the_partial_index(world):
    """On PostgreSQL the sweep's query can use the partial index of unread documents
    (doc_content_unread): with sequential scans priced out, the plan names it."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    create(world, "План", sample_docx("текст"), "plan.docx")
    sql, params = documents_to_index().values("pk")[:200].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "doc_content_unread" in plan, plan


def test_search_narrows_to_the_school_inside_the_index(world):
    """The school id reaches PostgreSQL as a bigint, so the (school_id, search_text) GIN
    index takes both conditions; as a plain integer literal the school could only be
    filtered after matching the word across the country."""
    from django.db import connection, transaction

    from reports.selectors import Filters, search_documents

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    qs = search_documents(world.chair, query="ксилофон", filters=Filters())
    sql, params = qs.values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # Priced as at national scale, where only the GIN index can narrow the texts.
        for path in ("seqscan", "indexscan", "nestloop"):
            cursor.execute(f"SET LOCAL enable_{path} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("school_id" in line and "search_text" in line for line in conditions), plan


def search(client, q: str, **params):
    response = client.get(reverse("reports:search"), {"q": q, **params})
    assert response.status_code == 200
    page = response.context["page"]
    return [d.title for d in page.object_list] if page else []


def test_kyrgyz_and_russian_search_finds_title_and_file_text(world):
    from tests.helpers import create_and_submit

    plan = create(
        world,
        "Өнүгүү программасы",
        sample_docx("Мектептин стратегиялык максаттары\nИНКЛЮЗИВДҮҮ билим берүү"),
        "plan.docx",
    )
    russian = create(
        world,
        "Программа развития",
        cyrillic_pdf("Повышение качества образования"),
        "ru.pdf",
        description="Проект на 2026–2030 годы",
    )
    lesson = create(world, "Сабактын планы", sample_odt("Көңүл буруу"), "lesson.odt")
    for document in (plan, russian, lesson):
        document_text_build(document.pk)
    author = world.client(world.author)

    assert search(author, "өнүгүү") == ["Өнүгүү программасы"]
    assert search(author, "ӨНҮГҮҮ ПРОГРАММАСЫ") == ["Өнүгүү программасы"]
    assert search(author, "инклюзивдүү") == ["Өнүгүү программасы"]  # in the file only
    assert search(author, "көңүл") == ["Сабактын планы"]  # ң ө ү in an .odt
    assert search(author, "КАЧЕСТВА") == ["Программа развития"]  # in the PDF
    assert search(author, "2026–2030") == ["Программа развития"]  # in the description
    assert search(author, "программа") == ["Программа развития", "Өнүгүү программасы"]
    assert search(author, "жок сөз") == []

    # Results respect what the user may see: drafts are their author's alone; after
    # submission the school's staff see it, the other school never.
    chair = world.client(world.chair)
    assert search(chair, "өнүгүү") == []
    submitted = create_and_submit(world, title="Өнүгүү программасы 2")
    document_text_build(submitted.pk)
    assert search(chair, "өнүгүү") == ["Өнүгүү программасы 2"]
    assert search(world.client(world.teacher2), "өнүгүү") == []
    assert search(world.client(world.outsider), "өнүгүү") == []
    assert search(world.client(world.district_admin), "өнүгүү") == []
    # Filters apply to results too.
    assert search(author, "программа", doc_type="lesson_plan") == []
    assert DocumentText.objects.count() == 4


def test_search_results_export(world):
    document = create(world, "Өнүгүү программасы", sample_docx("текст"), "plan.docx")
    document_text_build(document.pk)
    response = world.client(world.author).get(
        reverse("reports:search"), {"q": "өнүгүү", "export": "csv"}
    )
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and "Өнүгүү программасы" in lines[1]


def test_the_search_text_carries_the_school_that_search_narrows_to(world):
    document = create(world, "Өнүгүү программасы", sample_docx("текст"), "plan.docx")
    document_text_build(document.pk)
    assert DocumentText.objects.get(document=document).school_id == world.school.pk
    assert search(world.client(world.author), "өнүгүү") == ["Өнүгүү программасы"]
    # A text of another school never matches, whatever it says.
    DocumentText.objects.filter(document=document).update(school=world.other_school)
    assert search(world.client(world.author), "өнүгүү") == []


def test_a_search_page_is_one_query_for_the_matches_and_their_number(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(30):
        document = create(world, f"Өнүгүү программасы {i}", sample_docx("текст"), "plan.docx")
        document_text_build(document.pk)
    client = world.client(world.author)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("reports:search"), {"q": "өнүгүү", "page": 2})
    page = response.context["page"]
    assert page.paginator.count == 30 and len(page.object_list) == 5
    assert sum("reports_documenttext" in q["sql"] for q in ctx.captured_queries) == 1


def test_a_search_page_past_the_end_shows_the_last_page(world):
    for i in range(3):
        document = create(world, f"Өнүгүү программасы {i}", sample_docx("текст"), "plan.docx")
        document_text_build(document.pk)
    response = world.client(world.author).get(reverse("reports:search"), {"q": "өнүгүү", "page": 9})
    page = response.context["page"]
    assert page.number == 1 and page.paginator.count == 3 and len(page.object_list) == 3
