"""The document model: every reader reports lines and tables as the source states them; what a table means
is decided once, when the document becomes plan text (core.blocks.document_text → core.tables.table_lines)."""

from __future__ import annotations

from filemakers import PlanParts, make_docx, make_xlsx

from core.blocks import Document, TableBlock, document_text
from core.readers import read_blocks, read_document
from core.tables import Carried

HEADER = ["序号", "任务名称", "任务内容", "责任单位", "时间节点"]
ROWS = [
    HEADER,
    ["1", "档案开放", "公布开放目录", "区档案馆", "6月底前"],
    ["2", "", "组织开放日", "", "9月底前"],
]


def test_a_word_table_is_reported_as_its_cells_with_merges_marked() -> None:
    data = make_docx(PlanParts(before=["2024年某区工作要点"], rows=ROWS), merge_columns=(1, 3))
    document = read_blocks(data, "plan.docx")
    [table] = [b for b in document.blocks if isinstance(b, TableBlock)]
    assert table.rows[0] == HEADER
    assert table.rows[2][2] == "组织开放日"
    # The merged 任务名称 and 责任单位 cells are repeated and marked, not decided on by the reader.
    assert isinstance(table.rows[2][1], Carried) and table.rows[2][1] == "档案开放"
    assert isinstance(table.rows[2][3], Carried) and table.rows[2][3] == "区档案馆"
    assert "2024年某区工作要点" in document.blocks
    assert document_text(document) == read_document(data, "plan.docx")


def test_a_table_that_is_no_task_table_is_read_a_cell_a_line() -> None:
    outline = [["一、完善制度"], ["1.修订公开目录"], ["6月底前"], ["区档案馆"]]
    text = document_text(Document(["2024年某区工作要点", TableBlock([list(r) for r in outline])]))
    assert text.split("\n")[:5] == ["2024年某区工作要点", "一、完善制度", "", "1.修订公开目录", ""]


def test_a_workbook_is_its_first_sheet_with_a_task_table() -> None:
    data = make_xlsx(PlanParts(rows=ROWS))
    document = read_blocks(data, "plan.xlsx")
    assert document.workbook and all(isinstance(b, TableBlock) for b in document.blocks)
    notes = TableBlock([["说明"], ["本表为草稿"]])
    text = document_text(Document([notes, *document.blocks], workbook=True))
    assert "本表为草稿" not in text and text.startswith("序号\t任务名称")
