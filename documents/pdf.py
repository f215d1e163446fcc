"""PDF rendering: a small toolkit on fpdf2, and the approval sheet of an approved document.

Renderers here are pure: they take frozen dataclasses filled by the services and return
bytes, so they can run in a Celery worker or a test without a database.

Two kinds of words appear on the pages. Labels ("Author", table headings) go through
gettext like the rest of the UI. The fixed official formulae of a school document
("Каралды:", "Бекитем:", "Рассмотрено:", "Утверждаю:", the protocol headings) are tables in
code instead: they are regulated wording that must be right on the day the first sheet is
printed, whatever state the catalogs are in, and a translator must not "improve" them.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import segno
from django.utils import translation
from django.utils.translation import gettext, pgettext
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableCellFillMode, XPos, YPos

# fontTools' subsetter logs every glyph it keeps at INFO, a page of noise per PDF in the
# worker's log.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"

# Kyrgyz and Russian office practice (and the templates schools inherit): a wide left
# margin for the binder, a narrow right one.
MARGIN_LEFT = 30.0
MARGIN_RIGHT = 15.0
MARGIN_TOP = 20.0
MARGIN_BOTTOM = 20.0

BODY_SIZE = 11.0
SMALL_SIZE = 9.0
LINE = 5.5  # mm per line of body text
SIGNATURE_BLANK = "________________"
# Room left in a signature block for the signature field's visible stamp (and a hand).
SIGNATURE_ROOM = 12.0
# The QR code's side: about 0.75 mm per module for a 33-module code, which a phone reads
# from a printed page at arm's length.
QR_SIZE = 25.0
MM_PER_POINT = 25.4 / 72

# fpdf2 fills the page total in when the document is closed. The alias is switched on only
# while the footer is drawn, so a "{nb}" in someone's protocol text is printed as typed.
TOTAL_PAGES_ALIAS = "{nb}"

# The seed regulation writes the month in the nominative after the day ("“29” август
# 2022-жыл"); Russian needs the genitive ("«29» августа 2022 г.").
MONTHS_KY = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
MONTHS_RU_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def base_language(language: str) -> str:
    """The formulae's language for a language code: ky-KG → ky; anything but Kyrgyz and
    Russian falls back to English."""
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in ("ky", "ru") else "en"


def official_date(day: datetime.date, language: str) -> str:
    """The date as an official school document writes it, e.g. “29” август 2022-жыл."""
    lang = base_language(language)
    if lang == "ky":
        return f"“{day.day:02d}” {MONTHS_KY[day.month - 1]} {day.year}-жыл"
    if lang == "ru":
        return f"«{day.day:02d}» {MONTHS_RU_GENITIVE[day.month - 1]} {day.year} г."
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def short_date(day: datetime.date | None) -> str:
    # DD.MM.YYYY reads the same in Kyrgyz, Russian and the schools' English; tables use it.
    return day.strftime("%d.%m.%Y") if day else "—"


def percent(share: float | None) -> str:
    if share is None:
        return "—"
    # Half up, as people round by hand: Python's round() would print 2.5% as "2%".
    whole = (Decimal(str(share)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{whole}%"


def clean(text: str) -> str:
    """Normalise user text for the PDF: line breaks that fpdf2 understands, no tabs or
    stray control characters (which would print as missing-glyph boxes)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(ch for ch in text if ch == "\n" or ch >= " ")


@dataclass(frozen=True)
class Verification:
    """The paper's verification code as printed: the QR code leads to `url`, `code` is
    the same code in groups for typing, `check_url` the page where it is typed."""

    code: str
    url: str
    check_url: str


@dataclass(frozen=True)
class Box:
    """A rectangle on a page (1-based) in mm from the page's top-left corner, as fpdf2
    counts; the signature field is placed there."""

    page: int
    x: float
    y: float
    width: float
    height: float

    def in_points(self, page_height_mm: float) -> tuple[float, float, float, float]:
        """(x1, y1, x2, y2) in points from the bottom-left corner, as PDF counts."""
        return (
            self.x / MM_PER_POINT,
            (page_height_mm - self.y - self.height) / MM_PER_POINT,
            (self.x + self.width) / MM_PER_POINT,
            (page_height_mm - self.y) / MM_PER_POINT,
        )


