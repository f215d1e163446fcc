"""Upload validation: the type is decided by the content, never by the name.

Accepted: .docx and .odt (zip containers, inspected entry by entry) and .pdf. Refused, with
a translated message and nothing stored: anything else, oversized files, macros, embedded
OLE/ActiveX objects, external relationships other than hyperlinks, path tricks, zip bombs,
entries that fail their CRC, duplicate or encrypted entries, XML parts that declare a DTD or
entities (billion laughs, XXE), PDFs with JavaScript or launch actions, PDFs that a real
parser cannot open or that have no page, and a name whose extension is not what the content
is. Every part is read here, at upload: a file that passes is one the search-text worker and
every reader's software can open.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

import pypdf
from defusedxml import DefusedXmlException, ElementTree
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
# The old binary Office format (.doc) and Word's password-protected .docx share this header.
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Entry names ending so are XML and are parsed, DTDs and entities forbidden.
XML_SUFFIXES = (".xml", ".rels", ".rdf")
ODF_MANIFEST_NS = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"

logger = logging.getLogger(__name__)


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


def kind_name(kind: str) -> str:
    return {
        DOCX: _("a Word document (.docx)"),
        ODT: _("an OpenDocument text (.odt)"),
        PDF: _("a PDF document (.pdf)"),
    }[kind]


def _check_extension(upload: IO[bytes], kind: str) -> None:
    """The name's extension must say what the content is: a PDF saved as "plan.docx" is a
    mistake (or a trick) the author should see, not a file silently renamed."""
    name = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if "." not in name.strip("."):
        return  # no extension to disagree with
    extension = "." + name.rsplit(".", 1)[1].lower()
    if extension != KIND_EXTENSIONS[kind]:
        raise _reject(
            _(
                "This file is %(real)s, not %(extension)s. Choose the right file, or correct "
                "its name and upload it again."
            )
            % {"real": kind_name(kind), "extension": extension}
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
    elif head.startswith(OLE_HEADER):
        raise _reject(
            _(
                "This is an old-format Word file (.doc) or a password-protected document. "
                "Save it as .docx without a password and upload it again."
            )
        )
    else:
        raise not_a_document()
    _check_extension(upload, kind)

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
    _check_pdf_opens(upload)


def _pdf_unreadable() -> ValidationError:
    return _reject(
        _(
            "This file starts like a PDF but is not a readable PDF document (it has no "
            "pages or its structure is broken). Save it again as PDF and upload it again."
        )
    )


def _check_pdf_opens(upload: IO[bytes]) -> None:
    """A real parser must open it and find a page: "%PDF-" and "%%EOF" around something
    else (an HTML page, say) are not a PDF, and would be offered to every reader as one."""
    try:
        reader = pypdf.PdfReader(upload, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _reject(
                _("This PDF is protected with a password. Upload it without the password.")
            )
        pages = len(reader.pages)
    except ValidationError:
        raise
    except Exception as error:  # a crafted file can break a parser anywhere
        logger.info("PDF refused by the parser: %r", error)
        raise _pdf_unreadable() from None
    finally:
        upload.seek(0)
    if pages < 1:
        raise _pdf_unreadable()


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
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise not_a_document() from None

    total = 0
    compressed = 0
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.split("/") or "\\" in name or ":" in name:
            raise _reject(_("The document contains files with unsafe paths."))
        if info.flag_bits & 0x1:
            raise _reject(
                _("The document is encrypted or password-protected. Upload it without a password.")
            )
        # Part names are case-insensitive in both formats; two entries of one name are read
        # differently by different programs (one sees the checked part, another the other).
        if name.lower() in seen:
            raise _reject(
                _("The document contains two files with the same name: %(name)s.") % {"name": name}
            )
        seen.add(name.lower())
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
            kind = DOCX
        elif "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
            kind = ODT
        else:
            raise not_a_document()
        xml_parts = _read_every_entry(archive, infos)
        if kind == DOCX:
            _check_docx(xml_parts, lowered)
        else:
            _check_odt(xml_parts, lowered)
        return kind
    except ValidationError:
        raise
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        EOFError,
        ElementTree.ParseError,
        RuntimeError,
        NotImplementedError,
        zlib.error,
    ):
        raise not_a_document() from None


def _read_every_entry(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, object]:
    """Read every entry to its end, so that zipfile checks its CRC (a damaged or tampered
    entry is refused now, not when someone opens the file), and parse every XML part with
    DTDs and entities forbidden. Returns the parsed XML parts by name."""
    parsed: dict[str, object] = {}
    budget = settings.DOCUMENT_MAX_UNCOMPRESSED_BYTES
    for info in infos:
        if info.is_dir():
            continue
        is_xml = info.filename.lower().endswith(XML_SUFFIXES)
        chunks = []
        try:
            with archive.open(info) as entry:
                while chunk := entry.read(1024 * 1024):
                    budget -= len(chunk)
                    if budget < 0:
                        raise _reject(
                            _("The document unpacks to an unreasonable size and was refused.")
                        )
                    if is_xml:
                        chunks.append(chunk)
        except zipfile.BadZipFile as error:
            if "CRC" in str(error):
                raise _reject(
                    _(
                        "The document is damaged: the file %(name)s inside it does not match its "
                        "checksum. Save the document again and upload it again."
                    )
                    % {"name": info.filename}
                ) from None
            raise
        if is_xml:
            try:
                parsed[info.filename] = ElementTree.fromstring(
                    b"".join(chunks), forbid_dtd=True, forbid_entities=True, forbid_external=True
                )
            except DefusedXmlException:
                raise _reject(
                    _(
                        "The document contains XML with a DTD or entity declarations "
                        "(%(name)s), which are not allowed."
                    )
                    % {"name": info.filename}
                ) from None
    return parsed


def _macros_refused() -> ValidationError:
    return _reject(_("Documents with macros or embedded objects are not allowed."))


def _check_docx(xml_parts: dict[str, object], lowered: set[str]) -> None:
    if any(
        name.endswith("vbaproject.bin")
        or name.startswith(("word/activex/", "word/embeddings/"))
        or "oleobject" in name
        for name in lowered
    ):
        raise _macros_refused()
    content_types = " ".join(
        value
        for element in xml_parts["[Content_Types].xml"].iter()  # type: ignore[attr-defined]
        for value in element.attrib.values()
    ).lower()
    if "macroenabled" in content_types or "vbaproject" in content_types:
        raise _macros_refused()
    for name, root in xml_parts.items():
        if not name.endswith(".rels"):
            continue
        for rel in root.iter(f"{REL_NS}Relationship"):  # type: ignore[attr-defined]
            if rel.get("TargetMode", "").lower() == "external" and rel.get("Type") != HYPERLINK_REL:
                raise _reject(
                    _("The document refers to external files or templates, which is not allowed.")
                )


def _check_odt(xml_parts: dict[str, object], lowered: set[str]) -> None:
    if any(
        name.startswith(("basic/", "scripts/", "object ", "objectreplacements/"))
        for name in lowered
    ):
        raise _macros_refused()
    manifest = xml_parts.get("META-INF/manifest.xml")
    # ODF encrypts the parts themselves and says so in the manifest; the zip looks plain.
    if manifest is not None and any(
        element.tag == f"{ODF_MANIFEST_NS}encryption-data"
        for element in manifest.iter()  # type: ignore[attr-defined]
    ):
        raise _reject(
            _("The document is encrypted or password-protected. Upload it without a password.")
        )
