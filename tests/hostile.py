"""A corpus of hostile files, generated: small on disk, huge or endless once read, or plain wrong.

Each maker returns the bytes of one file; HOSTILE maps a case name to (file name, maker). They are the
shapes issue 13 found breaking the readers: zip bombs, billion laughs, Word numbering and table-grid values,
Excel far-away cells and huge merged ranges, huge HTML grids, dense PDF pages, truncated archives, wrong
extensions, odd encodings and control characters.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable

from filemakers import PlanParts, make_docx, make_xlsx, make_zip

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx_parts() -> dict[str, bytes]:
    """The members of a small valid Word document, to replace one of them."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(make_docx(PlanParts(before=["各单位："]), merge_columns=())))
    return {name: source.read(name) for name in source.namelist()}


def _docx_with(document_xml: bytes | str, extra: dict[str, bytes] | None = None) -> bytes:
    """A Word package whose body (and optionally other members) is the given XML."""
    files: dict[str, bytes | str] = dict(_docx_parts())
    files["word/document.xml"] = document_xml
    files.update(extra or {})
    return make_zip(files)


def _body(inner: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>{inner}</w:body></w:document>'


def docx_zip_bomb() -> bytes:
    """A body of 190 MB (under the 200 MB package limit) that compresses to a few hundred KB."""
    head, tail = _body("<w:p><w:r><w:t>").split("<w:t>")
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in _docx_parts().items():
            if name != "word/document.xml":
                archive.writestr(name, content)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write((head + "<w:t>").encode())
            chunk = ("任务" * 512).encode()
            for _ in range(190 * 1024 * 1024 // len(chunk)):
                member.write(chunk)
            member.write(("</w:t></w:r></w:p>" + tail).encode())
    return out.getvalue()


def docx_declared_gigabyte() -> bytes:
    """A member that unpacks to 1 GB of zeros (the package limit refuses it before unpacking)."""
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in _docx_parts().items():
            archive.writestr(name, content)
        with archive.open("word/media/image1.bin", "w", force_zip64=True) as member:
            zeros = bytes(1024 * 1024)
            for _ in range(1024):
                member.write(zeros)
    return out.getvalue()


def docx_billion_laughs() -> bytes:
    """The classic entity expansion in the body's DOCTYPE."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
        f"<w:document {_W}><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    return _docx_with(xml)


def docx_grid_span() -> bytes:
    """Table cells that each claim to span 100 million grid columns."""
    cell = (
        '<w:tc><w:tcPr><w:gridSpan w:val="100000000"/></w:tcPr><w:p><w:r><w:t>任务</w:t></w:r></w:p></w:tc>'
    )
    rows = f"<w:tr>{cell * 3}</w:tr>" * 50
    return _docx_with(_body(f"<w:tbl>{rows}</w:tbl>"))


def docx_grid_before() -> bytes:
    """Rows that each start after a billion empty grid columns."""
    row = (
        '<w:tr><w:trPr><w:gridBefore w:val="1000000000"/></w:trPr>'
        "<w:tc><w:p><w:r><w:t>任务</w:t></w:r></w:p></w:tc></w:tr>"
    )
    return _docx_with(_body(f"<w:tbl>{row * 20}</w:tbl>"))


def docx_huge_table() -> bytes:
    """A real table grid of 1,000 rows × 400 cells (400,000 cells, a 90 KB file)."""
    cell = "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>"
    return _docx_with(_body("<w:tbl>" + ("<w:tr>" + cell * 400 + "</w:tr>") * 1000 + "</w:tbl>"))


def _numbering(fmt: str, start: str, level: str = "0") -> bytes:
    numbering = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:numbering {_W}>'
        f'<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="{level}"><w:start w:val="{start}"/>'
        f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num></w:numbering>'
    )
    return numbering.encode()


def _numbered_docx(fmt: str, start: str, level: str = "0", paragraphs: int = 200) -> bytes:
    """A body of numbered paragraphs under a numbering definition with this format and start value."""
    parts = _docx_parts()
    if "word/numbering.xml" not in parts:
        raise RuntimeError("python-docx's template has no numbering part")
    p = (
        f'<w:p><w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="1"/></w:numPr></w:pPr>'
        "<w:r><w:t>做好政策解读</w:t></w:r></w:p>"
    )
    return _docx_with(_body(p * paragraphs), {"word/numbering.xml": _numbering(fmt, start, level)})


def docx_numbering_roman() -> bytes:
    """Numbered paragraphs starting at 10^60 in Roman numerals (a label that never finishes)."""
    return _numbered_docx("upperRoman", "1" + "0" * 60)


def docx_numbering_letters() -> bytes:
    """Numbered paragraphs starting at two billion in letters (AAAA… 77 million letters each)."""
    return _numbered_docx("upperLetter", "2000000000")


def docx_numbering_deep_level() -> bytes:
    """A paragraph numbered at level 5000 (Word has nine)."""
    return _numbered_docx("decimal", "1", level="5000", paragraphs=3)


def _xlsx_with_sheet(sheet_xml: str) -> bytes:
    """A valid workbook whose first sheet's XML is replaced."""
    import zipfile

    source = zipfile.ZipFile(
        io.BytesIO(make_xlsx(PlanParts(rows=[["序号", "任务"]]), blank_first_sheet=False))
    )
    files: dict[str, bytes | str] = {name: source.read(name) for name in source.namelist()}
    files["xl/worksheets/sheet1.xml"] = sheet_xml
    return make_zip(files)


_SHEET = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData>{after}</worksheet>'


def xlsx_far_cell() -> bytes:
    """Two cells: A1 and XFD1048576 (the last cell a sheet can have)."""
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c></row>'
    rows += '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return _xlsx_with_sheet(_SHEET.format(rows=rows, after=""))


def xlsx_huge_merge() -> bytes:
    """One cell and a merged range over the whole sheet."""
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c></row>'
    after = '<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'
    return _xlsx_with_sheet(_SHEET.format(rows=rows, after=after))


def xlsx_many_merges() -> bytes:
    """Fifty thousand merged ranges of 20 × 20 cells."""
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c></row>'
    merges = "".join(f'<mergeCell ref="A{i * 20 + 1}:T{i * 20 + 20}"/>' for i in range(50000))
    after = f'<mergeCells count="50000">{merges}</mergeCells>'
    return _xlsx_with_sheet(_SHEET.format(rows=rows, after=after))


def xls_far_cell() -> bytes:
    """A legacy workbook with A1 and the last cell of a .xls sheet (65536 × 256)."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("表")
    sheet.write(0, 0, "序号")
    sheet.write(65535, 255, "x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_huge_merge() -> bytes:
    """A legacy workbook whose first cell is merged down the whole sheet (xlwt writes every covered cell)."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("表")
    sheet.write_merge(0, 65535, 0, 0, "序号")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def html_span_grid() -> bytes:
    """Four thousand rows of cells that each span 1000 columns (4 million grid cells from 120 KB)."""
    return (
        "<html><body><table>" + "<tr><td colspan=1000>任务</td><td>x</td></tr>" * 4000 + "</table>"
    ).encode()


def html_rowspan_grid() -> bytes:
    """A first row of 1000 cells each spanning 65534 rows, then 3000 short rows."""
    first = "<tr>" + "<td rowspan=65534>任</td>" * 1000 + "</tr>"
    return ("<html><body><table>" + first + "<tr><td>x</td></tr>" * 3000 + "</table>").encode()


def html_deep_nesting() -> bytes:
    """A hundred thousand nested elements."""
    return ("<html><body>" + "<div><span>" * 50000 + "任务" + "</span></div>" * 50000).encode()


def _pdf(content: bytes, pages: int = 1) -> bytes:
    """A minimal PDF whose pages share one Flate-compressed content stream."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{5 + i} 0 R".encode() for i in range(pages))
        + b"] /Count "
        + str(pages).encode()
        + b" >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length "
        + str(len(stream)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + stream
        + b"\nendstream",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    ] * pages
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def pdf_dense_page() -> bytes:
    """One page drawing 600,000 characters, one at a time (a few KB compressed)."""
    return _pdf(b"BT /F1 1 Tf 0 0 Td " + b"(a) Tj 0.001 0 Td " * 600000 + b"ET")


def pdf_dense_pages() -> bytes:
    """Four hundred pages that each draw the same 20,000 characters (under the page limit)."""
    return _pdf(b"BT /F1 1 Tf 0 0 Td " + b"(a) Tj 0.02 0 Td " * 20000 + b"ET", pages=400)


def slow_pdf() -> bytes:
    """A PDF under every declared limit (200 pages of 3,000 characters) that takes long to lay out: only
    the time limit stops it (not in HOSTILE: the default limit is 30 s)."""
    return _pdf(b"BT /F1 1 Tf 0 0 Td " + b"(a) Tj 0.02 0 Td " * 3000 + b"ET", pages=200)


def pdf_too_many_pages() -> bytes:
    """Two thousand pages (over the page limit)."""
    return _pdf(b"BT /F1 12 Tf 72 720 Td (x) Tj ET", pages=2000)


def truncated(maker: Callable[[], bytes], keep: float) -> Callable[[], bytes]:
    """A maker of the first part of another maker's file."""
    return lambda: (data := maker())[: int(len(data) * keep)]


def _plan_docx() -> bytes:
    """A small valid plan (its truncated copy is the hostile file)."""
    rows = [
        ["序号", "任务名称", "任务内容", "责任单位", "时间节点"],
        ["1", "公开", "做好政策解读", "区教育局", "3月底前"],
    ]
    return make_docx(PlanParts(before=["2024年工作要点"], rows=rows))


HOSTILE: dict[str, tuple[str, Callable[[], bytes]]] = {
    "docx-zip-bomb-190mb": ("bomb.docx", docx_zip_bomb),
    "docx-member-1gb": ("bomb2.docx", docx_declared_gigabyte),
    "docx-billion-laughs": ("laughs.docx", docx_billion_laughs),
    "docx-gridspan-1e8": ("span.docx", docx_grid_span),
    "docx-gridbefore-1e9": ("before.docx", docx_grid_before),
    "docx-table-400k-cells": ("grid.docx", docx_huge_table),
    "docx-numbering-roman-1e60": ("roman.docx", docx_numbering_roman),
    "docx-numbering-letters-2e9": ("letters.docx", docx_numbering_letters),
    "docx-numbering-level-5000": ("level.docx", docx_numbering_deep_level),
    "xlsx-far-cell": ("far.xlsx", xlsx_far_cell),
    "xlsx-merge-whole-sheet": ("merge.xlsx", xlsx_huge_merge),
    "xlsx-50k-merges": ("merges.xlsx", xlsx_many_merges),
    "xls-far-cell": ("far.xls", xls_far_cell),
    "xls-merge-whole-column": ("merge.xls", xls_huge_merge),
    "html-colspan-grid": ("span.html", html_span_grid),
    "html-rowspan-grid": ("rows.html", html_rowspan_grid),
    "html-deep-nesting": ("deep.html", html_deep_nesting),
    "pdf-dense-page": ("dense.pdf", pdf_dense_page),
    "pdf-400-dense-pages": ("dense400.pdf", pdf_dense_pages),
    "pdf-2000-pages": ("pages.pdf", pdf_too_many_pages),
    "truncated-docx": ("cut.docx", truncated(_plan_docx, 0.6)),
    "truncated-pdf": ("cut.pdf", truncated(pdf_dense_page, 0.5)),
    "pdf-named-docx": ("plan.docx", lambda: _pdf(b"BT /F1 12 Tf 72 720 Td (x) Tj ET")),
    "docx-named-xls": ("plan.xls", lambda: make_docx(PlanParts(before=["请各单位知悉。"]), merge_columns=())),
    "utf32-text": ("plan.txt", lambda: "序号\t任务内容\n1\t做好解读\n".encode("utf-32-le")),
    "utf16-text-without-bom": ("plan.txt", lambda: "序号\t任务内容\n1\t做好解读\n".encode("utf-16-le")),
    "control-characters": ("plan.txt", lambda: bytes(range(1, 32)) * 3000),
    "escape-codes-html": (
        "plan.html",
        lambda: b"<html><body>" + b"\x1b[2J\x1b[31m\x07" * 5000 + b"</body></html>",
    ),
}
