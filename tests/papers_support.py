"""Sample data and readers for the papers the project prints (the approval sheet, the
council's protocol) shared by the PDF, rendering and verification tests: the renderers'
input dataclasses filled as a real school fills them, a document approved by the director,
and the QR codes a phone reads off the rendered pages."""

from __future__ import annotations

import datetime

import pypdfium2
from django.utils import timezone
from pyzbar import pyzbar

from council.rendering import ProtocolData, ProtocolItem
from documents.models import Document, Stage
from documents.pdf import ApprovalSheetData, ExpertRow, RoundRow
from tests.helpers import through_expertise

SCHOOL = "№94 жалпы орто билим берүү мектеби"
PRESENT = [
    "Сыдыкова Г.Ө.",
    "Токтогулова Н.Ү.",
    "Үмөтова Ж.Т.",
    "Мамытов Ө.Ң.",
    "Осмонова А.К.",
    "Бекова Ө.С.",
    "Жээнбеков А.С.",
]
ABSENT = ["Бакиров Т.Ө.", "Орозова Г.Т."]


def items(count: int = 2) -> list[ProtocolItem]:
    first = [
        ProtocolItem(
            number=1,
            title="Өнүгүү программасынын долбоорун кароо",
            heard="Сыдыкова Г.Ө. өнүгүү программасынын долбоору боюнча маалымат берди.",
            speakers="Үмөтова Ж.Т.: мониторинг көрсөткүчтөрүн тактоо керек.",
            resolution="Долбоор педагогикалык кеңешке бекитүүгө сунушталсын.",
            votes_for=6,
            votes_against=0,
            votes_abstained=1,
        ),
        ProtocolItem(
            number=2,
            title="Илимий-методикалык иштин планын бекитүү",
            heard="Төрага планды тааныштырды.",
            speakers="Мамытов Ө.Ң. планды колдоду.",
            resolution="План бекитилсин.",
            votes_for=7,
            votes_against=0,
            votes_abstained=0,
        ),
    ]
    extra = [
        ProtocolItem(
            number=n,
            title=f"Сабактын планы №{n}: Үмүт Өмүрбековна",
            heard="Угулду: " + "маалымат " * 40,
            speakers=f"Мугалим №{n} сүйлөдү.",
            resolution=f"Сабактын планы №{n} жактырылсын.",
            votes_for=7,
            votes_against=0,
            votes_abstained=0,
        )
        for n in range(3, count + 1)
    ]
    return (first + extra)[:count]


def protocol(language: str = "ky", **changes) -> ProtocolData:
    agenda_items = changes.pop("items", None) or items()
    values = {
        "language": language,
        "school_name": SCHOOL,
        "number": 3,
        "academic_year": "2022–2023",
        "session_on": datetime.date(2022, 8, 29),
        "place": "Мектептин китепканасы",
        "chair_name": "Сыдыкова Г.Ө.",
        "secretary_name": "Токтогулова Н.Ү.",
        "present": PRESENT,
        "absent": ABSENT,
        "members_total": 9,
        "agenda": [item.title for item in agenda_items],
        "items": agenda_items,
        "secretary_elected": None,
    }
    values.update(changes)
    return ProtocolData(**values)


def sheet(language: str = "ky", **changes) -> ApprovalSheetData:
    values = {
        "language": language,
        "school_name": "№94 жалпы орто билим берүү мектеби",
        "document_title": "Мектептин 2022–2027-жылдарга карата өнүгүү программасы",
        "document_type": "Өнүгүү программасы",
        "author_name": "Сыдыкова Гүлнара Өмүрбековна",
        "registry_number": "ИМК-2022/07",
        "version_number": 3,
        "reviewed_protocol_number": "1",
        "reviewed_on": datetime.date(2022, 8, 29),
        "approver_position": "Директордун милдетин аткаруучу",
        "approver_name": "Ажыгулова К.К.",
        "approved_on": datetime.date(2022, 9, 2),
        "council_protocol_number": "4",
        "council_session_on": datetime.date(2022, 8, 25),
        "rounds": [
            RoundRow(
                number=1,
                version=1,
                due_date=datetime.date(2022, 6, 10),
                experts=[
                    ExpertRow("Үмөтова Ж.Т.", "Өзгөртүүлөр менен", datetime.date(2022, 6, 8)),
                    ExpertRow("Мамытов Ө.Ң.", "Кайра иштетилсин", datetime.date(2022, 6, 9)),
                ],
                decision="Кайра иштетүүгө кайтарылсын",
                decided_on=datetime.date(2022, 6, 12),
            ),
            RoundRow(
                number=2,
                version=3,
                due_date=datetime.date(2022, 8, 15),
                experts=[
                    ExpertRow("Үмөтова Ж.Т.", "Жактырылсын", datetime.date(2022, 8, 10)),
                    ExpertRow("Мамытов Ө.Ң.", "Жактырылсын", None),
                ],
                decision="Кеңештин отурумуна сунушталсын",
                decided_on=None,
            ),
        ],
    }
    values.update(changes)
    return ApprovalSheetData(**values)


def qr_codes(data: bytes) -> list[str]:
    """Every QR code a phone would read on the pages, as text."""
    found = []
    document = pypdfium2.PdfDocument(data)
    for page in document:
        # ~144 dpi: coarser than any printer, finer than a phone needs.
        image = page.render(scale=2).to_pil()
        found += [symbol.data.decode() for symbol in pyzbar.decode(image)]
    return found


def approved_document(world, title: str = "Өнүгүү программасы 2026–2030") -> Document:
    """A document through the expertise, then approved by the director (the council steps
    are covered by tests/council/test_council_year.py)."""
    document = through_expertise(world, world.author, title)
    Document.objects.filter(pk=document.pk).update(
        stage=Stage.APPROVED,
        registry_number=f"{world.year.starts_on.year}-001",
        approved_by=world.director,
        approver_position="Директордун милдетин аткаруучу",
        approved_at=timezone.now(),
        pedagogical_protocol_number="2",
        pedagogical_reviewed_on=timezone.localdate(),
    )
    return Document.objects.get(pk=document.pk)


def stored(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()
