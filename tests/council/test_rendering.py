"""The council's protocol (PDF and DOCX) and annual report, read back as text. No
database: the renderers take plain dataclasses."""

from __future__ import annotations

import datetime
import io

import docx
import pytest
from docx.shared import Cm
from pypdf import PdfReader

from council.rendering import (
    AnnualReportData,
    ProtocolItem,
    render_annual_report_pdf,
    render_protocol_docx,
    render_protocol_pdf,
)
from tests.papers_support import PRESENT, SCHOOL, items, protocol


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    return flat("\n".join(pdf_pages(data)))


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return flat("\n".join(parts))


KY_EXPECTED = [
    SCHOOL,
    "ИЛИМИЙ-МЕТОДИКАЛЫК КЕҢЕШТИН ОТУРУМУНУН №3 ПРОТОКОЛУ",
    "2022–2023-окуу жылы",
    "“29” август 2022-жыл",
    "Мектептин китепканасы",
    "Төрага: Сыдыкова Г.Ө.",
    "Катчы: Токтогулова Н.Ү.",
    "Катышкандар: 7 / 9",
    "Катышпагандар: 2",
    "Бакиров Т.Ө., Орозова Г.Т.",
    "КҮН ТАРТИБИ: 1. Өнүгүү программасынын долбоорун кароо 2. Илимий-методикалык",
    "Добуш берүү: жактап — 6, каршы — 0, калыс — 1",
    "Добуш берүү: жактап — 7, каршы — 0, калыс — 0",
]
RU_EXPECTED = [
    SCHOOL,
    "ПРОТОКОЛ №3 заседания научно-методического совета",
    "2022–2023 учебный год",
    "«29» августа 2022 г.",
    "Председатель: Сыдыкова Г.Ө.",
    "Секретарь: Токтогулова Н.Ү.",
    "Присутствовали: 7 / 9",
    "Отсутствовали: 2",
    "Бакиров Т.Ө., Орозова Г.Т.",
    "ПОВЕСТКА ДНЯ: 1. Өнүгүү программасынын долбоорун кароо 2. Илимий-методикалык",
    "Голосовали: за — 6, против — 0, воздержались — 1",
    "Голосовали: за — 7, против — 0, воздержались — 0",
]
HEADINGS = {
    "ky": ("УГУЛДУ:", "СҮЙЛӨДҮ:", "ТОКТОМ:"),
    "ru": ("СЛУШАЛИ:", "ВЫСТУПИЛИ:", "ПОСТАНОВИЛИ:"),
}
RENDERERS = {"pdf": (render_protocol_pdf, pdf_text), "docx": (render_protocol_docx, docx_text)}


# -- the protocol ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pdf", "docx"])
@pytest.mark.parametrize(("language", "expected"), [("ky", KY_EXPECTED), ("ru", RU_EXPECTED)])
def test_protocol_has_the_official_layout(kind, language, expected):
    render, read = RENDERERS[kind]
    text = read(render(protocol(language)))
    for fragment in expected:
        assert fragment in text, fragment
    for heading in HEADINGS[language]:
        assert text.count(heading) == 2, heading
    for name in PRESENT:
        assert name in text
    # The agenda, then each item: heard, spoke, resolved, in that order.
    agenda = text.index("КҮН ТАРТИБИ:" if language == "ky" else "ПОВЕСТКА ДНЯ:")
    item = text.index("1. Өнүгүү программасынын долбоорун кароо", agenda + 20)
    heard, spoke, resolved = (text.index(heading) for heading in HEADINGS[language])
    assert agenda < item < heard < spoke < resolved
    # Signatures close the protocol: the chair's, then the secretary's.
    chair, secretary = (
        ("Төрага:", "Катчы:") if language == "ky" else ("Председатель:", "Секретарь:")
    )
    tail = text[text.rindex(chair) :]
    assert "Сыдыкова Г.Ө." in tail
    assert tail.index("Сыдыкова Г.Ө.") < tail.index(secretary) < tail.index("Токтогулова Н.Ү.")


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_secretary_election_is_recorded_when_given(kind):
    render, read = RENDERERS[kind]
    elected = protocol("ky", secretary_elected="Токтогулова Н.Ү.")
    text = read(render(elected))
    assert "Илимий-методикалык кеңештин катчысы болуп шайланды: Токтогулова Н.Ү." in text
    assert "шайланды" not in read(render(protocol("ky")))
    ru = read(render(protocol("ru", secretary_elected="Токтогулова Н.Ү.")))
    assert "Секретарём научно-методического совета избран(а): Токтогулова Н.Ү." in ru


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_vote_line_only_when_votes_are_given_and_silent_speakers_are_left_out(kind):
    render, read = RENDERERS[kind]
    quiet = ProtocolItem(
        number=1,
        title="Ар башка маселелер",
        heard="Маалымат угулду.",
        speakers="",
        resolution="Маалымат эске алынсын.",
        votes_for=None,
        votes_against=None,
        votes_abstained=None,
    )
    partly = ProtocolItem(
        number=2,
        title="Ачык сабактардын графиги",
        heard="",
        speakers="",
        resolution="График бекитилсин.",
        votes_for=7,
        votes_against=None,
        votes_abstained=None,
    )
    text = read(render(protocol("ky", items=[quiet, partly])))
    assert text.count("Добуш берүү:") == 1
    assert "Добуш берүү: жактап — 7, каршы — 0, калыс — 0" in text
    assert "СҮЙЛӨДҮ:" not in text
    assert text.count("УГУЛДУ:") == 1
    assert text.count("ТОКТОМ:") == 2


