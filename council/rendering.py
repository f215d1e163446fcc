"""The council's printed papers: the protocol of a session (PDF and DOCX, regulation 5.3)
and the annual report to the pedagogical council (PDF, regulation 5.2 and 5.5).

Pure functions of frozen dataclasses, like documents/pdf.py: the services gather the
records, these only lay them out. The protocol's headings are the fixed wording of a
school protocol and live in `PROTOCOL_WORDS`, not in the catalogs (see documents/pdf.py).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext, pgettext
from docx import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from documents.pdf import (
    LINE,
    QR_SIZE,
    SIGNATURE_BLANK,
    SMALL_SIZE,
    Cell,
    DocumentPDF,
    Rendered,
    Verification,
    base_language,
    clean,
    official_date,
    percent,
)

# The wording of a school protocol, per language. "калыс" (neutral) is how Kyrgyz
# protocols count an abstention.
PROTOCOL_WORDS: dict[str, dict[str, str]] = {
    "ky": {
        # Broken where a typist breaks it, not where the line happens to end.
        "title": "ИЛИМИЙ-МЕТОДИКАЛЫК КЕҢЕШТИН\nОТУРУМУНУН №{number} ПРОТОКОЛУ",
        "subtitle": "",
        "year": "{year}-окуу жылы",
        "chair": "Төрага:",
        "secretary": "Катчы:",
        "present": "Катышкандар:",
        "absent": "Катышпагандар:",
        "nobody": "жок",
        "agenda": "КҮН ТАРТИБИ:",
        "heard": "УГУЛДУ:",
        "spoke": "СҮЙЛӨДҮ:",
        "resolved": "ТОКТОМ:",
        "votes": "Добуш берүү: жактап — {votes_for}, каршы — {against}, калыс — {abstained}",
        "elected": "Илимий-методикалык кеңештин катчысы болуп шайланды:",
    },
    "ru": {
        "title": "ПРОТОКОЛ №{number}",
        "subtitle": "заседания научно-методического совета",
        "year": "{year} учебный год",
        "chair": "Председатель:",
        "secretary": "Секретарь:",
        "present": "Присутствовали:",
        "absent": "Отсутствовали:",
        "nobody": "нет",
        "agenda": "ПОВЕСТКА ДНЯ:",
        "heard": "СЛУШАЛИ:",
        "spoke": "ВЫСТУПИЛИ:",
        "resolved": "ПОСТАНОВИЛИ:",
        "votes": "Голосовали: за — {votes_for}, против — {against}, воздержались — {abstained}",
        "elected": "Секретарём научно-методического совета избран(а):",
    },
    "en": {
        "title": "MINUTES No. {number}",
        "subtitle": "of the session of the scientific-methodical council",
        "year": "Academic year {year}",
        "chair": "Chair:",
        "secretary": "Secretary:",
        "present": "Present:",
        "absent": "Absent:",
        "nobody": "none",
        "agenda": "AGENDA:",
        "heard": "HEARD:",
        "spoke": "SPOKE:",
        "resolved": "RESOLVED:",
        "votes": "Voting: for — {votes_for}, against — {against}, abstained — {abstained}",
        "elected": "Secretary of the council elected:",
    },
}


@dataclass(frozen=True)
class ProtocolItem:
    number: int
    title: str
    heard: str
    speakers: str
    resolution: str
    votes_for: int | None
    votes_against: int | None
    votes_abstained: int | None


@dataclass(frozen=True)
class ProtocolData:
    language: str
    school_name: str
    number: int
    academic_year: str
    session_on: datetime.date
    place: str
    chair_name: str
    secretary_name: str
    present: list[str]
    absent: list[str]
    members_total: int
    agenda: list[str]
    items: list[ProtocolItem]
    secretary_elected: str | None
    verification: Verification | None = None


@dataclass(frozen=True)
class AnnualReportData:
    language: str
    school_name: str
    academic_year: str
    documents_by_type: list[tuple[str, dict[str, int]]]  # (type label, {outcome label: count})
    recommendations_made: int
    recommendations_answered: int
    sessions_per_quarter: list[tuple[str, int]]  # (quarter label, count)
    attendance_rate: float | None  # 0..1
    sessions: list[tuple[int, datetime.date, float]]  # (protocol number, date, attendance 0..1)
    directions: str  # free text: directions for next year
    verification: Verification | None = None


def _words(language: str) -> dict[str, str]:
    return PROTOCOL_WORDS[base_language(language)]


def vote_line(item: ProtocolItem, language: str) -> str | None:
    """The vote, or None when the item was not put to a vote. A count left empty beside
    a filled one was not called out at the session: it is printed as 0."""
    counts = (item.votes_for, item.votes_against, item.votes_abstained)
    if all(count is None for count in counts):
        return None
    votes_for, against, abstained = (count or 0 for count in counts)
    return _words(language)["votes"].format(
        votes_for=votes_for, against=against, abstained=abstained
    )


def _names(names: Sequence[str], nobody: str) -> str:
    return ", ".join(clean(name) for name in names if name.strip()) or nobody


# -- the protocol, PDF -------------------------------------------------------------------


def render_protocol_pdf(data: ProtocolData) -> bytes:
    return build_protocol_pdf(data).data


def build_protocol_pdf(data: ProtocolData) -> Rendered:
    """The protocol, and the room left beside its signatures for the electronic one."""
    lang = base_language(data.language)
    words = _words(lang)
    title = words["title"].format(number=data.number)
    with translation.override(base_language(data.language)):
        pdf = DocumentPDF(
            title=f"{title} {words['subtitle']}".strip(),
            language=data.language,
            subject=words["year"].format(year=data.academic_year),
            author=data.school_name,
            footer_text=f"{data.school_name} · {title}",
            verification=data.verification,
        )
        pdf.paragraph(data.school_name, bold=True, align="C", size=12)
        pdf.spacer(4)
        pdf.heading(title, size=13)
        if words["subtitle"]:
            pdf.paragraph(words["subtitle"], bold=True, align="C", size=12)
        pdf.paragraph(words["year"].format(year=data.academic_year), align="C")
        pdf.spacer(5)

        # The date on the left margin and the place against the right, as typed protocols do.
        top = pdf.y
        date_width = 62.0
        pdf.cell(date_width, LINE, official_date(data.session_on, lang))
        if data.place.strip():
            pdf.multi_cell(pdf.epw - date_width, LINE, clean(data.place), align="R")
        pdf.set_xy(pdf.l_margin, max(pdf.y, top + LINE))
        pdf.spacer(4)

        pdf.labelled(words["chair"], data.chair_name)
        pdf.labelled(words["secretary"], data.secretary_name)
        pdf.labelled(words["present"], f"{len(data.present)} / {data.members_total}")
        if data.present:
            pdf.paragraph(_names(data.present, words["nobody"]), indent=8, align="L")
        pdf.labelled(words["absent"], str(len(data.absent)) if data.absent else words["nobody"])
        if data.absent:
            pdf.paragraph(_names(data.absent, words["nobody"]), indent=8, align="L")
        if data.secretary_elected:
            pdf.spacer(2)
            pdf.labelled(words["elected"], data.secretary_elected)
        pdf.spacer(5)

        pdf.ensure_space(3 * LINE)
        pdf.paragraph(words["agenda"], bold=True)
        pdf.numbered(data.agenda)
        pdf.spacer(5)

        for item in data.items:
            # Keep an item's title with its first heading and a couple of lines.
            pdf.ensure_space(5 * LINE)
            pdf.paragraph(f"{item.number}. {clean(item.title)}", bold=True, align="L")
            pdf.spacer(1)
            for key, text in (
                ("heard", item.heard),
                ("spoke", item.speakers),
                ("resolved", item.resolution),
            ):
                # Nobody spoke, nothing was heard: a typed protocol leaves the heading out.
                # A resolution is always written, if only as a dash.
                if not text.strip() and key != "resolved":
                    continue
                pdf.ensure_space(2 * LINE)
                pdf.paragraph(words[key], bold=True, align="L")
                pdf.paragraph(text.strip() or "—", indent=8)
            votes = vote_line(item, lang)
            if votes:
                pdf.paragraph(votes, indent=8, align="L")
            pdf.spacer(4)

        pdf.spacer(6)
        # Both signatures on the same page: a lone secretary's line on the next page
        # would look like a page added afterwards.
        pdf.ensure_space(6 * LINE + (QR_SIZE + 8 if data.verification else 0))
        pdf.signature(words["chair"], data.chair_name)
        pdf.signature(words["secretary"], data.secretary_name)
        pdf.spacer(2)
        pdf.verification_block(signature_room=True)
        return pdf.rendered()


# -- the protocol, DOCX ------------------------------------------------------------------

DOCX_FONT = "Times New Roman"  # what Kyrgyz and Russian school documents are typed in
DOCX_SIZE = Pt(12)
DOCX_LANG = {"ky": "ky-KG", "ru": "ru-RU", "en": "en-GB"}


def _set_style_font(style: ParagraphStyle, language: str) -> None:
    style.font.name = DOCX_FONT
    style.font.size = DOCX_SIZE
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    # Word picks the font per script slot; Cyrillic can land in any of them.
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), DOCX_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    # Spelling and hyphenation in Word follow the text's language, not the UI's.
    lang.set(qn("w:val"), DOCX_LANG[base_language(language)])


def _page_number_field(paragraph: Paragraph) -> None:
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = "PAGE"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(instruction)
    run._r.append(end)


class _Docx:
    """Just enough of a word processor for a protocol."""

    def __init__(self, *, title: str, language: str, author: str, subject: str) -> None:
        self.doc = DocxDocument()
        section = self.doc.sections[0]
        # python-docx's template is US Letter; schools print on A4.
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(1.5)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)
        self.text_width = section.page_width - section.left_margin - section.right_margin
        _set_style_font(self.doc.styles["Normal"], language)
        normal = self.doc.styles["Normal"].paragraph_format
        normal.space_after = Pt(0)
        normal.line_spacing = 1.15
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_number_field(footer)
        props = self.doc.core_properties
        props.title = clean(title)
        props.language = DOCX_LANG[base_language(language)]
        props.author = clean(author)
        props.subject = clean(subject)
        props.comments = ""

    def para(
        self,
        text: str = "",
        *,
        bold: bool = False,
        align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
        size: Pt | None = None,
        indent: Cm | None = None,
        before: Pt | None = None,
        keep_with_next: bool = False,
    ) -> Paragraph:
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = align
        fmt = paragraph.paragraph_format
        if indent is not None:
            fmt.left_indent = indent
        if before is not None:
            fmt.space_before = before
        fmt.keep_with_next = keep_with_next
        if text:
            lines = clean(text).split("\n")
            run = paragraph.add_run(lines[0])
            for line in lines[1:]:
                run.add_break()
                run.add_text(line)
            run.bold = bold
            if size is not None:
                run.font.size = size
        return paragraph

    def text_block(self, text: str, *, indent: Cm) -> None:
        """Free text, one Word paragraph per line: a line ended by a manual break inside a
        justified paragraph is stretched across the page by Word."""
        for line in clean(text).strip().split("\n"):
            self.para(line, indent=indent)

    def labelled(self, label: str, text: str, *, before: Pt | None = None) -> Paragraph:
        paragraph = self.para(before=before)
        paragraph.add_run(label + " ").bold = True
        paragraph.add_run(clean(text))
        return paragraph

    def signature(self, role: str, name: str, *, keep_with_next: bool = False) -> None:
        paragraph = self.para(before=Pt(18), keep_with_next=keep_with_next)
        fmt = paragraph.paragraph_format
        fmt.tab_stops.add_tab_stop(Cm(4.5))
        fmt.tab_stops.add_tab_stop(Cm(9.5))
        paragraph.add_run(role).bold = True
        paragraph.add_run(f"\t{SIGNATURE_BLANK}\t{clean(name)}")

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def render_protocol_docx(data: ProtocolData) -> bytes:
    lang = base_language(data.language)
    words = _words(lang)
    title = words["title"].format(number=data.number)
    center = WD_ALIGN_PARAGRAPH.CENTER
    left = WD_ALIGN_PARAGRAPH.LEFT
    doc = _Docx(
        title=f"{title} {words['subtitle']}".strip(),
        language=data.language,
        author=data.school_name,
        subject=words["year"].format(year=data.academic_year),
    )
    doc.para(data.school_name, bold=True, align=center)
    doc.para(title, bold=True, align=center, size=Pt(13), before=Pt(12))
    if words["subtitle"]:
        doc.para(words["subtitle"], bold=True, align=center)
    doc.para(words["year"].format(year=data.academic_year), align=center)

    when = doc.para(official_date(data.session_on, lang), align=left, before=Pt(12))
    if data.place.strip():
        when.paragraph_format.tab_stops.add_tab_stop(doc.text_width, WD_TAB_ALIGNMENT.RIGHT)
        when.add_run("\t" + clean(data.place))

    doc.labelled(words["chair"], data.chair_name, before=Pt(12))
    doc.labelled(words["secretary"], data.secretary_name)
    doc.labelled(words["present"], f"{len(data.present)} / {data.members_total}")
    if data.present:
        doc.para(_names(data.present, words["nobody"]), indent=Cm(0.75), align=left)
    doc.labelled(words["absent"], str(len(data.absent)) if data.absent else words["nobody"])
    if data.absent:
        doc.para(_names(data.absent, words["nobody"]), indent=Cm(0.75), align=left)
    if data.secretary_elected:
        doc.labelled(words["elected"], data.secretary_elected, before=Pt(6))

    doc.para(words["agenda"], bold=True, align=left, before=Pt(12), keep_with_next=True)
    for number, entry in enumerate(data.agenda, start=1):
        agenda_line = doc.para(f"{number}.\t{clean(entry)}", align=left)
        # A hanging indent keeps wrapped agenda lines under the text, not the number.
        agenda_line.paragraph_format.left_indent = Cm(0.75)
        agenda_line.paragraph_format.first_line_indent = Cm(-0.75)
        agenda_line.paragraph_format.tab_stops.add_tab_stop(Cm(0.75))

    for item in data.items:
        doc.para(
            f"{item.number}. {clean(item.title)}",
            bold=True,
            align=left,
            before=Pt(12),
            keep_with_next=True,
        )
        for key, text in (
            ("heard", item.heard),
            ("spoke", item.speakers),
            ("resolved", item.resolution),
        ):
            if not text.strip() and key != "resolved":
                continue
            doc.para(words[key], bold=True, align=left, before=Pt(4), keep_with_next=True)
            doc.text_block(text.strip() or "—", indent=Cm(0.75))
        votes = vote_line(item, lang)
        if votes:
            doc.para(votes, indent=Cm(0.75), align=left)

    doc.para(before=Pt(12))
    # Both signatures on one page, as in the PDF.
    doc.signature(words["chair"], data.chair_name, keep_with_next=True)
    doc.signature(words["secretary"], data.secretary_name)
    return doc.to_bytes()


# -- the annual report -------------------------------------------------------------------


def render_annual_report_pdf(data: AnnualReportData) -> bytes:
    return build_annual_report_pdf(data).data


def build_annual_report_pdf(data: AnnualReportData) -> Rendered:
    lang = base_language(data.language)
    with translation.override(base_language(data.language)):
        title = gettext(
            "Report on the work of the scientific-methodical council in the %(year)s academic year"
        ) % {"year": data.academic_year}
        pdf = DocumentPDF(
            title=title,
            language=data.language,
            subject=gettext("Report to the pedagogical council"),
            author=data.school_name,
            footer_text=data.school_name,
            verification=data.verification,
        )
        pdf.paragraph(data.school_name, bold=True, align="C", size=12)
        pdf.spacer(4)
        pdf.heading(title, size=13)
        pdf.paragraph(
            gettext("To the pedagogical council of the school (regulation, clauses 5.2 and 5.5)"),
            align="C",
            size=SMALL_SIZE + 1,
        )
        pdf.spacer(4)

        _documents_section(pdf, data)

        pdf.heading(gettext("Recommendations to the authors"), size=12, align="L")
        made, answered = data.recommendations_made, data.recommendations_answered
        share = answered / made if made else None
        pdf.label_value_table(
            [
                (gettext("Recommendations made"), str(made)),
                (gettext("Answered by the authors"), str(answered)),
                (gettext("Share answered"), percent(share)),
            ],
            label_share=0.5,
        )

        pdf.heading(gettext("Sessions of the council"), size=12, align="L")
        pdf.data_table(
            [gettext("Quarter"), gettext("Sessions held"), gettext("Note")],
            [
                [
                    quarter,
                    Cell(str(count), align="CENTER"),
                    # 5.1: at least one session every quarter.
                    gettext("No session: regulation 5.1 requires one each quarter")
                    if count == 0
                    else "",
                ]
                for quarter, count in data.sessions_per_quarter
            ],
            col_widths=(30, 20, 50),
            size=SMALL_SIZE + 1,
        )
        pdf.labelled(gettext("Average attendance of the members:"), percent(data.attendance_rate))
        pdf.spacer(2)
        if data.sessions:
            pdf.data_table(
                [gettext("Protocol"), pgettext("session", "Date"), gettext("Attendance")],
                [
                    [
                        Cell(f"№{number}", align="CENTER"),
                        Cell(official_date(on, lang), align="CENTER"),
                        Cell(percent(rate), align="CENTER"),
                    ]
                    for number, on, rate in data.sessions
                ],
                col_widths=(20, 50, 30),
                size=SMALL_SIZE + 1,
            )

        pdf.heading(gettext("Directions of work for the next academic year"), size=12, align="L")
        pdf.paragraph(data.directions.strip() or "—")

        pdf.spacer(10)
        pdf.ensure_space(3 * LINE + (QR_SIZE + 8 if data.verification else 0))
        pdf.signature(PROTOCOL_WORDS[lang]["chair"], "")
        pdf.spacer(2)
        pdf.verification_block(signature_room=True)
        return pdf.rendered()


def _documents_section(pdf: DocumentPDF, data: AnnualReportData) -> None:
    pdf.heading(gettext("Expertise of documents"), size=12, align="L")
    if not data.documents_by_type:
        pdf.paragraph(gettext("No documents went through the expertise this year."))
        pdf.spacer(3)
        return
    # Outcomes as columns, in the order the services first name them.
    outcomes: list[str] = []
    for _type, counts in data.documents_by_type:
        outcomes.extend(label for label in counts if label not in outcomes)
    rows: list[Sequence[str | Cell]] = []
    column_totals = dict.fromkeys(outcomes, 0)
    for type_label, counts in data.documents_by_type:
        for label in outcomes:
            column_totals[label] += counts.get(label, 0)
        rows.append(
            [
                type_label,
                *(Cell(str(counts.get(label, 0)), align="CENTER") for label in outcomes),
                Cell(str(sum(counts.values())), align="CENTER", bold=True),
            ]
        )
    rows.append(
        [
            Cell(gettext("Total"), bold=True),
            *(Cell(str(column_totals[label]), align="CENTER", bold=True) for label in outcomes),
            Cell(str(sum(column_totals.values())), align="CENTER", bold=True),
        ]
    )
    share = 0.7 / (len(outcomes) + 1)
    pdf.data_table(
        [gettext("Document type"), *outcomes, gettext("Total")],
        rows,
        col_widths=(0.3, *([share] * (len(outcomes) + 1))),
    )
