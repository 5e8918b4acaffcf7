"""Task tables: `序号 任务名称 任务内容 责任单位 时间节点`, tab-separated, as readers and typists write them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.models import Task
from core.text import normalize_spaces, units_of

# The usual column order; a header whose columns cannot be told by name is read in it.
_ORDER = ("seq", "category", "content", "units", "deadline")
# Besides one units column a table may split them by role: 牵头单位 (lead) and 配合单位 (support).
_FIELDS = (*_ORDER, "lead", "support")
_HEADER_NAMES = {
    "seq": ("序号", "编号"),
    "category": ("任务名称", "任务", "工作任务", "主要任务", "重点任务", "主要工作任务", "事项"),
    "content": (
        "任务内容",
        "工作要求",
        "工作内容",
        "具体内容",
        "主要内容",
        "工作措施",
        "具体措施",
        "具体任务",
    ),
    "units": ("责任单位", "决策承办单位", "责任部门", "承办单位", "负责单位", "责任主体"),
    "lead": ("牵头单位", "牵头部门", "牵头责任单位"),
    "support": ("配合单位", "配合部门", "协办单位", "协助单位", "参与单位"),
    "deadline": ("时间节点", "完成时限", "完成时间", "时限", "时间安排", "进度安排", "完成时限要求"),
}
# When a header cell is none of the above, a word in it still tells the column.
_HEADER_HINTS = (
    ("lead", ("牵头",)),
    ("support", ("配合", "协办", "协助")),
    ("units", ("单位", "部门")),
    ("deadline", ("时限", "时间", "节点")),
    ("content", ("内容", "要求")),
)
_UNIT_FIELDS = frozenset({"units", "lead", "support"})
_SEQ = re.compile(r"^(?P<n>\d{1,4})\s*[.．、]?$")


def header_columns(cells: list[str]) -> dict[str, int] | None:
    """Column index of each field for a header row `序号 …`, or None if the row is no header."""
    names = [normalize_spaces(c) for c in cells]
    if len(names) < 3 or names[0] not in _HEADER_NAMES["seq"]:
        return None
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        field_name = next((f for f, known in _HEADER_NAMES.items() if name in known), None)
        if field_name is None:
            field_name = next((f for f, hints in _HEADER_HINTS if any(h in name for h in hints)), None)
        if field_name and field_name not in columns:
            columns[field_name] = index
    if "content" not in columns and "category" in columns and columns.keys() & _UNIT_FIELDS:
        # `序号 工作任务 牵头单位 配合单位 完成时限`: the only task column holds the task itself.
        columns["content"] = columns.pop("category")
    # A header we cannot map by name is read in the usual column order.
    if "content" not in columns and len(names) == len(_ORDER):
        return {f: i for i, f in enumerate(_ORDER)}
    return columns if "content" in columns else None


@dataclass(slots=True)
class _Row:
    """One table row as pieces of text per field; a row may continue on the lines after it."""

    pieces: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in _FIELDS})
    # The column where the row's last line stopped when that line ended before the last column.
    open_at: int | None = None

    def add(self, columns: dict[str, int], width: int, cells: list[str], start: int = 0) -> None:
        """Append the non-empty cells of one line to this row, the first cell landing in column start."""
        names = {index: name for name, index in columns.items()}
        for offset, cell in enumerate(cells):
            name = names.get(start + offset)
            if name and cell.strip():
                self.pieces[name].append(cell.strip())
        last = start + len(cells) - 1
        self.open_at = last if last < width - 1 else None

    def text(self, name: str) -> str:
        """The field's line pieces joined by a space (the unit splitter and normalize_spaces repair it)."""
        return " ".join(self.pieces[name])


def parse_table(lines: list[str]) -> list[Task]:
    """Tasks of a tab-separated table; prose before it (a notice) and repeated headers are skipped."""
    columns: dict[str, int] | None = None
    width = 0
    rows: list[_Row] = []
    for line in lines:
        if not line.strip():
            continue
        cells = line.split("\t")
        header = header_columns(cells) if len(cells) > 1 else None
        if header is not None:
            # A repeated header mid-table (other column names, same order) is a page artefact, not a row.
            if columns is None:
                columns, width = header, len(cells)
            continue
        if columns is None:
            continue
        first = cells[0].strip()
        if seq := _SEQ.match(first):
            rows.append(_Row())
            # `1.` or `1、` (typed, or numbered by Word) is the number 1.
            rows[-1].add(columns, width, [seq["n"], *cells[1:]])
        elif rows and rows[-1].open_at is not None and (first or len(cells) == 1):
            # The row above stopped inside a cell (a line break in the PDF): this line goes on from there.
            rows[-1].add(columns, width, cells, rows[-1].open_at)
        elif not first and len(cells) > 1 and rows and any(c.strip() for c in cells):
            # The cells of the row above continue on this line, column by column (a row split over pages).
            rows[-1].add(columns, width, cells)
    return _carry_down(rows)


def _units_cells(row: _Row) -> str:
    """The row's units as one cell, the 牵头单位 and 配合单位 columns marked with their role words."""
    lead, support = row.text("lead"), row.text("support")
    parts = [row.text("units"), f"{lead}牵头" if lead else "", f"{support}配合" if support else ""]
    return "，".join(p for p in parts if p)


def _carry_down(rows: list[_Row]) -> list[Task]:
    """Tasks from rows: an empty 任务名称 (merged cell) continues the row above, units and deadline too."""
    tasks: list[Task] = []
    category, units_text, deadline = "", "", ""
    for row in rows:
        own_category = normalize_spaces(row.text("category"))
        if own_category:
            category = own_category
            units_text, deadline = _units_cells(row), normalize_spaces(row.text("deadline"))
        else:
            units_text = _units_cells(row) or units_text
            deadline = normalize_spaces(row.text("deadline")) or deadline
        tasks.append(
            Task(
                seq=row.text("seq"),
                category=category,
                content=normalize_spaces(row.text("content")),
                units=units_of(units_text),
                deadline_text=deadline,
            )
        )
    return tasks