def test_protocol_without_absentees_says_so():
    text = pdf_text(render_protocol_pdf(protocol("ky", absent=[], members_total=7)))
    assert "Катышкандар: 7 / 7" in text
    assert "Катышпагандар: жок" in text
    ru = pdf_text(render_protocol_pdf(protocol("ru", absent=[], members_total=7)))
    assert "Отсутствовали: нет" in ru


def test_long_protocol_runs_over_pages_with_every_item_and_numbered_pages():
    long = protocol("ky", items=items(40))
    texts = pdf_pages(render_protocol_pdf(long))
    assert len(texts) > 3
    text = flat("\n".join(texts))
    for n in range(3, 41):
        assert f"{n}. Сабактын планы №{n}: Үмүт Өмүрбековна" in text
        assert f"Сабактын планы №{n} жактырылсын." in text
    for heading in HEADINGS["ky"]:
        assert text.count(heading) == 40
    for number, page in enumerate(texts, start=1):
        assert f"{number} / {len(texts)}" in page
    # The signatures are on the last page, after the last item.
    assert "Сыдыкова Г.Ө." in texts[-1]
    assert "Токтогулова Н.Ү." in texts[-1]


def test_long_protocol_docx_keeps_every_item():
    text = docx_text(render_protocol_docx(protocol("ru", items=items(40))))
    for n in range(1, 41):
        assert f"{n}. " in text
    assert text.count("СЛУШАЛИ:") == 40
    assert "Сабактын планы №40: Үмүт Өмүрбековна" in text


def test_docx_is_a4_in_times_with_the_language_and_page_numbers():
    document = docx.Document(io.BytesIO(render_protocol_docx(protocol("ky"))))
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.05)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.05)
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert 'w:val="ky-KG"' in document.styles["Normal"].element.xml
    assert document.core_properties.language == "ky-KG"
    assert "ПРОТОКОЛУ" in document.core_properties.title
    assert "PAGE" in section.footer.paragraphs[0]._p.xml


def test_protocol_pdf_metadata_names_the_protocol():
    reader = PdfReader(io.BytesIO(render_protocol_pdf(protocol("ru"))))
    assert reader.metadata.title == "ПРОТОКОЛ №3 заседания научно-методического совета"
    assert reader.trailer["/Root"]["/Lang"] == "ru"


# -- the annual report -----------------------------------------------------------------


def report(language: str = "ky", **changes) -> AnnualReportData:
    values = {
        "language": language,
        "school_name": SCHOOL,
        "academic_year": "2022–2023",
        "documents_by_type": [
            ("Өнүгүү программасы", {"Бекитилди": 1, "Кайра иштетүүдө": 0}),
            ("Сабактын планы", {"Бекитилди": 12, "Кайра иштетүүдө": 4, "Четке кагылды": 1}),
        ],
        "recommendations_made": 10,
        "recommendations_answered": 7,
        "sessions_per_quarter": [
            ("I чейрек", 2),
            ("II чейрек", 1),
            ("III чейрек", 0),
            ("IV чейрек", 1),
        ],
        "attendance_rate": 0.8611,
        "sessions": [
            (1, datetime.date(2022, 8, 25), 0.889),
            (2, datetime.date(2022, 10, 20), 0.778),
            (3, datetime.date(2022, 12, 22), 1.0),
            (4, datetime.date(2023, 5, 25), 0.778),
        ],
        "directions": "Санариптик сабаттуулук боюнча чыгармачыл топту түзүү.",
    }
    values.update(changes)
    return AnnualReportData(**values)


def t(language: str, msgid: str) -> str:
    """The label as the report prints it: translated through the project's catalog."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(language):
        return gettext(msgid)


NO_SESSION = "No session: regulation 5.1 requires one each quarter"


def test_annual_report_figures():
    text = pdf_text(render_annual_report_pdf(report("ky")))
    assert SCHOOL in text
    assert "2022–2023" in text
    # 7 of 10 recommendations answered.
    assert f"{t('ky', 'Recommendations made')} 10" in text
    assert f"{t('ky', 'Answered by the authors')} 7" in text
    assert f"{t('ky', 'Share answered')} 70%" in text
    # Outcomes as columns, a total per type and per outcome.
    assert "Өнүгүү программасы 1 0 0 1" in text
    assert "Сабактын планы 12 4 1 17" in text
    assert f"{t('ky', 'Total')} 13 4 1 18" in text
    # Sessions per quarter, the empty quarter flagged (regulation 5.1).
    assert f"III чейрек 0 {t('ky', NO_SESSION)}" in text
    assert text.count(t("ky", NO_SESSION)) == 1
    assert "86%" in text
    assert "№1 “25” август 2022-жыл 89%" in text
    assert "№3 “22” декабрь 2022-жыл 100%" in text
    assert "Санариптик сабаттуулук боюнча чыгармачыл топту түзүү." in text
    assert "Төрага:" in text


def test_annual_report_without_recommendations_or_attendance_shows_dashes():
    text = pdf_text(
        render_annual_report_pdf(
            report(
                "ru",
                recommendations_made=0,
                recommendations_answered=0,
                attendance_rate=None,
                sessions=[],
                documents_by_type=[],
            )
        )
    )
    assert f"{t('ru', 'Share answered')} —" in text
    assert f"{t('ru', 'Average attendance of the members:')} —" in text
    assert t("ru", "No documents went through the expertise this year.") in text
    assert "«" not in text  # no session dates to print
    assert "Председатель:" in text


def test_annual_report_share_is_rounded_to_a_whole_percent():
    text = pdf_text(
        render_annual_report_pdf(report(recommendations_made=3, recommendations_answered=2))
    )
    assert f"{t('ky', 'Share answered')} 67%" in text
