"""Office files → plan text: .docx, .xlsx, .xls, .pdf, .html and .doc versions of the seeds and fixtures read
as their text."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TypedDict

import pytest
from conftest import FIXTURES, seed_text
from typer.testing import CliRunner

pytest.importorskip("docx", reason="需要 python-docx（pip install python-docx）")
pytest.importorskip("openpyxl", reason="需要 openpyxl（pip install openpyxl）")
pytest.importorskip("pdfplumber", reason="需要 pdfplumber（pip install pdfplumber）")
pytest.importorskip("reportlab", reason="需要 reportlab（pip install reportlab）")

import filemakers
from filemakers import (
    PlanParts,
    make_docx,
    make_html,
    make_pdf,
    make_xls,
    make_xlsx,
    outline_parts,
    prose_parts,
    table_parts,
)

from core import readers
from core.documents import parse_plan
from core.models import DocumentError, Plan, UnitRef
from core.readers import read_document
from core.units import UnitDirectory
from duban.cli import app
from duban.importing import import_document
from storage import crud
from storage.db import init_db, make_engine, session_scope

# ---------------------------------------------------------------------------------------------------------
# Building each source once per session
# ---------------------------------------------------------------------------------------------------------

# What each source looks like as an office file: a task table, an outline table (004's shape) or prose.
SOURCES = {
    "000": "table",
    "001": "table",
    "002": "prose",
    "003": "prose",
    "004": "outline",
    "plan_table.txt": "table",
    "plan_outline.txt": "outline",
    "plan_prose.txt": "prose",
    "plan_prose_bare.txt": "prose",
}
FORMATS = {
    "table": ("docx", "xlsx", "xls", "pdf", "html"),
    "outline": ("docx", "xlsx", "xls", "pdf", "html"),
    "prose": ("docx", "pdf", "html"),
}
CASES = [(source, fmt) for source, shape in SOURCES.items() for fmt in FORMATS[shape]]
READ_TIMES: dict[tuple[str, str], float] = {}


def source_text(source: str) -> str:
    """Text of a seed (skips visibly when seeds are absent) or of a project fixture."""
    if source.endswith(".txt"):
        return (FIXTURES / source).read_text(encoding="utf-8")
    return seed_text(source)


@cache
def parts_of(source: str) -> PlanParts:
    """The source cut into paragraphs and table rows."""
    text, shape = source_text(source), SOURCES[source]
    return {"table": table_parts, "outline": outline_parts, "prose": prose_parts}[shape](text)


@cache
def built(source: str, fmt: str) -> bytes:
    """The office file of a source in one format: merged 任务名称 cells, multi-paragraph cells, page breaks."""
    parts, shape = parts_of(source), SOURCES[source]
    if fmt == "xls":
        pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    if shape == "outline":
        if fmt == "docx":
            return make_docx(parts, merge_columns=(0, 1), split_column=None, header_span=True)
        if fmt == "xlsx":
            return make_xlsx(parts, merge_columns=(0, 1))
        if fmt == "xls":
            return make_xls(parts, merge_columns=(0, 1))
        if fmt == "html":
            return make_html(parts, merge_columns=(0, 1), split_column=None)
        # A section spans more rows than fit on a page, which reportlab cannot draw: subsections only.
        return make_pdf(parts, merge_columns=(1,), col_widths=(60, 90, 180, 50, 80))
    makers = {"docx": make_docx, "xlsx": make_xlsx, "xls": make_xls, "pdf": make_pdf, "html": make_html}
    return makers[fmt](parts)


@cache
def text_plan(source: str) -> Plan:
    """The plan read from the text version."""
    return parse_plan(source_text(source))


@cache
def read_built(source: str, fmt: str) -> Plan:
    """The plan read from a built file, timed once per session."""
    data = built(source, fmt)
    started = time.perf_counter()
    plan = read_plan_of(data, f"plan.{fmt}")
    READ_TIMES[(source, fmt)] = time.perf_counter() - started
    return plan


def read_plan_of(data: bytes, filename: str) -> Plan:
    """The plan read from a file through read_document."""
    return parse_plan(read_document(data, filename))


def rows(plan: Plan) -> list[tuple[str, str, str, list[UnitRef], str]]:
    """What must match between formats: number, item, content, units with roles, deadline text."""
    return [(t.seq, t.category, t.content, t.units, t.deadline_text) for t in plan.tasks]


def assert_same_tasks(expected: Plan, got: Plan) -> None:
    """Same tasks, compared one by one so a failure names the first differing task."""
    assert len(got.tasks) == len(expected.tasks)
    for want, have in zip(rows(expected), rows(got), strict=True):
        assert have == want


# ---------------------------------------------------------------------------------------------------------
# Every format of every source reads as its text version
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow  # every seed in every format: 0.2–1.4 s each
@pytest.mark.parametrize(("source", "fmt"), CASES, ids=[f"{s}-{f}" for s, f in CASES])
def test_format_reads_as_the_text_version(source: str, fmt: str) -> None:
    expected = text_plan(source)
    got = read_built(source, fmt)
    assert got.layout == expected.layout
    assert_same_tasks(expected, got)
    # The notice and closing lines around the table still give title, year and issue date.
    assert (got.title, got.year, got.issued, got.issuer) == (
        expected.title,
        expected.year,
        expected.issued,
        expected.issuer,
    )


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "xls", pytest.param("pdf", marks=pytest.mark.slow), "html"])
def test_pudong_keeps_only_the_table_tasks(fmt: str) -> None:
    # 001 has numbered prose items and a 任务分解表; as for the text, only the table's 78 tasks count.
    plan = read_built("001", fmt)
    assert plan.layout == "table"
    assert len(plan.tasks) == 78
    assert plan.issued == date(2022, 3, 21)


# ---------------------------------------------------------------------------------------------------------
# .docx
# ---------------------------------------------------------------------------------------------------------


def _docx_with_table(rows_: list[list[str]], *, merge: tuple[int, ...] = (), paragraphs: int = 1) -> bytes:
    """A small Word table under a title; cells of the content column in `paragraphs` paragraphs."""
    return make_docx(
        PlanParts(before=["2024年测试区工作要点任务分解表"], rows=rows_),
        merge_columns=merge,
        split_column=2 if paragraphs > 1 else None,
    )


HEADER = ["序号", "任务名称", "任务内容", "责任单位", "时间节点"]


def test_docx_vertical_merge_reads_as_an_empty_cell_continuing_the_one_above() -> None:
    table = [
        HEADER,
        ["1", "建立台账", "梳理本系统的全部公开事项，形成事项台账", "区档案馆", "3月底前"],
        ["2", "", "对台账开展季度复核", "", "每季度末"],
        ["3", "", "年底前完成全面更新", "区数据局", "12月底前"],
        ["4", "加强培训", "组织一次专题培训", "区人社局", "全年"],
    ]
    merged = read_plan_of(_docx_with_table(table, merge=(1,)), "m.docx")
    plain = read_plan_of(_docx_with_table(table), "p.docx")
    text = parse_plan("\n".join("\t".join(r) for r in table))
    assert rows(merged) == rows(plain) == rows(text)
    assert [t.category for t in merged.tasks] == ["建立台账"] * 3 + ["加强培训"]
    # The empty units cell of task 2 continues task 1's, as in the text layout.
    assert [u.name for u in merged.tasks[1].units] == ["区档案馆"]


def test_docx_merged_units_cell_repeats_under_a_new_item() -> None:
    table = [
        HEADER,
        ["1", "建立台账", "梳理公开事项", "区档案馆、区数据局", "3月底前"],
        ["2", "加强培训", "组织一次专题培训", "", "全年"],
    ]
    plan = read_plan_of(_docx_with_table(table, merge=(3,)), "u.docx")
    # A merged cell covers both rows, so task 2 has the units too (an empty text cell would not, here).
    assert [u.name for u in plan.tasks[1].units] == ["区档案馆", "区数据局"]


def test_docx_carried_cells_once_or_repeated_give_the_same_lines() -> None:
    from core.tables import Carried as carried
    from core.tables import table_lines

    once = [HEADER, ["1", "甲项", "内容一", "区档案馆", "全年"], ["2", "", "内容二", "", "全年"]]
    repeated = [
        HEADER,
        ["1", "甲项", "内容一", "区档案馆", "全年"],
        ["2", carried("甲项"), "内容二", carried("区档案馆"), "全年"],
    ]
    assert rows(parse_plan("\n".join(table_lines(once)))) == rows(
        parse_plan("\n".join(table_lines(repeated)))
    )


def test_docx_cell_paragraphs_join_without_breaking_the_row() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("2024年测试区工作要点任务分解表")
    table = document.add_table(rows=2, cols=5)
    for column, name in enumerate(HEADER):
        table.cell(0, column).text = name
    cells = table.rows[1].cells
    cells[0].text, cells[1].text, cells[4].text = "1", "完善制度", "6月底前"
    cells[2].text = "修订公开目录，"
    cells[2].add_paragraph("并在门户网站发布")
    cells[3].text = "区档案馆"
    cells[3].add_paragraph("区数据局")
    out = io.BytesIO()
    document.save(out)
    plan = read_plan_of(out.getvalue(), "cells.docx")
    assert rows(plan) == [
        (
            "1",
            "完善制度",
            "修订公开目录，并在门户网站发布",
            [UnitRef("区档案馆", "owner"), UnitRef("区数据局", "owner")],
            "6月底前",
        )
    ]


def test_docx_tabs_and_breaks_inside_body_paragraphs() -> None:
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("第一行")
    paragraph.add_run().add_break()
    paragraph.add_run("第二行\t尾")
    out = io.BytesIO()
    document.save(out)
    assert read_document(out.getvalue(), "p.docx").split("\n") == ["第一行", "第二行\t尾"]


def test_docx_automatic_numbering_in_the_seq_column() -> None:
    # A clerk numbered the 序号 cells with Word's numbering (`%1.`): the numbers exist only as numbering.
    import docx

    parts = parts_of("plan_table.txt")
    document = docx.Document(io.BytesIO(make_docx(parts, merge_columns=(), split_column=None)))
    num_id = filemakers.add_numbering(document, "%1.", "decimal")
    for table_row in document.tables[0].rows:
        cell = table_row.cells[0]
        if cell.text.isdigit():
            cell.paragraphs[0].runs[0].text = ""
            filemakers.number_paragraph(cell.paragraphs[0], num_id)
    out = io.BytesIO()
    document.save(out)
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(out.getvalue(), "numbered.docx"))


def test_docx_automatic_numbering_of_prose_items() -> None:
    # `（一）` item labels made by numbering (chineseCounting), restarting in each section like the text.
    import docx

    document = docx.Document()
    current: int | None = None
    for line in parts_of("plan_prose.txt").before:
        match = re.match(r"^\(([一二三四五六七八九十]+)\)(.*)$", line)
        if not match:
            document.add_paragraph(line)
            if re.match(r"^[一二三四五六七八九十]+、", line):
                current = None  # a section heading: the next item starts a new list at （一）
            continue
        if current is None:
            current = filemakers.add_numbering(document, "(%1)", "chineseCounting")
        filemakers.number_paragraph(document.add_paragraph(match[2]), current)
    out = io.BytesIO()
    document.save(out)
    assert_same_tasks(text_plan("plan_prose.txt"), read_plan_of(out.getvalue(), "numbered.docx"))


@pytest.mark.parametrize(
    ("number", "number_format", "label"),
    [
        (1, "chineseCounting", "一"),
        (10, "chineseCounting", "十"),
        (13, "chineseCountingThousand", "十三"),
        (21, "chineseCounting", "二十一"),
        (105, "chineseCounting", "一百零五"),
        (3, "ideographTraditional", "丙"),
        (2, "upperLetter", "B"),
        (4, "lowerRoman", "iv"),
        (3, "decimalEnclosedCircle", "③"),
        (7, "decimal", "7"),
        (5, "decimalZero", "05"),
    ],
)
def test_word_number_formats(number: int, number_format: str, label: str) -> None:
    assert readers._format_number(number, number_format) == label


# ---------------------------------------------------------------------------------------------------------
# .xlsx
# ---------------------------------------------------------------------------------------------------------


def test_xlsx_numbers_and_dates_print_as_written() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append([1.0, "建立台账", "梳理公开事项", "区档案馆", datetime(2024, 3, 31)])
    sheet.append([2, "加强培训", "培训不少于2.5天", "区人社局", date(2024, 6, 30)])
    sheet.append([3, "按期报送", "报送率100%", "区数据局", date(2024, 9, 30)])
    sheet["E3"].number_format = 'yyyy"年"m"月"d"日"'
    sheet["E4"].number_format = 'm"月"d"日"'
    sheet["C3"] = 2.5
    out = io.BytesIO()
    book.save(out)
    text = read_document(out.getvalue(), "n.xlsx")
    assert text.split("\n")[1:] == [
        "1\t建立台账\t梳理公开事项\t区档案馆\t2024-03-31",
        "2\t加强培训\t2.5\t区人社局\t2024年6月30日",
        "3\t按期报送\t报送率100%\t区数据局\t9月30日",
    ]


def test_xlsx_first_sheet_with_a_task_header_wins_and_table_may_start_in_column_b() -> None:
    parts = parts_of("plan_table.txt")
    data = make_xlsx(parts, blank_first_sheet=True, start_column=2)
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(data, "b.xlsx"))


def test_xlsx_read_only_mode_for_big_workbooks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read-only mode cannot see merged cells: a merged 任务名称 reads as empty, which continues the item.
    monkeypatch.setattr(readers, "XLSX_READ_ONLY_ABOVE", 0)
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(built("plan_table.txt", "xlsx"), "r.xlsx"))


# ---------------------------------------------------------------------------------------------------------
# .pdf
# ---------------------------------------------------------------------------------------------------------


class PdfOptions(TypedDict, total=False):
    """The make_pdf keywords a table-over-two-pages case sets."""

    space_before_table: float
    repeat_header: bool
    split_row_at: int
    page_numbers: bool


@pytest.mark.parametrize(
    "options",
    [
        {"space_before_table": 560, "repeat_header": True},
        {"space_before_table": 560, "repeat_header": False},
        {"split_row_at": 3, "repeat_header": True},
        {"split_row_at": 3, "repeat_header": False},
        {"split_row_at": 6, "repeat_header": False},
        {"space_before_table": 560, "page_numbers": False},
    ],
    ids=[
        "header-repeated",
        "header-once",
        "row-split",
        "row-split-no-header",
        "row-split-late",
        "no-numbers",
    ],
)
def test_pdf_table_over_two_pages(options: PdfOptions) -> None:
    parts = parts_of("plan_table.txt")
    data = make_pdf(parts, merge_columns=(), **options)
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 2
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(data, "two-pages.pdf"))


@pytest.mark.slow  # a seed PDF: 0.8 s
def test_pdf_seed_row_broken_over_a_page() -> None:
    # 000's task 8 cut in the middle of its content, the rest at the top of the next page.
    parts = parts_of("000")
    at = next(i for i, row in enumerate(parts.rows) if row[0] == "8")
    data = make_pdf(parts, merge_columns=(), split_row_at=at, repeat_header=False)
    assert_same_tasks(text_plan("000"), read_plan_of(data, "000.pdf"))


def test_pdf_page_numbers_and_paragraph_breaks() -> None:
    parts = PlanParts(before=["（一）第一项。" + "这是一段很长的说明文字，" * 12 + "（责任单位：区档案馆）"])
    text = read_document(make_pdf(parts), "p.pdf")
    assert "—" not in text  # the page number line is gone
    assert text.count("\n") == 0  # the wrapped lines are one paragraph again


def test_image_only_pdf() -> None:
    with pytest.raises(DocumentError, match=r"^此PDF没有可提取的文字（可能是扫描件）$"):
        read_document(filemakers.make_image_pdf(), "scan.pdf")


# ---------------------------------------------------------------------------------------------------------
# .doc through antiword
# ---------------------------------------------------------------------------------------------------------

NEEDS_ANTIWORD = pytest.mark.skipif(
    shutil.which("antiword") is None, reason="需要 Debian 软件包 antiword（apt-get install antiword）"
)


@NEEDS_ANTIWORD
@pytest.mark.parametrize("name", ["plan_table", "plan_prose"])
def test_doc_fixture_reads_as_the_text_version(name: str) -> None:
    # The .doc fixtures were saved by LibreOffice from the .docx builds of the text fixtures.
    data = (FIXTURES / f"{name}.doc").read_bytes()
    expected = text_plan(f"{name}.txt")
    got = read_plan_of(data, f"{name}.doc")
    assert_same_tasks(expected, got)
    assert (got.title, got.issued) == (expected.title, expected.issued)


@NEEDS_ANTIWORD
@pytest.mark.skipif(shutil.which("soffice") is None, reason="需要 LibreOffice（soffice）把种子转换为 .doc")
@pytest.mark.parametrize("source", ["000", "002"])
def test_doc_seed_through_libreoffice(source: str, tmp_path: Path) -> None:
    (tmp_path / f"{source}.docx").write_bytes(built(source, "docx"))
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path),
            str(tmp_path / f"{source}.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    got = read_plan_of((tmp_path / f"{source}.doc").read_bytes(), f"{source}.doc")
    assert_same_tasks(text_plan(source), got)


def test_doc_without_antiword_says_how_to_convert(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers.shutil, "which", lambda _name: None)
    with pytest.raises(DocumentError, match="另存为") as caught:
        read_document((FIXTURES / "plan_table.doc").read_bytes(), "plan.doc")
    assert "antiword" in str(caught.value) and ".docx" in str(caught.value)


# ---------------------------------------------------------------------------------------------------------
# .html (web pages, Word saved as a web page) and .xls
# ---------------------------------------------------------------------------------------------------------


def html_lines(body: str) -> list[str]:
    """The lines read from a page with this body."""
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"
    return read_document(page.encode(), "page.html").split("\n")


@pytest.mark.parametrize(
    ("encoding", "meta"),
    [("utf-8", True), ("utf-8", False), ("gbk", True), ("gbk", False), ("gb18030", True), ("gb2312", True)],
)
def test_html_encodings_with_and_without_a_declared_charset(encoding: str, meta: bool) -> None:
    data = make_html(parts_of("plan_table.txt"), encoding=encoding, meta=meta)
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(data, "plan.htm"))


@pytest.mark.parametrize("bom", ["utf-8-sig", "utf-16"])
def test_html_with_a_byte_order_mark(bom: str) -> None:
    page = make_html(parts_of("plan_table.txt"), meta=False).decode("utf-8")
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(page.encode(bom), "plan.html"))


def test_html_charset_declared_gb2312_holds_gbk_characters() -> None:
    # 镕 and 堃 are in GBK but not in GB2312; pages declare gb2312 and use them anyway.
    page = "<html><head><meta charset=gb2312></head><body><p>联系人：朱镕、王堃</p></body></html>"
    assert read_document(page.encode("gbk"), "page.html") == "联系人：朱镕、王堃"


def test_html_declared_charset_that_the_bytes_contradict() -> None:
    # A site re-encoded to UTF-8 whose template still says gb2312; and a Big5 page that says so.
    utf8 = "<html><head><meta charset=gb2312></head><body><p>各单位：</p></body></html>".encode()
    big5 = "<html><head><meta charset=big5></head><body><p>各單位：請認真落實</p></body></html>".encode(
        "big5"
    )
    assert read_document(utf8, "a.html") == "各单位："
    assert read_document(big5, "b.html") == "各單位：請認真落實"


@pytest.mark.parametrize("source", ["plan_table.txt", "000", "plan_outline.txt"])
def test_html_table_reads_line_for_line_as_the_same_word_table(source: str) -> None:
    # Same paragraphs, same merged cells (rowspan ↔ vMerge), same multi-paragraph cells: the same lines.
    parts = parts_of(source)
    if SOURCES[source] == "outline":
        docx_data = make_docx(parts, merge_columns=(0, 1), split_column=None)
        html_data = make_html(parts, merge_columns=(0, 1), split_column=None)
    else:
        docx_data = make_docx(parts, merge_columns=(1, 3))
        html_data = make_html(parts, merge_columns=(1, 3))
    assert read_document(html_data, "plan.html") == read_document(docx_data, "plan.docx")


def test_html_rowspan_and_colspan_follow_the_word_convention() -> None:
    lines = html_lines(
        "<table>"
        "<tr><th>序号</th><th>任务名称</th><th>任务内容</th><th>责任单位</th><th>时间节点</th></tr>"
        "<tr><td>1</td><td rowspan='2'>公开</td><td>甲</td><td rowspan=3 colspan=2>区教育局　3月底前</td></tr>"
        "<tr><td>2</td><td>乙</td></tr>"
        "<tr><td rowspan=2>3</td><td>解读</td><td>丙</td></tr>"
        "<tr><td>解读</td><td>丁</td><td>区财政局</td><td>6月底前</td></tr>"
        "<tr><td colspan=5>二、其他事项</td></tr>"
        "</table>"
    )
    assert lines == [
        "序号\t任务名称\t任务内容\t责任单位\t时间节点",
        "1\t公开\t甲\t区教育局 3月底前",
        # a merged 任务名称 stays empty (parse_plan: same item as above), a merged unit cell repeats
        "2\t\t乙\t区教育局 3月底前",
        "3\t解读\t丙\t区教育局 3月底前",
        # a row under a rowspan'd 序号 continues the row above: its carried cells stay empty
        "\t解读\t丁\t区财政局\t6月底前",
        "二、其他事项",
    ]


def test_html_malformed_spans_keep_the_grid() -> None:
    lines = html_lines(
        "<table><tr><td rowspan=3>甲</td><td colspan='2px'>乙</td><td colspan=x>丙</td></tr>"
        "<tr><td>丁</td><td colspan=2>戊</td></tr>"
        "<tr><td rowspan=99999999>己</td><td rowspan=0>庚</td></tr><tr><td>辛</td></tr></table>"
    )
    # Not a task table: one cell per line, each row closed by a blank line (as for Word); spans end with the
    # table (rowspan=0 means "to the end"), and a row's own cells fill the columns no span covers.
    assert lines == ["甲", "乙", "丙", "", "甲", "丁", "戊", "", "甲", "己", "庚", "", "辛", "己", "庚", ""]


def test_html_drops_scripts_styles_navigation_and_hidden_text() -> None:
    text = read_document(make_html(parts_of("plan_table.txt")), "plan.html")
    for chrome in (
        "首页",
        "机构设置",
        "当前位置",
        "分享到微信",
        "版权所有",
        "访问量",
        "var menu",
        "政务公开_测试区",
    ):
        assert chrome not in text
    word = read_document(make_html(parts_of("plan_table.txt"), word=True), "plan.html")
    assert "批注" not in word and "WordDocument" not in word and "Print" not in word


def test_html_blocks_breaks_and_wrapped_source_lines() -> None:
    lines = html_lines(
        "<h1>关于印发\n   工作要点的通知</h1><div>各单位：<br>现将<b>要点</b>印发\n给你们。</div>"
        "<ul><li>一、加强 政策\tGB/T\n9704 解读</li><li>二、<span>做好</span>回应</li></ul>"
        "<pre>第一行\n第二行</pre><p>&nbsp;&nbsp;&nbsp;&nbsp;（一）推进决策公开。&nbsp;</p>"
    )
    assert lines == [
        "关于印发工作要点的通知",
        "各单位：",
        "现将要点印发给你们。",
        "一、加强 政策 GB/T 9704 解读",
        "二、做好回应",
        "第一行",
        "第二行",
        "（一）推进决策公开。",
    ]


def test_html_page_laid_out_in_a_table_reads_the_task_table_inside() -> None:
    # Old portals put the whole page in a layout table; the task table sits in one of its cells.
    page = make_html(parts_of("plan_table.txt")).decode()
    start, end = page.index('<div class="article">'), page.rindex("</table>") + len("</table>")
    framed = (
        page[:start]
        + "<table width=980><tr><td class='leftmenu' width=200>栏目导航</td><td>"
        + page[start:end]
        + "</td></tr></table>"
        + page[end:]
    )
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(framed.encode(), "plan.html"))


@pytest.mark.parametrize("filename", ["plan.doc", "plan.xls", "plan.txt", "plan"])
def test_word_saved_as_a_web_page_under_another_name_is_read(filename: str) -> None:
    # Word's "save as web page" kept the .doc name: GB2312 declared, MsoNormal paragraphs, o:p, XML islands.
    for source in ("plan_table.txt", "plan_prose.txt"):
        parts = parts_of(source)
        data = make_html(parts, word=True, encoding="gb18030").replace(b"gb18030", b"gb2312")
        assert_same_tasks(text_plan(source), read_plan_of(data, filename))


def test_html_sniffed_after_a_leading_comment_or_xml_declaration() -> None:
    body = "<html><body><p>各单位：</p></body></html>"
    for head in (
        "<!-- saved from url=(0042)http://www.example.gov.cn/ -->\n",
        '<?xml version="1.0" encoding="gbk"?>\n',
    ):
        assert read_document((head + body).encode("gbk"), "plan.txt") == "各单位："


def test_xls_reads_line_for_line_as_the_same_xlsx() -> None:
    pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    for source, merges in (("plan_table.txt", (1, 3)), ("000", (1,)), ("plan_outline.txt", (0, 1))):
        parts = parts_of(source)
        xls = read_document(make_xls(parts, merge_columns=merges), "plan.xls")
        assert xls == read_document(make_xlsx(parts, merge_columns=merges, start_column=1), "plan.xlsx")


def test_xls_values_print_as_written() -> None:
    xlwt = pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("表")
    for column, value in enumerate(["序号", "任务内容", "责任单位", "时间节点", "数量", "完成"]):
        sheet.write(0, column, value)
    sheet.write(1, 0, 1)
    sheet.write(1, 1, "做好政策解读")
    sheet.write(1, 2, "区教育局")
    sheet.write(1, 3, date(2024, 3, 31), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    sheet.write(1, 4, 2.5)
    sheet.write(1, 5, True)
    out = io.BytesIO()
    book.save(out)
    lines = read_document(out.getvalue(), "plan.xls").split("\n")
    assert lines[1] == "1\t做好政策解读\t区教育局\t2024-03-31\t2.5\t是"


def test_xls_under_an_xlsx_name_is_read_by_its_magic_bytes() -> None:
    pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    data = built("plan_table.txt", "xls")
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(data, "plan.xlsx"))


def test_html_and_xls_reader_speed() -> None:
    pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    # 001 (78 table tasks) read 5 times each: well under the half second an office file may take.
    for fmt in ("html", "xls"):
        data = built("001", fmt)
        started = time.perf_counter()
        for _ in range(5):
            read_document(data, f"plan.{fmt}")
        assert (time.perf_counter() - started) / 5 < 0.5, fmt


# ---------------------------------------------------------------------------------------------------------
# Text files and detection
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: s.encode("utf-8-sig"),
        lambda s: s.encode("gbk"),
        lambda s: s.encode("gb18030"),
        lambda s: s.encode("utf-16"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030", "utf-16-bom"],
)
def test_text_encodings(encode: Callable[[str], bytes]) -> None:
    text = source_text("plan_table.txt")
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(encode(text), "plan.txt"))


def test_csv_table() -> None:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(parts_of("plan_table.txt").rows)
    plan = read_plan_of(out.getvalue().encode("gbk"), "plan.csv")
    assert_same_tasks(text_plan("plan_table.txt"), plan)


@pytest.mark.parametrize(
    ("fmt", "filename"),
    [
        ("docx", "plan.pdf"),
        ("docx", "plan.txt"),
        ("docx", "plan"),
        ("xlsx", "plan.docx"),
        ("pdf", "plan.docx"),
        ("pdf", "计划.TXT"),
    ],
)
def test_magic_bytes_win_over_the_name(fmt: str, filename: str) -> None:
    assert_same_tasks(text_plan("plan_table.txt"), read_plan_of(built("plan_table.txt", fmt), filename))


@pytest.mark.parametrize(
    ("size", "limit", "message"),
    [
        (3 * 1024 * 1024, 2 * 1024 * 1024, "文件过大（3 MB），上限为 2 MB"),
        (int(2.5 * 1024 * 1024), 1024 * 1024, "文件过大（2.5 MB），上限为 1 MB"),
    ],
)
def test_size_limit(size: int, limit: int, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        read_document(b"x" * size, "big.docx", max_bytes=limit)
    assert str(caught.value) == message


def test_size_limit_lets_smaller_files_through() -> None:
    data = built("plan_table.txt", "docx")
    assert read_document(data, "plan.docx", max_bytes=len(data)).strip()


# ---------------------------------------------------------------------------------------------------------
# Through the import use case
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
def test_import_document_stores_an_office_file(fmt: str, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'duban.db'}")
    init_db(engine)
    outcome = import_document(
        engine,
        built("plan_table.txt", fmt),
        source_name=f"青溪区任务分解表.{fmt}",
        directory=UnitDirectory.default(),
        now=datetime(2024, 2, 6, 1, 0, tzinfo=UTC),
    )
    assert len(outcome.plan.tasks) == 7
    with session_scope(engine) as session:
        assert len(crud.list_tasks(session, plan_id=outcome.result.plan_id)) == 7
    engine.dispose()


def test_read_times_are_modest() -> None:
    # Filled by the format tests above when they ran in this session; a PDF page takes well under a second.
    if not READ_TIMES:
        pytest.skip("没有运行格式测试，无可比较的读取时间")
    slowest = max(READ_TIMES.values())
    assert slowest < 20, {f"{s}.{f}": round(t, 2) for (s, f), t in READ_TIMES.items()}


def test_cli_imports_office_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"sqlite:///{tmp_path / 'duban.db'}")
    files = {"表格.docx": ("plan_table.txt", "docx"), "提纲.xlsx": ("plan_outline.txt", "xlsx")}
    files["要点.pdf"] = ("plan_prose.txt", "pdf")
    for name, (source, fmt) in files.items():
        (tmp_path / name).write_bytes(built(source, fmt))
    (tmp_path / "坏.docx").write_bytes(b"PK\x03\x04broken")
    runner = CliRunner()
    result = runner.invoke(app, ["import", *files, "坏.docx"], env={"COLUMNS": "200"})
    assert result.exit_code == 1  # one bad file among them
    assert "坏.docx" in result.output and "文件已损坏或不完整" in result.output
    assert "Traceback" not in result.output
    listed = runner.invoke(app, ["tasks", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.output)) == 7 + 4 + 7


def _longer_fixture_table() -> PlanParts:
    """The fixture's first six tasks three times over, renumbered 1–18 (text alignment needs rows)."""
    parts = parts_of("plan_table.txt")
    body = [row for row in parts.rows[1:] if row[0].isdigit()][:6]
    rows = [parts.rows[0]] + [[str(i * 6 + j + 1), *row[1:]] for i in range(3) for j, row in enumerate(body)]
    return PlanParts(parts.before, rows, parts.after)


@pytest.mark.parametrize("source", ["fixture", pytest.param("000", marks=pytest.mark.slow)])  # 000: 1.2 s
def test_pdf_unruled_table_with_its_header_on_each_page(source: str) -> None:
    parts = _longer_fixture_table() if source == "fixture" else parts_of(source)
    text = "\n".join(["\n".join(parts.before), *("\t".join(r) for r in parts.rows)])
    data = make_pdf(parts, ruled=False, merge_columns=(), repeat_header=True)
    expected = parse_plan(text)
    assert len(expected.tasks) >= 18
    assert_same_tasks(expected, read_plan_of(data, "unruled.pdf"))
