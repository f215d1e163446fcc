"""Verifiable official papers: the QR code and code on every official PDF, the public
verification page, PAdES signatures with the school's certificate, the throttle.

The PDFs are read back as a person's phone and a signature validator would read them: the
page rendered to pixels (pdfium) and its QR code decoded (zbar); the signature validated
by pyHanko against the configured certificate."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re

import pytest
import time_machine
from django.core.checks import run_checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from council import tasks as council_tasks
from council.rendering import build_protocol_pdf
from documents import papers
from documents.management.commands.papers_certificate import self_signed_pkcs12
from documents.models import (
    Document,
    OfficialPaper,
    PaperKind,
    PaperStatus,
    Recommendation,
    Review,
    Stage,
)
from documents.papers import code_display, code_normalize, paper_revoke
from documents.pdf import Verification, build_approval_sheet
from documents.signing import configured_signer
from flows import tasks
from tests.papers_support import approved_document, qr_codes, sheet, stored
from tests.papers_support import protocol as protocol_data

SCHOOL_CERT_PASSWORD = "trial-school-94"
SITE = "http://192.168.1.20:8000"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    path = tmp_path_factory.mktemp("cert") / "school.p12"
    path.write_bytes(
        self_signed_pkcs12(
            name="№94 жалпы орто билим берүү мектеби", password=SCHOOL_CERT_PASSWORD, days=30
        )
    )
    return path


@pytest.fixture
def signing(settings, certificate):
    settings.PAPERS_SIGNING_PKCS12 = str(certificate)
    settings.PAPERS_SIGNING_PASSWORD = SCHOOL_CERT_PASSWORD
    settings.SITE_URL = SITE
    return certificate


@pytest.fixture
def unsigned(settings):
    settings.PAPERS_SIGNING_PKCS12 = ""
    settings.PAPERS_SIGNING_PASSWORD = ""
    settings.SITE_URL = SITE


def text_of(data: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split()
    )


def validate(data: bytes, certificate_root):
    reader = PdfFileReader(io.BytesIO(data))
    [signature] = reader.embedded_signatures
    return signature, validate_pdf_signature(
        signature, ValidationContext(trust_roots=[certificate_root])
    )


def paper_page(client: Client, paper: OfficialPaper, language: str = "en", **kwargs):
    client.cookies["language"] = language
    return client.get(reverse("verify:paper", args=[paper.code]), **kwargs)


def result(response) -> str:
    match = re.search(r'data-testid="verify-result">(.*?)</p>', response.content.decode(), re.S)
    assert match, response.content.decode()
    return " ".join(match.group(1).split())


# -- codes -----------------------------------------------------------------------------


def test_codes_are_130_random_bits_typed_in_groups():
    codes = {papers.code_new() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 26 and set(code) <= set(papers.ALPHABET)
    assert len(papers.ALPHABET) ** papers.CODE_LENGTH >= 2**128
    code = "7KQ2M9XD4PABCDEFGHJKMNPQRS"
    assert code_display(code) == "7KQ2M-9XD4P-ABCDE-FGHJK-MNPQRS"
    # Typed by hand: lower case, spaces, dashes, and O/I/L for 0/1/1 all land on the code.
    assert code_normalize(" 7kq2m-9xd4p abcde-fghjk-mnpqrs ") == code
    assert code_normalize("7KQ2M9XD4PABCDEFGHJKMNPQRS".replace("0", "O")) == code
    assert code_normalize("0000000000000000000000000I") == "00000000000000000000000001"
    for wrong in ("", "7KQ2M", code + "X", "7KQ2M9XD4PABCDEFGHJKMNPQRU", "Ү" * 26):
        assert code_normalize(wrong) is None


# -- the PDF ---------------------------------------------------------------------------

VERIFICATION = Verification(
    code="7KQ2M-9XD4P-ABCDE-FGHJK-MNPQRS",
    url=f"{SITE}/v/7KQ2M9XD4PABCDEFGHJKMNPQRS/",
    check_url=f"{SITE}/verify/",
)


@pytest.mark.parametrize("kind", ["approval_sheet", "protocol"])
def test_the_qr_code_on_the_paper_decodes_to_the_verification_url(kind):
    if kind == "approval_sheet":
        rendered = build_approval_sheet(dataclasses.replace(sheet("ky"), verification=VERIFICATION))
    else:
        rendered = build_protocol_pdf(
            dataclasses.replace(protocol_data("ky"), verification=VERIFICATION)
        )
    assert qr_codes(rendered.data) == [VERIFICATION.url]
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(rendered.data)).pages]
    # The typable code on every page (a page apart from the others can be checked too).
    for page in pages:
        assert "7KQ2M-9XD4P-ABCDE-FGHJK-MNPQRS" in page
    assert f"{SITE}/verify/" in text_of(rendered.data)


def test_a_paper_without_verification_has_no_qr_code():
    assert qr_codes(build_approval_sheet(sheet("ky")).data) == []


def test_the_signature_field_sits_in_the_bekitem_block(signing):
    rendered = build_approval_sheet(dataclasses.replace(sheet("ky"), verification=VERIFICATION))
    [box] = rendered.signature_boxes
    positions = {}

    def visit(text, cm, tm, font_dict, font_size):
        positions.setdefault(text.strip(), tm[4:6])

    PdfReader(io.BytesIO(rendered.data)).pages[0].extract_text(visitor_text=visit)
    x1, y1, _x2, y2 = box.in_points(rendered.page_height)
    bekitem_x, bekitem_y = positions["Бекитем:"]
    assert abs(x1 - bekitem_x) < 3  # under the heading of the block, on the right
    assert y2 < bekitem_y  # below "Бекитем:"
    name_y = next(y for text, (x, y) in positions.items() if "Ажыгулова" in text)
    assert y1 > name_y  # above the blank and the director's name


# -- signing ---------------------------------------------------------------------------


def test_papers_are_signed_pades_and_validate_against_the_school_certificate(world, signing):
    document = approved_document(world)
    assert tasks.render_approval_sheet(document.pk)
    document.refresh_from_db()
    data = stored(document.approval_sheet)

    signature, status = validate(data, configured_signer().signing_cert)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    # Baseline B: the signing certificate is bound in the signed attributes.
    attributes = signature.signer_info["signed_attrs"]
    assert "signing_certificate_v2" in {attr["type"].native for attr in attributes}
    assert status.signing_cert.subject.native["common_name"] == (
        "№94 жалпы орто билим берүү мектеби"
    )
    # Visible, on the first page, where the layout left room in the "Бекитем" block.
    field = signature.sig_field
    rect = [float(v) for v in field["/Rect"]]
    assert rect[2] - rect[0] > 100 and rect[3] - rect[1] > 20
    # Signing adds to the file; the text and its Kyrgyz letters stay extractable.
    text = text_of(data)
    assert "Бекитем:" in text and "Өнүгүү программасы 2026–2030" in text
    for letter in "ңөү":
        assert letter in text
    assert qr_codes(data) == [
        f"{SITE}/v/{OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET).code}/"
    ]


def test_one_changed_byte_breaks_both_the_signature_and_the_hash(world, signing):
    document = approved_document(world)
    tasks.render_approval_sheet(document.pk)
    document.refresh_from_db()
    data = stored(document.approval_sheet)
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET, object_id=document.pk)
    assert hashlib.sha256(data).hexdigest() == paper.pdf_sha256

    # A digit of a date in the page content, inside the signed byte range.
    at = data.index(b"stream", 1000) + 20
    forged = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    _signature, status = validate(forged, configured_signer().signing_cert)
    assert not status.intact and not status.bottom_line

    with document.versions.get(number=document.version_count).file.open("rb") as handle:
        version_file = handle.read()
    client = Client()
    for content, expected in (
        (data, "The file is the official PDF of this paper."),
        (forged, "The file is not the official PDF of this paper"),
        (version_file, "The file is the approved version of the document."),
        (version_file + b"\n", "The file is not the official PDF of this paper"),
    ):
        client.cookies["language"] = "en"
        response = client.post(
            reverse("verify:paper", args=[paper.code]),
            {"file": SimpleUploadedFile("sheet.pdf", content, content_type="application/pdf")},
        )
        assert response.status_code == 200
        assert expected in response.content.decode()


def test_without_a_certificate_papers_are_issued_unsigned_with_their_code(world, unsigned):
    document = approved_document(world)
    assert tasks.render_approval_sheet(document.pk)
    document.refresh_from_db()
    data = stored(document.approval_sheet)
    assert PdfFileReader(io.BytesIO(data)).embedded_signatures == []
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET, object_id=document.pk)
    assert paper.status == PaperStatus.VALID and paper.signed_by == ""
    assert qr_codes(data) == [f"{SITE}/v/{paper.code}/"]
    response = paper_page(Client(), paper)
    assert "Not electronically signed" in response.content.decode()
    assert result(response) == "Genuine: the school issued this paper and it is valid."


# -- the public page -------------------------------------------------------------------

PAGE_WORDS = {
    "en": ("Genuine", "Approval sheet", "Registry number", "Date of approval"),
    "ru": ("Подлинный", "Лист утверждения", "Регистрационный номер", "Дата утверждения"),
    "ky": ("Түп нуска", "Бекитүү барагы", "Каттоо номери", "Бекитилген күнү"),
}


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_the_page_shows_the_papers_figures_and_nothing_more(world, signing, language):
    document = approved_document(world)
    # What the page must never show: reviews, recommendations, other people.
    review = Review.objects.filter(round__document=document).first()
    Review.objects.filter(pk=review.pk).update(comment="Эксперттин жашыруун комментарийи")
    Recommendation.objects.create(review=review, number=1, text="Сунуш: максаттарды тактоо")
    assert tasks.render_approval_sheet(document.pk)
    document.refresh_from_db()
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET, object_id=document.pk)
    version = document.versions.get(number=document.version_count)

    response = paper_page(Client(), paper, language)
    assert response.status_code == 200
    page = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    for word in PAGE_WORDS[language]:
        assert word in page, word
    facts = re.search(r'data-testid="paper-facts">(.*?)</dl>', page, re.S).group(1)
    for expected in (
        world.school.name,
        "Өнүгүү программасы 2026–2030",
        document.registry_number,
        timezone.localdate(document.approved_at).strftime("%d.%m.%Y"),
        world.director.get_short_name(),
        "Директордун милдетин аткаруучу",
        hashlib.sha256(stored(document.approval_sheet)).hexdigest(),
        version.sha256,
        "№94 жалпы орто билим берүү мектеби",  # the certificate that signed it
        code_display(paper.code),
    ):
        assert expected in facts, expected
    for hidden in (
        "Эксперттин жашыруун комментарийи",
        "Сунуш: максаттарды тактоо",
        world.expert1.last_name,
        world.chair.last_name,
        world.author.last_name,
        world.author.first_name,
    ):
        assert hidden not in page, hidden


def test_the_page_costs_a_fixed_number_of_queries(world, signing, django_assert_max_num_queries):
    document = approved_document(world)
    tasks.render_approval_sheet(document.pk)
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET)
    client = Client()
    # The throttle's upsert (and its clean-up on a new window), the paper with its school.
    with django_assert_max_num_queries(4):
        assert paper_page(client, paper).status_code == 200


def test_a_wrong_code_answers_as_a_missing_one(world, signing):
    document = approved_document(world)
    tasks.render_approval_sheet(document.pk)
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET)
    pending = papers.paper_reserve(kind=PaperKind.PROTOCOL, object_id=999, school=world.school)
    client = Client()
    client.cookies["language"] = "en"
    answers = set()
    for code in (
        "nonsense",
        papers.code_new(),  # well formed, never issued
        pending.code,  # reserved by a worker, not issued
        paper.code[:-1] + ("0" if paper.code[-1] != "0" else "1"),  # one character off
        "%00'--",
    ):
        response = client.get(reverse("verify:paper", args=[code]))
        answers.add((response.status_code, result(response)))
    assert answers == {
        (
            404,
            "No paper was issued with this code. Check the code on the paper and type it again.",
        )
    }
    # The typing form goes to the same place, whatever is typed.
    typed = client.post(reverse("verify:start"), {"code": code_display(paper.code).lower()})
    assert typed.status_code == 302
    assert client.get(typed["Location"]).status_code == 200
    typed = client.post(reverse("verify:start"), {"code": "no such code"})
    assert client.get(typed["Location"]).status_code == 404


def test_another_schools_code_shows_that_schools_paper_only(world, unsigned):
    ours = approved_document(world)
    tasks.render_approval_sheet(ours.pk)
    other_doc = Document.objects.create(
        school=world.other_school,
        author=world.outsider,
        doc_type="lesson_plan",
        title="№12 гимназиянын сабак планы",
        academic_year=world.year,
        stage=Stage.APPROVED,
        registry_number=f"{world.year.starts_on.year}-001",
        approved_by=world.outsider,
        approver_position="Директор",
        approved_at=timezone.now(),
        pedagogical_protocol_number="5",
        pedagogical_reviewed_on=timezone.localdate(),
    )
    assert tasks.render_approval_sheet(other_doc.pk)
    theirs = OfficialPaper.objects.get(object_id=other_doc.pk, kind=PaperKind.APPROVAL_SHEET)
    assert theirs.school == world.other_school
    page = paper_page(Client(), theirs).content.decode()
    assert "№12 гимназия" in page and "№12 гимназиянын сабак планы" in page
    assert world.school.name not in page
    assert "Өнүгүү программасы 2026–2030" not in page


def test_a_sheet_rendered_again_supersedes_the_first_paper(world, signing):
    document = approved_document(world)
    tasks.render_approval_sheet(document.pk)
    first = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET)
    assert not tasks.render_approval_sheet(document.pk)  # idempotent: the file is there
    assert OfficialPaper.objects.count() == 1
    # The file is lost (a restore without media): the sweep renders it again.
    Document.objects.filter(pk=document.pk).update(approval_sheet="")
    assert tasks.render_approval_sheet(document.pk)
    first.refresh_from_db()
    second = OfficialPaper.objects.exclude(pk=first.pk).get()
    assert (first.status, first.superseded_by, second.status) == (
        PaperStatus.SUPERSEDED,
        second,
        PaperStatus.VALID,
    )
    assert first.code != second.code
    old = result(paper_page(Client(), first))
    assert old.startswith("The school issued this paper, but it was replaced by a newer one")
    assert result(paper_page(Client(), second)).startswith("Genuine")


def test_a_revoked_paper_says_so_and_only_its_schools_staff_revoke_it(world, signing):
    document = approved_document(world)
    tasks.render_approval_sheet(document.pk)
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        paper_revoke(paper=paper, actor=world.chair, reason="Ката")
    world.outsider.is_staff = True
    with pytest.raises(ValidationError):
        paper_revoke(paper=paper, actor=world.outsider, reason="Ката")
    with pytest.raises(ValidationError):
        paper_revoke(paper=paper, actor=world.admin, reason=" ")
    paper_revoke(paper=paper, actor=world.admin, reason="Чечим жокко чыгарылды")
    paper.refresh_from_db()
    assert paper.status == PaperStatus.REVOKED
    page = paper_page(Client(), paper).content.decode()
    assert "has been revoked and is not valid" in page
    assert "Чечим жокко чыгарылды" not in page  # the reason stays internal


def test_protocols_and_annual_reports_are_issued_as_papers(world, signing):
    """A protocol signed by its signatures, its page naming the chair and the secretary; an
    annual report prepared twice, the first paper superseded by the second."""
    from council.models import AnnualReport, Protocol
    from council.services import annual_report_prepare
    from tests.helpers import later_session, protocol_post

    members = [world.chair, world.expert1, world.expert2, world.expert3, world.secretary]
    session = later_session(world)
    secretary = world.client(world.secretary)
    secretary.post(
        reverse("council:protocol_edit", args=[session.pk]),
        protocol_post(session, members, {1: ("other", (5, 0, 0))}),
    )
    secretary.post(reverse("council:protocol_confirm", args=[session.pk]))
    world.client(world.chair).post(reverse("council:protocol_confirm", args=[session.pk]))
    protocol = Protocol.objects.get(session=session)
    assert protocol.is_confirmed
    assert council_tasks.render_protocol(protocol.pk)
    protocol.refresh_from_db()
    data = stored(protocol.pdf)
    paper = OfficialPaper.objects.get(kind=PaperKind.PROTOCOL, object_id=protocol.pk)
    assert qr_codes(data) == [f"{SITE}/v/{paper.code}/"]
    signature, status = validate(data, configured_signer().signing_cert)
    assert status.bottom_line
    # The visible field is on the page of the signatures, the protocol's last.
    assert signature.sig_field["/P"] == PdfFileReader(io.BytesIO(data)).root["/Pages"]["/Kids"][-1]
    page = paper_page(Client(), paper, "ru").content.decode()
    assert "Протокол заседания совета" in page
    assert f"№{protocol.number}" in page and "ПРОТОКОЛУ" in page
    assert f"{world.chair.get_short_name()} — Председатель совета" in page
    assert f"{world.secretary.get_short_name()} — Секретарь совета" in page
    assert world.expert1.last_name not in page  # present at the session, not a signatory

    # The annual report: prepared, then prepared again with other directions.
    session.is_year_end = True
    session.save(update_fields=["is_year_end"])
    report = annual_report_prepare(council=world.council, actor=world.chair, directions="Бир")
    assert council_tasks.render_annual_report(report.pk)
    first = OfficialPaper.objects.get(kind=PaperKind.ANNUAL_REPORT)
    report = annual_report_prepare(council=world.council, actor=world.chair, directions="Эки")
    assert council_tasks.render_annual_report(report.pk)
    first.refresh_from_db()
    second = OfficialPaper.objects.get(kind=PaperKind.ANNUAL_REPORT, status=PaperStatus.VALID)
    assert first.status == PaperStatus.SUPERSEDED and first.superseded_by == second
    report = AnnualReport.objects.get(pk=report.pk)
    assert hashlib.sha256(stored(report.pdf)).hexdigest() == second.pdf_sha256
    assert qr_codes(stored(report.pdf)) == [f"{SITE}/v/{second.code}/"]
    page = paper_page(Client(), second, "ky").content.decode()
    assert "Кеңештин жылдык отчету" in page and str(world.year) in page


# -- the throttle ----------------------------------------------------------------------


def test_lookups_are_limited_per_address(world, signing, settings):
    settings.PAPERS_VERIFY_RATE_LIMIT = 3
    settings.PAPERS_VERIFY_RATE_WINDOW_SECONDS = 600
    document = approved_document(world)
    tasks.render_approval_sheet(document.pk)
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client(REMOTE_ADDR="203.0.113.7")
        statuses = [paper_page(client, paper).status_code for _ in range(3)]
        # Guessing codes counts as much as asking for a real one.
        statuses.append(client.get(reverse("verify:paper", args=[papers.code_new()])).status_code)
        blocked = paper_page(client, paper)
        assert statuses == [200, 200, 200, 429] and blocked.status_code == 429
        assert blocked["Retry-After"] == "600"
        assert "Too many checks" in result(blocked)
        assert world.school.name not in blocked.content.decode()
        # Another address is not held back.
        assert paper_page(Client(REMOTE_ADDR="198.51.100.4"), paper).status_code == 200
        # The next window starts afresh.
        traveller.shift(601)
        assert paper_page(client, paper).status_code == 200


# -- configuration ---------------------------------------------------------------------


def test_production_warns_without_a_certificate_and_refuses_a_wrong_password(settings, certificate):
    settings.DEBUG = False
    settings.SITE_URL = "https://council.example.org"
    settings.PAPERS_SIGNING_PKCS12 = ""
    assert "documents.W001" not in {message.id for message in run_checks()}  # --deploy only
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert "documents.W001" in ids and "documents.W002" not in ids
    settings.PAPERS_SIGNING_PKCS12 = str(certificate)
    settings.PAPERS_SIGNING_PASSWORD = "not-the-password"
    assert "documents.E001" in {message.id for message in run_checks()}
    settings.PAPERS_SIGNING_PASSWORD = SCHOOL_CERT_PASSWORD
    settings.SITE_URL = "http://127.0.0.1:8000"
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert "documents.E001" not in ids and "documents.W001" not in ids
    assert "documents.W002" in ids  # the QR codes would point at the server itself


def test_the_certificate_command_writes_a_usable_pkcs12(tmp_path, settings):
    out = tmp_path / "school.p12"
    call_command(
        "papers_certificate", "--out", str(out), "--name", "№94 мектеп", "--password", "pw-94"
    )
    assert out.stat().st_mode & 0o077 == 0  # the key is the service's alone
    settings.PAPERS_SIGNING_PKCS12 = str(out)
    settings.PAPERS_SIGNING_PASSWORD = "pw-94"
    assert configured_signer().signing_cert.subject.native["common_name"] == "№94 мектеп"
    with pytest.raises(Exception, match="exists"):
        call_command("papers_certificate", "--out", str(out), "--name", "x")


def test_the_school_admin_revokes_a_paper_in_the_admin_and_sees_no_other_schools(world, unsigned):
    document = approved_document(world)
    tasks.render_approval_sheet(document.pk)
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET)
    papers.paper_reserve(kind=PaperKind.PROTOCOL, object_id=77, school=world.school)
    admin = world.client(world.admin)
    listing = admin.get(reverse("admin:documents_officialpaper_changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [paper]  # not the pending reservation
    url = reverse("admin:documents_officialpaper_change", args=[paper.pk])
    assert code_display(paper.code) in admin.get(url).content.decode()
    response = admin.post(url, {"revoked_reason": "Бекитүү жокко чыгарылды"})
    assert response.status_code == 302
    paper.refresh_from_db()
    assert (paper.status, paper.revoked_reason) == (
        PaperStatus.REVOKED,
        "Бекитүү жокко чыгарылды",
    )
    assert paper.revoked_at is not None
    # Another school's administrator finds nothing of it.
    world.outsider.is_staff = True
    world.outsider.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Group

    world.outsider.groups.add(Group.objects.get(name="school_admin"))
    assert world.client(world.outsider).get(url).status_code == 302  # to the admin index
    assert (
        list(
            world.client(world.outsider)
            .get(reverse("admin:documents_officialpaper_changelist"))
            .context["cl"]
            .result_list
        )
        == []
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_rendering_at_once_issue_one_paper_matching_the_stored_file(
    settings, monkeypatch
):
    """Delivered twice, rendered twice at the same moment: one file, one valid paper, and
    its hash is the stored file's (not the loser's)."""
    import threading
    from pathlib import Path

    from django.db import connection

    from tests.conftest import build_world

    settings.PAPERS_SIGNING_PKCS12 = ""
    settings.SITE_URL = SITE
    world = build_world()
    document = approved_document(world)
    barrier = threading.Barrier(2)
    results, errors = [], []
    # Both renderings reach the store together: neither sees the other's file early.
    at_store = threading.Barrier(2)
    save = papers.default_storage.save

    def save_together(name, content):
        at_store.wait(timeout=30)
        return save(name, content)

    monkeypatch.setattr(papers.default_storage, "save", save_together)

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(tasks.render_approval_sheet(document.pk))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [False, True]
    document.refresh_from_db()
    [paper] = OfficialPaper.objects.filter(kind=PaperKind.APPROVAL_SHEET)
    assert paper.status == PaperStatus.VALID
    assert paper.pdf_sha256 == hashlib.sha256(stored(document.approval_sheet)).hexdigest()
    assert qr_codes(stored(document.approval_sheet)) == [f"{SITE}/v/{paper.code}/"]
    files = list((Path(settings.MEDIA_ROOT) / "approval-sheets").rglob("*.pdf"))
    assert len(files) == 1


def test_papers_rendered_before_codes_are_reissued_with_one(
    world, unsigned, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from documents.pdf import render_approval_sheet
    from flows.approval_sheet import approval_sheet_data

    document = approved_document(world)
    # A sheet from before verification codes: no paper record, no QR code.
    old = render_approval_sheet(approval_sheet_data(document, language="ky"))
    document.approval_sheet.save("old-sheet.pdf", ContentFile(old))
    out = io.StringIO()
    call_command("papers_reissue", "--dry-run", stdout=out)
    assert "approval_sheet: 1 would be rendered again" in out.getvalue()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("papers_reissue", stdout=io.StringIO())
    assert callbacks  # the old file's deletion and the render, after commit
    document.refresh_from_db()
    assert not document.approval_sheet
    assert tasks.render_approval_sheet(document.pk)
    document.refresh_from_db()
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET, object_id=document.pk)
    assert qr_codes(stored(document.approval_sheet)) == [f"{SITE}/v/{paper.code}/"]
    out = io.StringIO()
    call_command("papers_reissue", stdout=out)
    assert "approval_sheet: 0 rendered again" in out.getvalue()


def test_an_upload_over_the_cap_is_refused_unread_and_csrf_still_holds(world, unsigned, settings):
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 1024 * 1024
    document = approved_document(world)
    tasks.render_approval_sheet(document.pk)
    document.refresh_from_db()
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET)
    url = reverse("verify:paper", args=[paper.code])
    client = Client(enforce_csrf_checks=True)
    client.cookies["language"] = "en"
    page = client.get(url)
    token = page.cookies["csrftoken"].value
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 200 * 1024))
    response = client.post(url, {"csrfmiddlewaretoken": token, "file": big})
    assert response.status_code == 413
    assert "The file is larger than 1 MB." in response.content.decode()
    # Without the token, a small upload is refused as any form post is.
    small = SimpleUploadedFile("sheet.pdf", stored(document.approval_sheet))
    assert client.post(url, {"file": small}).status_code == 403
    small.seek(0)
    response = client.post(url, {"csrfmiddlewaretoken": token, "file": small})
    assert "The file is the official PDF of this paper." in response.content.decode()


def test_a_broken_certificate_issues_nothing_rather_than_an_unsigned_paper(
    world, signing, settings
):
    from documents.signing import SigningError

    settings.PAPERS_SIGNING_PASSWORD = "not-the-password"
    document = approved_document(world)
    with pytest.raises(SigningError):
        tasks.render_approval_sheet(document.pk)
    document.refresh_from_db()
    assert not document.approval_sheet  # the sweep tries again once the password is fixed
    assert not OfficialPaper.objects.exclude(status=PaperStatus.PENDING).exists()
    settings.PAPERS_SIGNING_PASSWORD = SCHOOL_CERT_PASSWORD
    assert tasks.render_approval_sheet(document.pk)
    paper = OfficialPaper.objects.get(kind=PaperKind.APPROVAL_SHEET)
    assert paper.status == PaperStatus.VALID and paper.signed_by
