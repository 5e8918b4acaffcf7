"""Builders of test files: .docx, .xlsx and .pdf versions of a text plan, and malformed files of every kind."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if (
    TYPE_CHECKING
):  # the libraries are imported where a maker needs them; python-docx and reportlab are untyped
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph as DocxParagraph
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import BaseDocTemplate

_MARKUP = re.compile(r"\*\*|^#+\s*")


@dataclass(slots=True)
class PlanParts:
    """A text plan cut into what a word processor holds: paragraphs, one table, paragraphs."""

    before: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


def _paragraph(line: str) -> str:
    """A text line as a word processor would hold it: no Markdown marks, no surrounding spaces."""
    return _MARKUP.sub("", line.strip()).strip()


def table_parts(text: str, width: int = 5) -> PlanParts:
    """A plan in the table layout: paragraphs before the `序号 …` header, the table rows, paragraphs after."""
    lines = text.replace("\r\n", "\n").split("\n")
    header = next(i for i, line in enumerate(lines) if line.startswith("序号\t"))
    last = max(i for i, line in enumerate(lines) if "\t" in line)
    parts = PlanParts(before=[p for p in map(_paragraph, lines[:header]) if p])
    for line in lines[header : last + 1]:
        if "\t" in line:
            cells = [c.strip() for c in line.split("\t")]
            parts.rows.append((cells + [""] * width)[:width])
        elif line.strip():
            parts.rows.append([_paragraph(line)] + [""] * (width - 1))
    parts.after = [p for p in map(_paragraph, lines[last + 1 :]) if p]
    return parts


def outline_parts(text: str) -> PlanParts:
    """A plan printed as an outline table (seed 004's shape): a title, a 4-name header over 5 columns,
    then one row per task: section, subsection, numbered task, deadline, units."""
    groups = [g for g in re.split(r"\n\n+", text.strip("\n")) if g.strip()]
    parts = PlanParts()
    for group in groups:
        cells = [c.strip() for c in group.split("\n")]
        if len(cells) == 1:
            parts.before.append(cells[0])
        elif len(cells) == 4:
            parts.rows.append(["", *cells])
        else:
            parts.rows.append((cells + [""] * 5)[:5])
    return parts


def prose_parts(text: str) -> PlanParts:
    """A prose plan: every non-empty line is a paragraph."""
    return PlanParts(before=[p for p in map(_paragraph, text.split("\n")) if p])


def merge_runs(rows: list[list[str]], column: int, first: int = 1) -> list[tuple[int, int]]:
    """(top, bottom) row ranges where empty cells of a column continue the non-empty cell above."""
    runs: list[tuple[int, int]] = []
    top: int | None = None
    for index in range(first, len(rows) + 1):
        cell = rows[index][column] if index < len(rows) else None
        continues = cell == "" and top is not None and _is_data_row(rows[index])
        if continues:
            continue
        if top is not None and index - 1 > top:
            runs.append((top, index - 1))
        top = index if cell and index < len(rows) and _is_data_row(rows[index]) else None
    return runs


def _is_data_row(row: list[str]) -> bool:
    """A row that is no repeated header."""
    return not row[0].startswith("序号")


def _split_cell(text: str) -> list[str]:
    """A long cell's text as two paragraphs, cut after a comma (a cell with several paragraphs)."""
    cut = text.find("，", 12)
    if cut < 0 or cut > len(text) - 4:
        return [text]
    return [text[: cut + 1], text[cut + 1 :]]


# ---------------------------------------------------------------------------------------------------------
# .docx
# ---------------------------------------------------------------------------------------------------------


def make_docx(
    parts: PlanParts,
    *,
    merge_columns: tuple[int, ...] = (1,),
    split_column: int | None = 2,
    header_span: bool = False,
) -> bytes:
    """A Word document: paragraphs, one table (vertical merges, multi-paragraph cells), paragraphs."""
    import docx

    document = docx.Document()
    for line in parts.before:
        document.add_paragraph(line)
    if parts.rows:
        width = len(parts.rows[0])
        table = document.add_table(rows=len(parts.rows), cols=width)
        table.style = "Table Grid"
        for r, (row, table_row) in enumerate(zip(parts.rows, table.rows, strict=True)):
            # row.cells once per row: table.cell(r, c) walks the whole table on every call.
            for c, (value, cell) in enumerate(zip(row, table_row.cells, strict=True)):
                pieces = _split_cell(value) if c == split_column and r > 0 else [value]
                cell.text = pieces[0]
                for piece in pieces[1:]:
                    cell.add_paragraph(piece)
        for column in merge_columns:
            for top, bottom in merge_runs(parts.rows, column):
                table.cell(top, column).merge(table.cell(bottom, column))
        if header_span:
            table.cell(0, 0).merge(table.cell(0, 1))
    for line in parts.after:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------
# .xlsx
# ---------------------------------------------------------------------------------------------------------


def make_xlsx(
    parts: PlanParts,
    *,
    merge_columns: tuple[int, ...] = (1,),
    blank_first_sheet: bool = True,
    start_column: int = 1,
) -> bytes:
    """A workbook: an unrelated first sheet, then the plan sheet (title rows, table with merged cells)."""
    import openpyxl

    book = openpyxl.Workbook()
    if blank_first_sheet:
        first = book.active
        assert first is not None
        first.title = "说明"
        first["A1"] = "本工作簿由测试生成"
        sheet = book.create_sheet("任务分解表")
    else:
        sheet = book.active
    width = len(parts.rows[0]) if parts.rows else 1
    row_number = 1
    for line in parts.before:
        sheet.cell(row=row_number, column=start_column, value=line)
        if width > 1:
            sheet.merge_cells(
                start_row=row_number,
                start_column=start_column,
                end_row=row_number,
                end_column=start_column + width - 1,
            )
        row_number += 1
    first_table_row = row_number
    for row in parts.rows:
        for c, value in enumerate(row):
            # Numbers are stored as numbers, as a clerk typing them would get.
            stored: object = int(value) if value.isdigit() and len(value) < 6 else (value or None)
            sheet.cell(row=row_number, column=start_column + c, value=stored)
        row_number += 1
    for column in merge_columns:
        for top, bottom in merge_runs(parts.rows, column):
            sheet.merge_cells(
                start_row=first_table_row + top,
                start_column=start_column + column,
                end_row=first_table_row + bottom,
                end_column=start_column + column,
            )
    for line in parts.after:
        sheet.cell(row=row_number + 1, column=start_column, value=line)
        row_number += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------
# .pdf (reportlab, built-in CJK font)
# ---------------------------------------------------------------------------------------------------------

FONT = "STSong-Light"


def make_pdf(
    parts: PlanParts,
    *,
    merge_columns: tuple[int, ...] = (1,),
    repeat_header: bool = True,
    col_widths: tuple[float, ...] | None = None,
    space_before_table: float = 0.0,
    page_numbers: bool = True,
    ruled: bool = True,
    split_row_at: int | None = None,
) -> bytes:
    """A PDF: indented paragraphs, then a ruled table with spans that runs over pages, page numbers.
    With split_row_at, that row's content is cut in two over a page break, as Word prints a tall row."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK", firstLineIndent=21
    )
    cell_style = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")

    story: list[object] = [Paragraph(escape(line), body) for line in parts.before]
    if space_before_table:
        story.append(Spacer(1, space_before_table))
    if parts.rows:
        width = len(parts.rows[0])
        widths = col_widths or ((12 * mm, 30 * mm, 70 * mm, 40 * mm, 20 * mm) if width == 5 else None)

        def table_of(rows: list[list[str]], merges: tuple[int, ...], repeat: bool) -> Table:
            data = [[Paragraph(escape(value), cell_style) for value in row] for row in rows]
            table = Table(data, colWidths=widths, repeatRows=1 if repeat else 0)
            style: list[tuple[object, ...]] = [("VALIGN", (0, 0), (-1, -1), "TOP")]
            if ruled:
                style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
            for column in merges:
                for top, bottom in merge_runs(rows, column):
                    style.append(("SPAN", (column, top), (column, bottom)))
            table.setStyle(TableStyle(style))
            return table

        if split_row_at is None:
            story.append(table_of(parts.rows, merge_columns, repeat_header))
        else:
            row = parts.rows[split_row_at]
            half = len(row[2]) // 2
            first = [*row[:2], row[2][:half], *row[3:]]
            second = ["", "", row[2][half:]] + [""] * (width - 3)
            story.append(table_of([*parts.rows[:split_row_at], first], (), False))
            story.append(PageBreak())
            rest = [second, *parts.rows[split_row_at + 1 :]]
            story.append(table_of([parts.rows[0], *rest] if repeat_header else rest, (), False))
    story += [Paragraph(escape(line), body) for line in parts.after]

    def number(canvas: Canvas, doc: BaseDocTemplate) -> None:
        if page_numbers:
            canvas.setFont(FONT, 9)
            canvas.drawCentredString(A4[0] / 2, 12 * mm, f"— {doc.page} —")

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm).build(
        story, onFirstPage=number, onLaterPages=number
    )
    return out.getvalue()


def make_image_pdf() -> bytes:
    """A PDF whose only page is a drawing: no text at all, like a scan."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    for i in range(20):
        page.rect(50 + i * 10, 100 + i * 20, 200, 10, fill=1)
    page.showPage()
    page.save()
    return out.getvalue()


def make_encrypted_pdf(user_password: str = "secret") -> bytes:
    """A PDF that needs a password to open."""
    from reportlab.lib import pdfencrypt
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    encrypt = pdfencrypt.StandardEncryption(user_password, ownerPassword="owner", strength=128)
    page = canvas.Canvas(out, encrypt=encrypt)
    page.setFont(FONT, 12)
    page.drawString(72, 720, "序号 任务内容 责任单位")
    page.showPage()
    page.save()
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Malformed containers
# ---------------------------------------------------------------------------------------------------------


def make_zip(files: dict[str, bytes | str]) -> bytes:
    """A zip archive holding these files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def make_ole(stream_names: list[str]) -> bytes:
    """A minimal compound file (OLE) whose directory names these streams, like an encrypted .docx."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    directory = bytearray()
    for name in ["Root Entry", *stream_names]:
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[0 : len(encoded)] = encoded
        struct.pack_into("<HB", entry, 64, len(encoded), 5 if name == "Root Entry" else 2)
        directory += entry
    directory += bytes(-len(directory) % 512)
    return bytes(header) + bytes(512) + bytes(directory)


def add_numbering(document: DocxDocument, pattern: str, number_format: str, start: int = 1) -> int:
    """A numbering definition (`（%1）` in chineseCounting, `%1` in decimal …) in a Word document; its numId."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    numbering = document.part.numbering_part.element
    ids = [
        int(n.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}numId"))
        for n in numbering.num_lst
    ]
    num_id = max([0, *ids]) + 1
    abstract_id = 900 + num_id
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}"><w:lvl w:ilvl="0">'
        f'<w:start w:val="{start}"/><w:numFmt w:val="{number_format}"/><w:lvlText w:val="{pattern}"/>'
        f'<w:suff w:val="nothing"/></w:lvl></w:abstractNum>'
    )
    numbering.insert(0, abstract)
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
        )
    )
    return num_id


def number_paragraph(paragraph: DocxParagraph, num_id: int, level: int = 0) -> None:
    """Give a paragraph automatic numbering from a definition made by add_numbering."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )


# ---------------------------------------------------------------------------------------------------------
# .html (a web page, or Word's "save as web page") and .xls (xlwt)
# ---------------------------------------------------------------------------------------------------------

_CJK_PAIR = re.compile(r"(?<=[\u4e00-\u9fff])(?=[\u4e00-\u9fff])")


def _wrap_source(text: str, width: int = 24) -> str:
    """Text as an editor writes it into HTML source: long runs broken between two Chinese characters."""
    out, since = [], 0
    for piece in _CJK_PAIR.split(text):
        out.append(piece)
        since += len(piece)
        if since >= width:
            out.append("\n      ")
            since = 0
    return "".join(out).rstrip()


def make_html(
    parts: PlanParts,
    *,
    merge_columns: tuple[int, ...] = (1,),
    split_column: int | None = 2,
    encoding: str = "utf-8",
    meta: bool = True,
    word: bool = False,
) -> bytes:
    """A published web page: navigation, scripts and a footer around paragraphs, one table (rowspans for
    merged cells, multi-paragraph cells), paragraphs. With word=True, the markup Word writes when a document
    is saved as a web page (MsoNormal paragraphs, o:p, conditional comments, an XML island, hidden spans)."""

    def paragraph(line: str) -> str:
        text = _wrap_source(escape(line))
        if word:
            return f"<p class=MsoNormal><span style='font-family:宋体'>{text}</span><o:p></o:p></p>"
        return f"<p>{text}</p>"

    head = [f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">'] if meta else []
    if word:
        head += [
            "<!--[if gte mso 9]><xml><w:WordDocument><w:View>Print</w:View></w:WordDocument></xml><![endif]-->",
            "<style><!-- p.MsoNormal {margin:0cm; font-size:10.5pt} --></style>",
        ]
        body = ["<body lang=ZH-CN style='tab-interval:21.0pt'><div class=WordSection1>"]
    else:
        head += ["<title>政务公开_测试区人民政府</title>", "<script>var menu = '首页 政务公开';</script>"]
        body = [
            "<body>",
            '<div class="top-nav"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a></div>',
            "<nav><ul><li>机构设置</li><li>政策文件</li></ul></nav>",
            '<div class="breadcrumb">当前位置：首页 &gt; 政务公开 &gt; 通知公告</div>',
            '<div class="article">',
        ]
    body += [paragraph(line) for line in parts.before]
    if parts.rows:
        covered: set[tuple[int, int]] = set()
        spans: dict[tuple[int, int], int] = {}
        for column in merge_columns:
            for top, bottom in merge_runs(parts.rows, column):
                spans[(top, column)] = bottom - top + 1
                covered.update((r, column) for r in range(top + 1, bottom + 1))
        table_class = " class=MsoTableGrid border=1 cellspacing=0" if word else ' border="1"'
        body.append(f"<table{table_class}>")
        for r, row in enumerate(parts.rows):
            cells = []
            for c, value in enumerate(row):
                if (r, c) in covered:
                    continue
                tag = "th" if r == 0 and not word else "td"
                rowspan = f' rowspan="{spans[(r, c)]}"' if (r, c) in spans else ""
                pieces = _split_cell(value) if c == split_column and r > 0 else [value]
                inner = "".join(paragraph(p) for p in pieces) if len(pieces) > 1 or word else escape(value)
                cells.append(f"<{tag}{rowspan}>{inner}</{tag}>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        body.append("</table>")
    body += [paragraph(line) for line in parts.after]
    if word:
        body += [
            "<p class=MsoNormal><span style='display:none;mso-hide:all'>批注：请核对</span></p>",
            "</div>",
        ]
    else:
        body += [
            "</div>",
            '<div class="bdsharebuttonbox"><a>分享到微信</a></div>',
            "<footer>主办：测试区人民政府办公室 版权所有</footer>",
            "<script>document.write('访问量');</script>",
        ]
    xmlns = ' xmlns:o="urn:schemas-microsoft-com:office:office"' if word else ""
    page = f"<!DOCTYPE html>\n<html{xmlns}>\n<head>\n" + "\n".join(head) + "\n</head>\n"
    page += "\n".join(body) + "\n</body>\n</html>\n"
    return page.encode(encoding)


def make_xls(parts: PlanParts, *, merge_columns: tuple[int, ...] = (1,)) -> bytes:
    """A legacy Excel workbook like make_xlsx's: an unrelated first sheet, then the plan sheet."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("说明").write(0, 0, "本工作簿由测试生成")
    sheet = book.add_sheet("任务分解表")
    width = len(parts.rows[0]) if parts.rows else 1
    row_number = 0
    for line in parts.before:
        sheet.write_merge(row_number, row_number, 0, max(0, width - 1), line)
        row_number += 1
    first_table_row = row_number
    merged: dict[tuple[int, int], int] = {}
    covered: set[tuple[int, int]] = set()
    for column in merge_columns:
        for top, bottom in merge_runs(parts.rows, column):
            merged[(top, column)] = bottom
            covered.update((r, column) for r in range(top + 1, bottom + 1))
    for r, row in enumerate(parts.rows):
        for c, value in enumerate(row):
            stored: object = int(value) if value.isdigit() and len(value) < 6 else value
            if (r, c) in merged:
                sheet.write_merge(first_table_row + r, first_table_row + merged[(r, c)], c, c, stored)
            elif (r, c) not in covered and value:
                sheet.write(first_table_row + r, c, stored)
        row_number += 1
    for line in parts.after:
        sheet.write(row_number + 1, 0, line)
        row_number += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
