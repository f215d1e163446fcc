"""Uploads: the type comes from the content; bad files get a clear message and nothing is
stored."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Document
from documents.samples import sample_docx, sample_odt, sample_pdf
from tests.flows.test_expertise_story import document_fields

pytestmark = pytest.mark.django_db

ELF_HEADER = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
MZ_HEADER = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def post_upload(world, name: str, data: bytes):
    client = world.client(world.author)
    upload = SimpleUploadedFile(name, data)
    return client.post(
        reverse("documents:create"), {**document_fields(world), "upload": upload, "save": "1"}
    )


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_refused(response, settings, fragment: str):
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert not Document.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [("plan.pdf", ELF_HEADER), ("plan.docx", MZ_HEADER), ("plan.odt", b"just some text\n" * 10)],
)
def test_a_renamed_executable_or_text_is_refused(world, settings, name, data):
    response = post_upload(world, name, data)
    assert_refused(response, settings, "is not a .docx, .odt or .pdf document")


def test_an_oversized_file_is_refused(world, settings):
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 50_000
    data = sample_pdf() + b"%" + b"x" * 60_000
    response = post_upload(world, "big.pdf", data)
    assert_refused(response, settings, "too large")


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("plan.docx", sample_docx("Өнүгүү программасы"), "docx"),
        ("plan.pdf", sample_pdf("Lesson plan"), "pdf"),
        ("plan.odt", sample_odt("Сабактын планы"), "odt"),
        # The type comes from the content: a real PDF named .docx is a PDF.
        ("misnamed.docx", sample_pdf("Misnamed"), "pdf"),
    ],
)
def test_a_valid_document_is_stored_and_downloadable_by_its_author(
    world, settings, name, data, kind
):
    response = post_upload(world, name, data)
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.file_kind, document.file_size) == (kind, len(data))
    assert document.file_name.endswith(f".{kind}")
    assert len(stored_files(settings)) == 1
    download = world.client(world.author).get(reverse("documents:draft_file", args=[document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]
    # The working copy of a draft is its author's alone.
    for other in (world.chair, world.teacher2, world.outsider):
        assert (
            world.client(other).get(reverse("documents:draft_file", args=[document.pk])).status_code
            == 404
        )


def docx_with(parts: dict[str, bytes]) -> bytes:
    return sample_docx("x", extra_parts=parts)


EXTERNAL_TEMPLATE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/>'
    b"</Relationships>"
)
HYPERLINK_RELS = EXTERNAL_TEMPLATE_RELS.replace(b"attachedTemplate", b"hyperlink").replace(
    b"t.dotm", b"page.html"
)


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (30 * 1024 * 1024))
    return out.getvalue()


def path_traversal() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("../../etc/cron.d/x", "boom")
    return out.getvalue()


@pytest.mark.parametrize(
    ("case", "data", "fragment"),
    [
        ("macro", docx_with({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}), "macros"),
        ("ole", docx_with({"word/embeddings/oleObject1.bin": b"\xd0\xcf"}), "macros"),
        ("activex", docx_with({"word/activeX/activeX1.xml": b"<ax/>"}), "macros"),
        (
            "external",
            docx_with({"word/_rels/settings.xml.rels": EXTERNAL_TEMPLATE_RELS}),
            "external",
        ),
        ("bomb", zip_bomb(), "unreasonable size"),
        ("traversal", path_traversal(), "unsafe paths"),
        (
            "pdf-js",
            sample_pdf().replace(
                b"/Type /Catalog",
                b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
            ),
            "scripts",
        ),
        (
            "pdf-js-escaped",
            sample_pdf().replace(
                b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript >>"
            ),
            "scripts",
        ),
        (
            "pdf-launch",
            sample_pdf().replace(
                b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Launch /F (cmd.exe) >>"
            ),
            "scripts",
        ),
    ],
)
def test_dangerous_documents_are_refused(world, settings, case, data, fragment):
    response = post_upload(world, f"{case}.docx", data)
    assert_refused(response, settings, fragment)


def test_hyperlinks_in_a_docx_are_fine(world, settings):
    response = post_upload(
        world, "links.docx", docx_with({"word/_rels/document.xml.rels": HYPERLINK_RELS})
    )
    assert response.status_code == 302
    assert Document.objects.get().file_kind == "docx"


def test_the_refusal_is_translated(world, settings):
    world.author.language = "ky"
    world.author.save()
    response = post_upload(world, "plan.pdf", ELF_HEADER)
    from django.utils import translation

    with translation.override("ky"):
        from documents.uploads import not_a_document

        message = not_a_document().messages[0]
    assert message != "This file is not a .docx, .odt or .pdf document. Please choose another file."
    assert message in response.content.decode()


def pdf_with_compressed_javascript() -> bytes:
    """JavaScript hidden in a compressed object stream, as PDF 1.5+ writers store it."""
    import zlib

    hidden = zlib.compress(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>")
    objstm = (
        b"6 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(hidden)).encode()
        + b" >>\nstream\n"
        + hidden
        + b"\nendstream\nendobj\n"
    )
    pdf = sample_pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction 5 0 R")
    return pdf.replace(b"xref", objstm + b"xref", 1)


def test_javascript_inside_a_compressed_object_stream_is_refused(world, settings):
    data = pdf_with_compressed_javascript()
    assert b"/JavaScript" not in data  # invisible to a plain byte scan
    response = post_upload(world, "hidden.pdf", data)
    assert_refused(response, settings, "scripts")


def test_the_frozen_version_carries_the_hash_of_the_checked_upload(world, settings):
    import hashlib

    from tests.flows.test_expertise_story import create_and_submit

    document = create_and_submit(world)
    version = document.versions.get()
    with version.file.open("rb") as handle:
        assert version.sha256 == hashlib.sha256(handle.read()).hexdigest()
