"""PAdES signatures of official papers (pyHanko), with the school's certificate.

The certificate comes from the environment: a PKCS#12 file (`PAPERS_SIGNING_PKCS12`) and its
password (`PAPERS_SIGNING_PASSWORD`). `manage.py papers_certificate` makes a self-signed one
for a trial; a real one is issued to the school by a certification authority. With none
configured, papers are issued unsigned — still with their verification code.

The signature is PAdES baseline B (CAdES detached, `ETSI.CAdES.detached`, the signing
certificate as a signed attribute) in an incremental update, so the rendered page content,
its fonts and its text stay exactly as fpdf2 wrote them.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import StaticStampStyle

from .pdf import MM_PER_POINT, render_signature_stamp

FIELD_NAME = "SchoolSignature"


class SigningError(Exception):
    """The configured certificate cannot be used (missing file, wrong password)."""


@dataclass(frozen=True)
class SignatureBox:
    """Where the visible signature goes: a page (0-based) and a rectangle in points from
    the page's bottom-left corner, as PDF counts."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class SignedPdf:
    data: bytes
    signed_by: str  # the certificate's subject; empty when not signed


def signing_configured() -> bool:
    return bool(settings.PAPERS_SIGNING_PKCS12)


@functools.lru_cache(maxsize=4)
def _signer(path: str, password: str, mtime: float) -> signers.SimpleSigner:
    # Keyed on the file's mtime as well: a renewed certificate is picked up without a restart.
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read PAPERS_SIGNING_PKCS12={path!r}: {exc}") from exc
    try:
        return signers.SimpleSigner.load_pkcs12_data(
            data, other_certs=[], passphrase=password.encode() if password else None
        )
    except ValueError as exc:
        raise SigningError(
            f"cannot open PAPERS_SIGNING_PKCS12={path!r} (wrong PAPERS_SIGNING_PASSWORD?)"
        ) from exc


def configured_signer() -> signers.SimpleSigner:
    path = settings.PAPERS_SIGNING_PKCS12
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise SigningError(f"cannot read PAPERS_SIGNING_PKCS12={path!r}: {exc}") from exc
    return _signer(path, settings.PAPERS_SIGNING_PASSWORD, mtime)


def signer_subject(signer: signers.SimpleSigner) -> str:
    """The certificate's common name (the school, for a school's certificate)."""
    subject = signer.signing_cert.subject
    return subject.native.get("common_name") or subject.human_friendly


def sign_pdf(data: bytes, *, box: SignatureBox | None, reason: str, location: str) -> SignedPdf:
    """`data` signed with the configured certificate, or unchanged when none is set."""
    if not signing_configured():
        return SignedPdf(data=data, signed_by="")
    signer = configured_signer()
    subject = signer_subject(signer)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    if box is None:
        # No room on the page: an invisible signature, as valid as a visible one.
        output = signers.PdfSigner(metadata, signer=signer).sign_pdf(writer, in_place=False)
        return SignedPdf(data=output.getvalue(), signed_by=subject)
    fields.append_signature_field(
        writer,
        sig_field_spec=fields.SigFieldSpec(
            FIELD_NAME, on_page=box.page, box=(box.x1, box.y1, box.x2, box.y2)
        ),
    )
    with translation.override(settings.OFFICIAL_DOCUMENT_LANGUAGE):
        label = gettext("Signed electronically")
    stamp = render_signature_stamp(
        width=(box.x2 - box.x1) * MM_PER_POINT,
        height=(box.y2 - box.y1) * MM_PER_POINT,
        lines=[label, subject, timezone.localtime().strftime("%d.%m.%Y %H:%M")],
    )
    # pyHanko imports a stamp's page from a file, not from memory.
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(stamp)
        handle.flush()
        style = StaticStampStyle.from_pdf_file(
            handle.name,
            border_width=0,
            # The stamp is drawn to the field's size already: no margin, no rescaling.
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(0),
                inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
            ),
        )
        output = signers.PdfSigner(metadata, signer=signer, stamp_style=style).sign_pdf(
            writer, in_place=False
        )
    return SignedPdf(data=output.getvalue(), signed_by=subject)
