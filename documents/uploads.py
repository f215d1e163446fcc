"""Upload validation: the type is decided by the content, never by the name.

Accepted: .docx and .odt (zip containers, inspected entry by entry) and .pdf. Refused, with
a translated message and nothing stored: anything else, oversized files, macros, embedded
OLE/ActiveX objects, external relationships other than hyperlinks, path tricks, zip bombs,
and PDFs with JavaScript or launch actions.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

from defusedxml import ElementTree
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

DOCX = "docx"
ODT = "odt"
PDF = "pdf"
KIND_EXTENSIONS = {DOCX: ".docx", ODT: ".odt", PDF: ".pdf"}

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
HYPERLINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
# PDF names may hide letters as #xx escapes: /J#61vaScript is /JavaScript.
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_FORBIDDEN = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia")


@dataclass(frozen=True)
class UploadInfo:
    kind: str
    size: int
    sha256: str


def _reject(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_document_file")


def not_a_document() -> ValidationError:
    return _reject(
        _("This file is not a .docx, .odt or .pdf document. Please choose another file.")
    )


def validate_document_upload(upload: IO[bytes]) -> UploadInfo:
    """Check an uploaded file; raise ValidationError with a translated message."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    limit = settings.DOCUMENT_MAX_UPLOAD_BYTES
    if size > limit:
        raise _reject(
            _("The file is too large (%(size)s). The limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    if size == 0:
        raise _reject(_("The file is empty."))

    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        kind = PDF
        _check_pdf(upload)
    elif head.startswith(b"PK\x03\x04"):
        kind = _check_zip_document(upload)
    else:
        raise not_a_document()

    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return UploadInfo(kind=kind, size=size, sha256=digest.hexdigest())


def _pdf_object_streams(data: bytes):
    """The inflated contents of the PDF's object streams (PDF 1.5+ keeps most dictionaries,
    actions included, compressed inside them, where a byte scan cannot see)."""
    budget = settings.DOCUMENT_MAX_UNCOMPRESSED_BYTES
    for match in re.finditer(rb"stream\r?\n", data):
        header = data[max(0, match.start() - 400) : match.start()]
        header = header[header.rfind(b"<<") :] if b"<<" in header else header
        if b"/ObjStm" not in header or b"/FlateDecode" not in header:
            continue
        end = data.find(b"endstream", match.end())
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[match.end() : end if end > 0 else None], budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        if budget <= 0:
            raise _reject(_("The document unpacks to an unreasonable size and was refused."))
        yield inflated


def _check_pdf(upload: IO[bytes]) -> None:
    data = upload.read()
    upload.seek(0)
    for chunk in (data, *_pdf_object_streams(data)):
        _check_pdf_names(chunk)


def _check_pdf_names(data: bytes) -> None:
    normalized = PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    for name in PDF_FORBIDDEN:
        # A name ends at a delimiter; /JS must not match /JSomething.
        if re.search(re.escape(name) + rb"(?![A-Za-z0-9])", normalized):
            raise _reject(
                _(
                    "This PDF contains scripts, launch actions or embedded files, "
                    "which are not allowed."
                )
            )


def _check_zip_document(upload: IO[bytes]) -> str:
    try:
        archive = zipfile.ZipFile(upload)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise not_a_document() from None

    total = 0
    compressed = 0
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.split("/") or "\\" in name or ":" in name:
            raise _reject(_("The document contains files with unsafe paths."))
        total += info.file_size
        compressed += info.compress_size
    if total > settings.DOCUMENT_MAX_UNCOMPRESSED_BYTES or (
        compressed and total / compressed > settings.DOCUMENT_MAX_COMPRESSION_RATIO
    ):
        raise _reject(_("The document unpacks to an unreasonable size and was refused."))

    names = {info.filename for info in infos}
    lowered = {name.lower() for name in names}
    try:
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            _check_docx(archive, names, lowered)
            return DOCX
        if "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
            _check_odt(lowered)
            return ODT
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError, RuntimeError):
        raise not_a_document() from None
    raise not_a_document()


def _macros_refused() -> ValidationError:
    return _reject(_("Documents with macros or embedded objects are not allowed."))


def _check_docx(archive: zipfile.ZipFile, names: set[str], lowered: set[str]) -> None:
    if any(
        name.endswith("vbaproject.bin")
        or name.startswith(("word/activex/", "word/embeddings/"))
        or "oleobject" in name
        for name in lowered
    ):
        raise _macros_refused()
    content_types = archive.read("[Content_Types].xml").decode("utf-8", "replace").lower()
    if "macroenabled" in content_types or "vbaproject" in content_types:
        raise _macros_refused()
    for name in names:
        if not name.endswith(".rels"):
            continue
        root = ElementTree.fromstring(archive.read(name))
        for rel in root.iter(f"{REL_NS}Relationship"):
            if rel.get("TargetMode", "").lower() == "external" and rel.get("Type") != HYPERLINK_REL:
                raise _reject(
                    _("The document refers to external files or templates, which is not allowed.")
                )


def _check_odt(lowered: set[str]) -> None:
    if any(
        name.startswith(("basic/", "scripts/", "object ", "objectreplacements/"))
        for name in lowered
    ):
        raise _macros_refused()
