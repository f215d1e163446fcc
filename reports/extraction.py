"""Plain text of an uploaded document, for search.

The file was validated on upload (documents/uploads.py); it is still read defensively:
XML through defusedxml, a cap on how much text is kept, and any damage gives "" rather
than an error, since a search index must never block the work it indexes."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from typing import IO

from defusedxml import ElementTree

logger = logging.getLogger(__name__)

# A strategic document is tens of pages; a cap keeps a pathological file from filling the
# table (and the trigram index) with megabytes of text.
MAX_TEXT_CHARS = 500_000
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
WHITESPACE = re.compile(r"\s+")


def _xml_text(data: bytes, paragraph_tags: tuple[str, ...]) -> str:
    root = ElementTree.fromstring(data)
    parts: list[str] = []
    for element in root.iter():
        if element.text:
            parts.append(element.text)
        if element.tag in paragraph_tags:
            parts.append("\n")
        if element.tail:
            parts.append(element.tail)
    return "".join(parts)


def _docx_text(archive: zipfile.ZipFile) -> str:
    parts = sorted(
        n for n in archive.namelist() if re.fullmatch(r"word/(header|footer)\d*\.xml", n)
    )
    names = ["word/document.xml", *parts]
    return "\n".join(
        _xml_text(archive.read(name), (f"{W_NS}p",)) for name in names if name in archive.NameToInfo
    )


def _odt_text(archive: zipfile.ZipFile) -> str:
    return _xml_text(archive.read("content.xml"), (f"{TEXT_NS}p", f"{TEXT_NS}h"))


def _pdf_text(handle: IO[bytes]) -> str:
    from pypdf import PdfReader

    reader = PdfReader(handle)
    parts = []
    size = 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > MAX_TEXT_CHARS:
            break
    return "\n".join(parts)


def extract_text(handle: IO[bytes], kind: str) -> str:
    """The text of a .docx, .odt or .pdf file ("" when it cannot be read)."""
    try:
        data = handle.read()
        if kind in ("docx", "odt"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                text = _docx_text(archive) if kind == "docx" else _odt_text(archive)
        elif kind == "pdf":
            text = _pdf_text(io.BytesIO(data))
        else:
            return ""
    except Exception:  # a damaged file is not searchable; the document still is
        logger.warning("could not extract the text of a %s file", kind, exc_info=True)
        return ""
    return text[:MAX_TEXT_CHARS]


def fold(text: str) -> str:
    """The form both the stored text and the query take: NFC, case-folded, single spaces.
    Kyrgyz ң ө ү fold like any Cyrillic letter ("Өнүгүү" → "өнүгүү")."""
    return WHITESPACE.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()


def paragraphs_of(text: str) -> list[str]:
    """The paragraphs of extracted text, for comparing versions: one per paragraph of a
    .docx/.odt (their structure is kept by `extract_text`), one per line of a .pdf (a PDF
    keeps no paragraphs, only lines). NFC, inner whitespace collapsed, empty ones dropped."""
    paragraphs = []
    for line in unicodedata.normalize("NFC", text).split("\n"):
        line = WHITESPACE.sub(" ", line).strip()
        if line:
            paragraphs.append(line)
    return paragraphs