@dataclass(frozen=True)
class Rendered:
    """A rendered PDF and the places its layout left for a visible signature."""

    data: bytes
    signature_boxes: list[Box]
    page_height: float = 297.0  # A4, mm


@dataclass(frozen=True)
class Cell:
    """A table cell that needs more than a string: spanning rows, alignment, bold."""

    text: str
    rowspan: int = 1
    align: str | None = None
    bold: bool = False


class DocumentPDF(FPDF):
    """An A4 page set-up shared by every document the engine prints."""

    def __init__(
        self,
        *,
        title: str,
        language: str,
        subject: str = "",
        author: str = "",
        footer_text: str = "",
        verification: Verification | None = None,
    ) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.verification = verification
        # Where a signature field may go, in the order the page offers them.
        self.signature_boxes: list[Box] = []
        self.add_font(FAMILY, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        self.set_auto_page_break(auto=True, margin=MARGIN_BOTTOM)
        self.alias_nb_pages(None)
        self.set_title(" ".join(clean(title).split()))
        self.set_lang(language)
        if subject:
            self.set_subject(clean(subject))
        if author:
            self.set_author(clean(author))
        self.set_creator("School council document engine")
        self.set_display_mode(zoom="fullwidth")
        self.footer_text = " ".join(clean(footer_text).split())
        self.add_page()
        self.set_font(FAMILY, size=BODY_SIZE)

    def footer(self) -> None:
        self.set_y(-MARGIN_BOTTOM + 6)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90)
        previous_alias = self.str_alias_nb_pages
        self.alias_nb_pages(TOTAL_PAGES_ALIAS, align=Align.L)
        number = f"{self.page_no()} / {TOTAL_PAGES_ALIAS}"
        if self.footer_text:
            self.cell(self.epw * 0.8, 5, self.fit(self.footer_text, self.epw * 0.8), align=Align.L)
            self.set_x(self.l_margin + self.epw * 0.8)
            self.cell(self.epw * 0.2, 5, number, align=Align.R)
        else:
            self.cell(0, 5, number, align=Align.C)
        if self.verification is not None:
            # On every page: a page separated from the others can still be checked.
            self.set_xy(self.l_margin, -MARGIN_BOTTOM + 10)
            self.cell(
                self.epw,
                4,
                f"{gettext('Verification code')}: {self.verification.code}",
                align=Align.L,
            )
        self.alias_nb_pages(previous_alias)
        self.set_text_color(0)

    def output(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # fpdf2 substitutes the total only if the alias is on when the file is written.
        self.alias_nb_pages(TOTAL_PAGES_ALIAS)
        return super().output(*args, **kwargs)

    # -- building blocks -----------------------------------------------------------------

    @contextmanager
    def font(self, *, bold: bool = False, size: float | None = None) -> Iterator[None]:
        previous = (self.font_style, self.font_size_pt)
        self.set_font(FAMILY, "B" if bold else "", size or previous[1])
        try:
            yield
        finally:
            self.set_font(FAMILY, previous[0], previous[1])

    def fit(self, text: str, width: float) -> str:
        """`text` cut with an ellipsis to fit on one line of `width` mm."""
        text = " ".join(text.split())
        room = width - 2 * self.c_margin
        if self.get_string_width(text) <= room:
            return text
        while text and self.get_string_width(text + "…") > room:
            text = text[:-1]
        return text.rstrip() + "…"

    def ensure_space(self, height: float) -> None:
        """Start a new page unless `height` mm fit: keeps a heading with what follows it."""
        if self.will_page_break(height):
            self.add_page()

    def spacer(self, height: float = LINE / 2) -> None:
        if not self.will_page_break(height):
            self.ln(height)

    def heading(self, text: str, *, size: float = 13, align: str = "C") -> None:
        self.ensure_space(size * 0.6 + 3 * LINE)
        with self.font(bold=True, size=size):
            self.multi_cell(
                0, size * 0.5, clean(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        self.spacer(2)

    def paragraph(
        self,
        text: str,
        *,
        bold: bool = False,
        size: float | None = None,
        align: str = "J",
        indent: float = 0,
        height: float = LINE,
    ) -> None:
        with self.font(bold=bold, size=size):
            for part in clean(text).split("\n"):
                self.set_x(self.l_margin + indent)
                # One cell per typed line: a line the author ended short stays short
                # instead of being justified across the page.
                self.multi_cell(
                    self.epw - indent,
                    height,
                    part or " ",
                    align=align,
                    new_x=XPos.LMARGIN,
                    new_y=YPos.NEXT,
                )

    def labelled(self, label: str, text: str) -> None:
        """A label and its text as a typed form has them: on one line when they fit, else the
        label on its own line and the text indented under it (fpdf2 would cut a name in
        two rather than wrap it after a label written on the same line)."""
        label, text = clean(label), clean(text)
        with self.font(bold=True):
            label_width = self.get_string_width(label + " ") + self.c_margin
        if "\n" not in text and label_width + self.get_string_width(text) < self.epw - 2:
            self.ensure_space(LINE)
            with self.font(bold=True):
                # The space stays inside the label's run so that copied text reads right.
                self.cell(label_width, LINE, label + " ")
            self.set_x(self.get_x() - self.c_margin)
            self.cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.ensure_space(2 * LINE)
            self.paragraph(label, bold=True, align="L")
            self.paragraph(text, indent=8, align="L")

    def numbered(self, items: Sequence[str], *, start: int = 1, bold: bool = False) -> None:
        """A numbered list with a hanging indent, as an agenda is typed. Left-aligned:
        justified short lines open wide gaps between the words."""
        hang = 8.0
        with self.font(bold=bold):
            for number, item in enumerate(items, start=start):
                self.ensure_space(LINE)
                self.cell(hang, LINE, f"{number}.")
                self.multi_cell(
                    self.epw - hang,
                    LINE,
                    clean(item) or "—",
                    align="L",
                    new_x=XPos.LMARGIN,
                    new_y=YPos.NEXT,
                )

    def label_value_table(
        self, rows: Sequence[tuple[str, str]], *, label_share: float = 0.36
    ) -> None:
        """Two columns without a heading row: the label in bold, the value beside it."""
        with (
            self.font(size=BODY_SIZE),
            # fpdf2 centres a table on the page, not between the margins; the binder margin
            # would put it off-centre, so tables hang from the left margin like the text.
            self.table(
                align="LEFT",
                col_widths=(label_share, 1 - label_share),
                first_row_as_headings=False,
                borders_layout="HORIZONTAL_LINES",
                text_align=("LEFT", "LEFT"),
                v_align="TOP",
                line_height=LINE,
                padding=(1.2, 1.5),
            ) as table,
        ):
            for label, value in rows:
                row = table.row()
                row.cell(clean(label), style=FontFace(emphasis="BOLD"))
                row.cell(clean(value) or "—")
        self.spacer(3)

    def data_table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str | Cell]],
        *,
        col_widths: Sequence[float],
        align: Sequence[str] | None = None,
        size: float = SMALL_SIZE,
    ) -> None:
        """A bordered table whose heading row repeats at the top of every page.

        A row may hold fewer cells than the header when an earlier `Cell(rowspan=n)`
        covers the rest, exactly as fpdf2 expects. Text is printed as given: the caller
        knows whether an empty cell means "nothing" or "—".
        """
        aligns = tuple(align or ["LEFT"] * len(header))
        with (
            self.font(size=size),
            self.table(
                align="LEFT",
                col_widths=tuple(col_widths),
                text_align=aligns,
                v_align="TOP",
                line_height=size * 0.48,
                padding=(1.0, 1.2),
                headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
                cell_fill_mode=TableCellFillMode.NONE,
                repeat_headings=1,
            ) as table,
        ):
            heading = table.row()
            for title in header:
                heading.cell(clean(title), align="CENTER")
            for values in rows:
                row = table.row()
                for value in values:
                    if isinstance(value, Cell):
                        row.cell(
                            clean(value.text),
                            rowspan=value.rowspan,
                            align=value.align,
                            style=FontFace(emphasis="BOLD") if value.bold else None,
                        )
                    else:
                        row.cell(clean(value))
        self.spacer(3)

    def two_blocks(self, left: Sequence[str], right: Sequence[str], *, width: float = 72) -> None:
        """Two blocks of lines side by side at the top of a page: the "Каралды" block on the
        left margin, the "Бекитем" block against the right one. Their first lines are
        headings and printed bold."""
        top = self.y
        bottoms = []
        for lines, x in ((left, self.l_margin), (right, self.l_margin + self.epw - width)):
            self.set_xy(x, top)
            for index, line in enumerate(lines):
                if not line:
                    # An empty line leaves room, as the seed leaves room for the signature;
                    # the electronic signature's stamp goes there too.
                    self.signature_boxes.append(Box(self.page, x, self.y, width, SIGNATURE_ROOM))
                    self.set_xy(x, self.y + SIGNATURE_ROOM)
                    continue
                with self.font(bold=index == 0):
                    self.set_x(x)
                    self.multi_cell(
                        width, LINE + 0.5, clean(line), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT
                    )
            bottoms.append(self.y)
        self.set_xy(self.l_margin, max(bottoms))

    def signature(self, role: str, name: str) -> None:
        """Role, blank for the signature and name on one line, as tall as a signature."""
        self.ensure_space(3 * LINE)
        role_width = 45.0
        blank_width = 50.0
        with self.font(bold=True):
            self.cell(role_width, 3 * LINE, clean(role))
        self.cell(blank_width, 3 * LINE, SIGNATURE_BLANK)
        self.multi_cell(
            self.epw - role_width - blank_width,
            3 * LINE,
            clean(name),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def qr_code(self, data: str, *, x: float, y: float, size: float = QR_SIZE) -> None:
        """A QR code drawn as vector squares: sharp at any printer's resolution, and no
        image to embed. The white quiet zone around it is the caller's to leave."""
        rows = [list(row) for row in segno.make(data, error="m").matrix_iter(border=0)]
        module = size / len(rows)
        self.set_fill_color(0)
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                # A hair taller than a module, so that no printer leaves a seam between rows.
                self.rect(
                    x + start * module, y + r * module, (c - start) * module, module + 0.02, "F"
                )
        self.set_fill_color(255)

    def verification_block(self, *, signature_room: bool = False) -> None:
        """The paper's QR code against the right margin and, beside it, where and how to
        check the paper; with `signature_room`, the left part is left free for the visible
        electronic signature (its field is placed there when the PDF is signed)."""
        if self.verification is None:
            return
        quiet = 2.0  # the QR code's quiet zone, in mm, beyond its own modules
        height = QR_SIZE + 2 * quiet
        self.ensure_space(height + 2)
        top = self.y
        left = self.l_margin
        if signature_room:
            room = 62.0
            self.signature_boxes.append(Box(self.page, left, top + quiet, room, QR_SIZE))
            left += room + 4
        qr_x = self.l_margin + self.epw - QR_SIZE - quiet
        text_width = qr_x - quiet - left
        self.set_xy(left, top + quiet)
        with self.font(bold=True, size=SMALL_SIZE):
            self.multi_cell(
                text_width,
                4.2,
                gettext("Check that this paper is genuine:"),
                align="L",
                new_x=XPos.LEFT,
                new_y=YPos.NEXT,
            )
        with self.font(size=SMALL_SIZE - 1):
            self.multi_cell(
                text_width,
                3.8,
                gettext("scan the QR code, or open %(url)s and type the code")
                % {"url": self.verification.check_url},
                align="L",
                new_x=XPos.LEFT,
                new_y=YPos.NEXT,
            )
        self.set_x(left)
        # The code on one line, never wrapped in the middle: the largest size that fits.
        size = SMALL_SIZE + 2
        with self.font(bold=True, size=size):
            while size > 6 and self.get_string_width(self.verification.code) > text_width - 2:
                size -= 0.5
                self.set_font_size(size)
            self.cell(text_width, 5, self.verification.code, align="L")
        self.ln(5)
        self.qr_code(self.verification.url, x=qr_x, y=top + quiet)
        self.set_xy(self.l_margin, max(self.y, top + height))

    def to_bytes(self) -> bytes:
        return bytes(self.output())

    def rendered(self) -> Rendered:
        """The bytes and where a signature may go. Call inside the language override:
        the last page's footer is drawn now."""
        data = self.to_bytes()
        return Rendered(data=data, signature_boxes=list(self.signature_boxes))


# -- the visible signature's stamp -----------------------------------------------------


def render_signature_stamp(*, width: float, height: float, lines: Sequence[str]) -> bytes:
    """The appearance of a visible signature: a one-page PDF exactly the size of the
    signature field, set in DejaVu like the paper (the signing library's own fonts have
    no ң ө ү), framed and in ink blue as a stamp is."""
    stamp = FPDF(orientation="P", unit="mm", format=(width, height))
    stamp.add_font(FAMILY, "", FONT_DIR / "DejaVuSans.ttf")
    stamp.add_font(FAMILY, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    stamp.set_margins(1.5, 1.2, 1.5)
    stamp.set_auto_page_break(False)
    stamp.add_page()
    stamp.set_draw_color(30, 60, 150)
    stamp.set_text_color(30, 60, 150)
    stamp.set_line_width(0.3)
    stamp.rect(0.3, 0.3, width - 0.6, height - 0.6)
    room = height - 2.4
    line_height = min(3.4, room / max(len(lines), 1))
    size = line_height / 0.45
    stamp.set_y((height - line_height * len(lines)) / 2)  # centred, as a stamp is struck
    for index, line in enumerate(lines):
        stamp.set_font(FAMILY, "B" if index == 0 else "", size)
        text = " ".join(clean(line).split())
        while text and stamp.get_string_width(text) > width - 3.2:
            text = text[:-1]
        stamp.cell(0, line_height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(stamp.output())


# -- the approval sheet ----------------------------------------------------------------


@dataclass(frozen=True)
class ExpertRow:
    name: str
    opinion: str
    submitted_on: datetime.date | None


@dataclass(frozen=True)
class RoundRow:
    number: int
    version: int
    due_date: datetime.date
    experts: list[ExpertRow]
    decision: str
    decided_on: datetime.date | None


@dataclass(frozen=True)
class ApprovalSheetData:
    language: str
    school_name: str
    document_title: str
    document_type: str
    author_name: str
    registry_number: str
    version_number: int
    reviewed_protocol_number: str
    reviewed_on: datetime.date
    approver_position: str
    approver_name: str
    approved_on: datetime.date
    council_protocol_number: str | None
    council_session_on: datetime.date | None
    rounds: list[RoundRow]
    verification: Verification | None = None


def reviewed_block(protocol_number: str, on: datetime.date, language: str) -> list[str]:
    """The "Каралды" block, line by line, in the wording of the regulation's header."""
    lang = base_language(language)
    number = str(protocol_number).strip().lstrip("№").strip()
    if lang == "ky":
        return [
            "Каралды:",
            "Педагогикалык кеңештин",
            f"№{number} протоколунда",
            official_date(on, lang),
        ]
    if lang == "ru":
        return [
            "Рассмотрено:",
            "на педагогическом совете,",
            f"протокол №{number}",
            f"от {official_date(on, lang)}",
        ]
    return [
        "Reviewed:",
        "at the pedagogical council,",
        f"protocol No. {number}",
        f"of {official_date(on, lang)}",
    ]


def approved_block(
    position: str, school: str, name: str, on: datetime.date, language: str
) -> list[str]:
    """The "Бекитем" block: position, school, the blank for the signature and the name,
    then the date of approval."""
    lang = base_language(language)
    heading = {"ky": "Бекитем:", "ru": "Утверждаю:", "en": "Approved:"}[lang]
    return [heading, position, school, "", f"{SIGNATURE_BLANK} {name}", official_date(on, lang)]


def render_approval_sheet(data: ApprovalSheetData) -> bytes:
    return build_approval_sheet(data).data


def build_approval_sheet(data: ApprovalSheetData) -> Rendered:
    """The sheet, and where its "Бекитем" block leaves room for the signature."""
    lang = base_language(data.language)
    with translation.override(base_language(data.language)):
        pdf = DocumentPDF(
            title=f"{gettext('Approval sheet')}: {data.document_title}",
            language=data.language,
            subject=data.document_type,
            author=data.school_name,
            footer_text=f"{data.school_name} · {gettext('Registry number')} {data.registry_number}",
            verification=data.verification,
        )
        pdf.two_blocks(
            reviewed_block(data.reviewed_protocol_number, data.reviewed_on, lang),
            approved_block(
                data.approver_position,
                data.school_name,
                data.approver_name,
                data.approved_on,
                lang,
            ),
        )
        pdf.ln(14)

        pdf.heading(data.document_title, size=15)
        pdf.paragraph(data.document_type, align="C", size=SMALL_SIZE + 1)
        pdf.spacer(8)

        pdf.heading(gettext("Approval sheet"), size=12, align="L")
        council = "—"
        if data.council_protocol_number:
            number = str(data.council_protocol_number).strip().lstrip("№").strip()
            council = f"№{number}"
            if data.council_session_on:
                council += f", {official_date(data.council_session_on, lang)}"
        pdf.label_value_table(
            [
                (gettext("Author"), data.author_name),
                (gettext("Registry number"), data.registry_number),
                (gettext("Approved version"), str(data.version_number)),
                (gettext("Protocol of the council session"), council),
            ]
        )

        pdf.heading(gettext("History of the expertise"), size=12, align="L")
        if data.rounds:
            pdf.data_table(
                [
                    pgettext("expertise round", "Round"),
                    gettext("Version"),
                    gettext("Expert"),
                    gettext("Opinion"),
                    gettext("Submitted"),
                    gettext("Chair's decision"),
                    gettext("Decided on"),
                ],
                _round_rows(data.rounds),
                # Wide enough that no header breaks inside a word ("Тапшырылды").
                col_widths=(11, 15, 28, 26, 27, 34, 24),
                align=("CENTER", "CENTER", "LEFT", "LEFT", "CENTER", "LEFT", "CENTER"),
                size=8,
            )
        else:
            pdf.paragraph(gettext("No expertise rounds are recorded."))
        pdf.spacer(4)
        pdf.verification_block()
        return pdf.rendered()


def _round_rows(rounds: Sequence[RoundRow]) -> list[list[str | Cell]]:
    """One table row per expert; the round's own columns span all its experts' rows, so
    a round reads as one block and never splits across a page."""
    rows: list[list[str | Cell]] = []
    for rnd in rounds:
        experts = rnd.experts or [ExpertRow(name="—", opinion="—", submitted_on=None)]
        span = len(experts)
        for index, expert in enumerate(experts):
            expert_cells: list[str | Cell] = [
                expert.name or "—",
                expert.opinion or "—",
                Cell(short_date(expert.submitted_on), align="CENTER"),
            ]
            if index == 0:
                rows.append(
                    [
                        Cell(str(rnd.number), rowspan=span, align="CENTER", bold=True),
                        Cell(str(rnd.version), rowspan=span, align="CENTER"),
                        *expert_cells,
                        Cell(rnd.decision or "—", rowspan=span),
                        Cell(short_date(rnd.decided_on), rowspan=span, align="CENTER"),
                    ]
                )
            else:
                rows.append(expert_cells)
    return rows
