"""The document model every reader emits: lines of text and tables of cells, as the source states them.

A reader reports what a file holds and decides nothing about what it means: a table is a `TableBlock` of
rows of cells (a cell a vertical merge covers is a `core.tables.Carried` repeating the merged text; a cell's
paragraphs are joined with a space), a paragraph is a line. What a table means (a task table with its
header, or an outline printed in a grid) is decided in one place, `core.tables.table_lines`, when the
document becomes the plan text the parsers read (`document_text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.tables import is_task_header, table_lines, trim_left


@dataclass(slots=True)
class TableBlock:
    """One table as its rows of cells."""

    rows: list[list[str]]


# A line of text (a paragraph, a heading), or a table.
Block = str | TableBlock


@dataclass(slots=True)
class Document:
    """What a reader found in a file, in order. `workbook`: the blocks are a spreadsheet's sheets."""

    blocks: list[Block] = field(default_factory=list)
    workbook: bool = False


def document_text(document: Document) -> str:
    """The plan text of a document: lines as they are, each table as its meaning (core.tables.table_lines).

    In a workbook the first sheet that holds a task table is the plan (other sheets are notes); a workbook
    without one is read sheet by sheet, a cell a line, for the outline and prose layouts.
    """
    blocks = document.blocks
    if document.workbook:
        tables = [b for b in blocks if isinstance(b, TableBlock)]
        task_tables = [t for t in tables if any(is_task_header(trim_left(row)) for row in t.rows)]
        blocks = list(task_tables[:1] or tables)
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, TableBlock):
            lines += table_lines(block.rows)
        else:
            lines.append(block)
    return "\n".join(lines)
