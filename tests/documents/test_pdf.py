"""The PDF toolkit and the approval sheet, read back with pypdf as a user's viewer (or a
search index) would read them. No database: the renderers take plain dataclasses."""

from __future__ import annotations

import datetime
import io

import pytest
from pypdf import PdfReader

from documents import pdf
from documents.pdf import (
    Cell,
    DocumentPDF,
    RoundRow,
    official_date,
    render_approval_sheet,
)
from tests.papers_support import sheet

KYRGYZ_LETTERS = "ң ө ү Ң Ө Ү"


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Whitespace collapsed: where a line wraps is the layout's business, not the test's."""
    return " ".join(text.split())


def text_of(data: bytes) -> str:
    return flat("\n".join(pages(data)))


def positions(data: bytes, page: int = 0) -> dict[str, tuple[float, float]]:
    """Where each text run starts on a page, in points from the bottom-left corner."""
    found: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            found.setdefault(text.strip(), (tm[4], tm[5]))

    PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return found


# -- the toolkit -----------------------------------------------------------------------


def test_kyrgyz_letters_survive_text_extraction():
    doc = DocumentPDF(title="Өнүгүү", language="ky")
    doc.heading(f"Өнүгүү программасы {KYRGYZ_LETTERS}")
    doc.paragraph(f"Мугалимдердин чыгармачыл тобу: {KYRGYZ_LETTERS}", bold=True)
    doc.paragraph(f"Кеңештин сунуштары {KYRGYZ_LETTERS}")
    text = text_of(doc.to_bytes())
    assert f"Өнүгүү программасы {KYRGYZ_LETTERS}" in text
    assert f"Мугалимдердин чыгармачыл тобу: {KYRGYZ_LETTERS}" in text
    assert f"Кеңештин сунуштары {KYRGYZ_LETTERS}" in text


def test_page_is_a4_with_metadata_and_the_fonts_embedded():
    data = DocumentPDF(title="Бекитүү барагы: Өнүгүү", language="ky", author="№94").to_bytes()
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert reader.metadata.title == "Бекитүү барагы: Өнүгүү"
    assert reader.metadata.author == "№94"
    assert reader.trailer["/Root"]["/Lang"] == "ky"
    fonts = {
        str(font.get_object()["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert any("DejaVuSans" in name for name in fonts)


def test_table_heading_repeats_on_every_page_and_pages_are_numbered():
    doc = DocumentPDF(title="Table", language="ky")
    doc.data_table(
        ["Аты-жөнү", "Корутунду"],
        [[f"Мугалим №{n} Өмүрбек", Cell(f"Жактырылсын {n}", align="CENTER")] for n in range(150)],
        col_widths=(1, 1),
    )
    texts = pages(doc.to_bytes())
    assert len(texts) > 2
    for number, page_text in enumerate(texts, start=1):
        assert "Аты-жөнү" in page_text
        assert "Корутунду" in page_text
        assert f"{number} / {len(texts)}" in page_text
    everything = flat("\n".join(texts))
    assert all(f"Мугалим №{n} Өмүрбек" in everything for n in range(150))


def test_user_text_that_looks_like_the_page_total_alias_is_printed_as_typed():
    doc = DocumentPDF(title="Alias", language="ky")
    doc.paragraph("Шаблон: {nb} беттен")
    text = text_of(doc.to_bytes())
    assert "Шаблон: {nb} беттен" in text
    assert "1 / 1" in text


def test_label_value_table_and_long_labels_wrap_without_losing_words():
    doc = DocumentPDF(title="Labels", language="ky")
    doc.label_value_table([("Каттоо номери", "ИМК-2022/07"), ("Автор", "Үмөтова Ж.Т.")])
    doc.labelled("Илимий-методикалык кеңештин катчысы болуп шайланды:", "Токтогулова Ү.Б.")
    text = text_of(doc.to_bytes())
    assert "Каттоо номери ИМК-2022/07" in text
    assert "Автор Үмөтова Ж.Т." in text
    # The name is never cut in two by a wrap after a long label.
    assert "Токтогулова Ү.Б." in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ky", ["январь", "февраль", "март", "апрель", "май", "июнь"]),
        ("ru", ["января", "февраля", "марта", "апреля", "мая", "июня"]),
    ],
)
def test_official_dates_use_the_right_month_form(language, expected):
    firsts = [official_date(datetime.date(2023, month, 5), language) for month in range(1, 7)]
    for written, month in zip(firsts, expected, strict=True):
        assert month in written
    assert official_date(datetime.date(2022, 12, 31), "ky") == "“31” декабрь 2022-жыл"
    assert official_date(datetime.date(2022, 8, 29), "ru") == "«29» августа 2022 г."
    assert official_date(datetime.date(2022, 8, 29), "en") == "29 August 2022"


# -- the approval sheet ----------------------------------------------------------------


def test_kyrgyz_approval_sheet_carries_the_regulation_header():
    data = render_approval_sheet(sheet("ky"))
    text = text_of(data)

    assert "Каралды: Педагогикалык кеңештин №1 протоколунда “29” август 2022-жыл" in text
    assert "Бекитем: Директордун милдетин аткаруучу №94 жалпы орто билим берүү мектеби" in text
    assert "Ажыгулова К.К. “02” сентябрь 2022-жыл" in text
    # The header comes first, the document after it.
    assert text.index("Каралды:") < text.index("Мектептин 2022–2027-жылдарга")
    for letter in "ңөүҢӨҮ":
        assert letter in text


def test_reviewed_block_is_on_the_left_and_approved_block_on_the_right():
    where = positions(render_approval_sheet(sheet("ky")))
    reviewed_x, reviewed_y = where["Каралды:"]
    approved_x, approved_y = where["Бекитем:"]
    left_margin = pdf.MARGIN_LEFT / 25.4 * 72
    assert abs(reviewed_x - left_margin) < 5
    assert approved_x > 595 / 2  # the right half of an A4 page
    assert abs(reviewed_y - approved_y) < 1  # side by side, on the same line


def test_kyrgyz_approval_sheet_lists_the_record_and_the_expertise_history():
    text = text_of(render_approval_sheet(sheet("ky")))
    for expected in (
        "Мектептин 2022–2027-жылдарга карата өнүгүү программасы",
        "Өнүгүү программасы",
        "Сыдыкова Гүлнара Өмүрбековна",
        "ИМК-2022/07",
        "№4, “25” август 2022-жыл",
        "Үмөтова Ж.Т.",
        "Мамытов Ө.Ң.",
        "Кайра иштетилсин",
        "08.06.2022",
        "09.06.2022",
        "12.06.2022",
        "Кеңештин отурумуна сунушталсын",
    ):
        assert expected in text, expected


def test_russian_approval_sheet_uses_the_russian_formulae():
    text = text_of(render_approval_sheet(sheet("ru", approver_position="Директор")))
    assert "Рассмотрено: на педагогическом совете, протокол №1 от «29» августа 2022 г." in text
    assert "Утверждаю: Директор №94 жалпы орто билим берүү мектеби" in text
    assert "Ажыгулова К.К. «02» сентября 2022 г." in text
    assert "№4, «25» августа 2022 г." in text
    assert "Каралды" not in text


def ky(msgid: str) -> str:
    """A label as the Kyrgyz sheet prints it (through the project's catalog)."""
    from django.utils import translation

    with translation.override("ky"):
        return pdf.gettext(msgid)


@pytest.mark.parametrize("language", ["en", "de"])
def test_other_languages_fall_back_to_english_formulae(language):
    text = text_of(render_approval_sheet(sheet(language)))
    assert "Reviewed: at the pedagogical council, protocol No. 1 of 29 August 2022" in text
    assert "Approved: Директордун милдетин аткаруучу" in text
    assert "Registry number" in text


def test_labels_go_through_gettext_but_the_formulae_do_not(monkeypatch):
    monkeypatch.setattr(pdf, "gettext", lambda message: f"<{message}>")
    text = text_of(render_approval_sheet(sheet("ky")))
    assert "<Registry number>" in text
    assert "<Author>" in text
    # The official wording does not depend on a catalog.
    assert "Каралды:" in text
    assert "Бекитем:" in text
    assert "<Каралды" not in text


def test_protocol_numbers_are_written_once_even_when_given_with_the_sign():
    text = text_of(render_approval_sheet(sheet("ky", reviewed_protocol_number="№ 7")))
    assert "№7 протоколунда" in text
    assert "№№" not in text


def test_sheet_without_council_session_or_rounds_still_renders():
    text = text_of(
        render_approval_sheet(
            sheet("ky", council_protocol_number=None, council_session_on=None, rounds=[])
        )
    )
    assert "Каралды:" in text
    assert ky("No expertise rounds are recorded.") in text


def test_round_without_experts_prints_dashes_not_gaps():
    empty = RoundRow(
        number=1,
        version=1,
        due_date=datetime.date(2022, 6, 1),
        experts=[],
        decision="",
        decided_on=None,
    )
    text = text_of(render_approval_sheet(sheet("ky", rounds=[empty])))
    history = text[text.index(ky("History of the expertise")) :]
    assert history.count("—") >= 4


@pytest.mark.parametrize(
    ("share", "expected"),
    [(0.7, "70%"), (2 / 3, "67%"), (0.025, "3%"), (0.125, "13%"), (1.0, "100%"), (None, "—")],
)
def test_percent_rounds_half_up(share, expected):
    assert pdf.percent(share) == expected


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_no_heading_of_the_expertise_history_breaks_inside_a_word(language):
    from django.utils import translation
    from django.utils.translation import gettext, pgettext

    words = set(text_of(render_approval_sheet(sheet(language))).split())
    with translation.override(language):
        headings = [
            pgettext("expertise round", "Round"),
            gettext("Version"),
            gettext("Expert"),
            gettext("Opinion"),
            gettext("Submitted"),
            gettext("Chair's decision"),
            gettext("Decided on"),
        ]
    for heading in headings:
        for word in heading.split():
            assert word in words, f"{word!r} of {heading!r} is broken across lines"
