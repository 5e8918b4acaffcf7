"""Task tables: column roles from header words and cell content, rows, sections, merged cells.

A task table (任务分解表, 责任清单, 攻坚计划表 …) is read in three steps:

1. **Header.** A row of short cells, at least two of them header words of core/table_words.toml
   (`序号 任务名称 任务内容 责任单位 时间节点`, `工作任务 工作要求 牵头单位 配合/责任单位`,
   `攻坚事项 具体任务 责任单位 责任领导 二季度 三季度 四季度`). It need not start with 序号.
2. **Column roles** (`map_columns`). Every column is scored for every role (seq, group, title, content, lead,
   support, units, leader, deadline, milestone, score, remark, other) from its header words, the content of
   its cells (share of unit lists by the unit grammar of core/units.py, of deadline phrases by
   core.deadlines.extract_phrases, of people's names; mean length; fill rate; repetition down the column) and
   its position. Roles are assigned under constraints: one content column, at most one deadline, seq and
   title column; leader columns never give units. Each column keeps its score, the runner-up role, the
   margin between them and the evidence in Chinese (`ColumnMap.explain`, for `duban import --explain`).
3. **Rows** (`read_table`). A row starts at a number in the seq column (`3`, `3.`, `7-4`) or, in a table
   without one, at each filled line (`1.主动公开…` in the task cell gives the number); a line that stops
   early continues in the next (a PDF break); a row of one cell spanning the table is a section heading (its
   text is the category of the rows under it), a repeated header (a page break) is dropped, and an empty
   title or group cell (a merged cell) carries the row above's title, units and deadline; such units are
   marked inherited.

`rebuild_flattened_table` turns a table whose cells a web page ran together back into rows of cells.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Literal, get_args

from core.deadlines import extract_phrases
from core.models import Task
from core.text import normalize_spaces, units_of
from core.units import is_person_name, longest_first, looks_like_unit, split_units, unit_words

ColumnRole = Literal[
    "seq",
    "group",
    "title",
    "content",
    "lead",
    "support",
    "units",
    "leader",
    "deadline",
    "milestone",
    "score",
    "remark",
    "other",
]
ROLES: tuple[ColumnRole, ...] = get_args(ColumnRole)
ROLE_NAMES: dict[str, str] = {
    "seq": "序号",
    "group": "分组",
    "title": "任务名称",
    "content": "任务内容",
    "lead": "牵头单位",
    "support": "配合单位",
    "units": "责任单位",
    "leader": "责任领导",
    "deadline": "完成时限",
    "milestone": "阶段目标",
    "score": "分值",
    "remark": "备注",
    "other": "其他",
}
_UNIT_ROLES = frozenset({"units", "lead", "support"})
# Roles only one column may take; a second column that scores best for one of them takes its runner-up.
_SINGLE = ("content", "deadline", "seq", "title")


class Carried(str):
    """A cell's text repeated from the vertically merged cell above it (a reader's merge, not typed twice)."""

    __slots__ = ()


# ---------------------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeaderWords:
    """One role's header words: exact names and words a longer header contains (longest first)."""

    exact: frozenset[str]
    contains: tuple[str, ...]


@cache
def table_words() -> dict[str, HeaderWords]:
    """The header vocabulary of core/table_words.toml, per role (read once)."""
    text = resources.files("core").joinpath("table_words.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)["roles"]
    return {
        role: HeaderWords(
            exact=frozenset(_header_key(w) for w in data[role]["exact"]),
            contains=longest_first(data[role]["contains"]),
        )
        for role in ROLES
    }


def _header_key(text: str) -> str:
    """A header cell compared by its words: no whitespace, no markup."""
    return re.sub(r"[\s*＊#]+", "", text)


def header_evidence(header: str) -> dict[str, tuple[float, str]]:
    """What a header cell's words say: role → (weight, Chinese reason); exact names weigh most."""
    key = _header_key(header)
    found: dict[str, tuple[float, str]] = {}
    if not key:
        return found
    for role, words in table_words().items():
        if key in words.exact:
            found[role] = (4.0, f"表头“{key}”")
            continue
        word = next((w for w in words.contains if w in key), None)
        if word is not None:
            # A longer word, or one that covers more of the header, is surer (配合/责任单位: 配合 beats 单位).
            weight = 1.2 + 0.3 * len(word) + 0.3 * len(word) / len(key) + 0.05 * _priority(role)
            found[role] = (weight, f"表头含“{word}”")
    return found


def _priority(role: str) -> int:
    """Earlier roles win a tie of header words: 牵头/配合 before 单位, 时间 before 内容."""
    order = ("lead", "support", "leader", "seq", "deadline", "milestone", "score", "other", "remark")
    return len(order) - order.index(role) if role in order else 0


# ---------------------------------------------------------------------------------------------------------
# Cell content
# ---------------------------------------------------------------------------------------------------------

_SEQ = re.compile(r"^(?P<n>\d{1,4})(?:\s*[-－‐]\s*(?P<sub>\d{1,3}))?\s*[.．、]?$")
_IN_CELL_SEQ = re.compile(r"^\s*(?P<n>\d{1,3})\s*[.．、](?!\d)\s*(?P<rest>\S.*)$", re.S)
_SAMPLE = 12
_NUMBER = re.compile(r"^\d+(?:\.\d+)?\s*分?$")
_SENTENCE = re.compile(r"[。；;！？]")


@cache
def _unit_tails() -> tuple[str, ...]:
    return (*unit_words().suffixes, "牵头", "配合", "负责", "落实", "协助", "参与", "等", "）")


@lru_cache(maxsize=4096)
def is_unit_cell(cell: str) -> bool:
    """Whether a cell is a list of units (区司法局、各街道; 财务处牵头): every name reads as a body."""
    text = normalize_spaces(cell).rstrip("。；; ")
    if not text or len(text) > 80 or _SENTENCE.search(text):
        return False
    if not text.endswith(_unit_tails()):
        return False  # a quick no: a list of units ends in a unit's name or a role word
    names = [u.name for u in split_units(text)]
    return bool(names) and all(looks_like_unit(n) for n in names)


@lru_cache(maxsize=4096)
def is_person_cell(cell: str) -> bool:
    """Whether a cell names only people (张三、李四; 副区长王五)."""
    parts = [p for p in re.split(r"[\s、，,；;/]+", cell.strip()) if p]
    return bool(parts) and len(cell.strip()) <= 40 and all(is_person_name(p) for p in parts)


@lru_cache(maxsize=4096)
def is_deadline_cell(cell: str) -> bool:
    """Whether a cell is chiefly a time (6月底前, 2022年3月, 全年, 二季度), not a long text with a date in it."""
    text = normalize_spaces(cell)
    if not text or len(text) > 60:
        return False
    phrases = extract_phrases(text)
    if not phrases:
        return False
    return len(text) <= 24 or sum(len(p) for p in phrases) * 3 >= len(text)


@dataclass(frozen=True, slots=True)
class ColumnStats:
    """What a column's cells look like: shares are of its filled cells; fill of all its cells."""

    cells: int
    fill: float
    mean_length: float
    units: float
    persons: float
    deadlines: float
    seqs: float
    numbers: float
    repeats: float

    @classmethod
    def of(cls, cells: Sequence[str]) -> ColumnStats:
        """Statistics of one column's body cells (carried cells count as repeats)."""
        texts = [normalize_spaces(c) for c in cells]
        # A sample of the filled cells tells the column as well as all of them (and keeps big tables fast).
        filled = [t for t in texts if t][:_SAMPLE]
        n = len(filled)
        if not n:
            return cls(len(cells), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        carried = sum(isinstance(c, Carried) for c in cells)
        repeats = sum(1 for a, b in itertools.pairwise(texts) if b and a == b) + carried
        return cls(
            cells=len(cells),
            fill=sum(1 for t in texts if t) / len(cells),
            mean_length=sum(len(t) for t in filled) / n,
            units=sum(is_unit_cell(t) for t in filled) / n,
            persons=sum(is_person_cell(t) for t in filled) / n,
            deadlines=sum(is_deadline_cell(t) for t in filled) / n,
            seqs=sum(bool(_SEQ.match(t)) for t in filled) / n,
            numbers=sum(bool(_NUMBER.match(t)) and not _SEQ.match(t) for t in filled) / n,
            repeats=min(1.0, repeats / sum(1 for t in texts if t)),
        )


def _content_evidence(stats: ColumnStats) -> dict[str, list[tuple[float, str]]]:
    """Per role, the weights the cells give and why (in Chinese)."""
    ev: dict[str, list[tuple[float, str]]] = {r: [] for r in ROLES}
    if not stats.cells or not stats.fill:
        ev["remark"].append((0.3, "整列为空"))
        return ev
    units, persons, dates = stats.units, stats.persons, stats.deadlines
    length = stats.mean_length

    # A column of one or two cells is weaker evidence than a column of ten.
    sure = min(1.0, (stats.fill * stats.cells + 1) / 4)

    def add(role: str, weight: float, reason: str) -> None:
        if weight:
            ev[role].append((weight * sure, reason))

    if stats.seqs:
        add("seq", 2.5 * stats.seqs, f"单元格是序号（{stats.seqs:.0%}）")
    if units:
        for role in _UNIT_ROLES:
            # Cells alone cannot tell 牵头 from 配合: without a header word the column is plain 责任单位.
            add(role, (2.7 if role == "units" else 2.5) * units, f"单元格像单位名称（{units:.0%}）")
        add("content", -2.0 * units, "")
        add("title", -1.0 * units, "")
        add("leader", -1.0 * units, "")
        add("other", 0.5 * units, "")
    if persons:
        add("leader", 3.5 * persons, f"单元格是人名（{persons:.0%}）")
        for role in _UNIT_ROLES:
            add(role, -3.0 * persons, "")
    if dates:
        add("deadline", 2.5 * dates, f"单元格像时限（{dates:.0%}）")
        add("milestone", 1.0 * dates, f"单元格像时限（{dates:.0%}）")
        add("content", -1.5 * dates, "")
    if stats.numbers:
        add("score", 2.5 * stats.numbers, f"单元格是数值（{stats.numbers:.0%}）")
    add("content", min(length, 60) / 25, f"平均{length:.0f}字")
    if 4 <= length <= 30:
        add("title", 0.6, f"平均{length:.0f}字")
    if length > 80:
        add("title", -1.0, "")
    merged = max(stats.repeats, 1 - stats.fill)
    if merged >= 0.3:
        add("group", 1.2 * merged, f"纵向合并或重复（{merged:.0%}）")
        add("title", 0.4 * merged, f"纵向合并或重复（{merged:.0%}）")
        add("content", -1.0 * merged, "")
    if stats.fill < 0.5:
        add("remark", 0.5, f"填写率{stats.fill:.0%}")
    return ev


# ---------------------------------------------------------------------------------------------------------
# Column roles
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """The role a column was given, its score, the runner-up and the margin, and the evidence (Chinese)."""

    index: int
    header: str
    role: ColumnRole
    score: float
    runner_up: ColumnRole | None
    margin: float
    reason: str


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """The role of every column of one table."""

    columns: tuple[ColumnChoice, ...]

    def index(self, role: str) -> int | None:
        """The (first) column with this role, or None."""
        return next((c.index for c in self.columns if c.role == role), None)

    def indexes(self, role: str) -> list[int]:
        """Every column with this role, left to right."""
        return [c.index for c in self.columns if c.role == role]

    def fields(self) -> dict[str, int]:
        """The columns under the field names of the older table reader (category = title, else group)."""
        out: dict[str, int] = {}
        for name, roles in (
            ("seq", ("seq",)),
            ("category", ("title", "group")),
            ("content", ("content",)),
            ("units", ("units",)),
            ("lead", ("lead",)),
            ("support", ("support",)),
            ("deadline", ("deadline",)),
        ):
            at = next((i for r in roles if (i := self.index(r)) is not None), None)
            if at is not None:
                out[name] = at
        return out

    def explain(self) -> list[str]:
        """One Chinese line per column: `第3列“牵头单位” → 牵头单位（表头“牵头单位”；…；次选：责任单位，差1.2）`."""
        lines = []
        for c in self.columns:
            runner = f"；次选：{ROLE_NAMES[c.runner_up]}，差{c.margin:.1f}" if c.runner_up else ""
            header = f"“{c.header}”" if c.header else "（无表头）"
            lines.append(f"第{c.index + 1}列{header} → {ROLE_NAMES[c.role]}（{c.reason}{runner}）")
        return lines


def _scores(header: str, stats: ColumnStats | None, index: int) -> dict[str, tuple[float, list[str]]]:
    """Every role's score for one column, with the reasons that raised it."""
    heard = header_evidence(header)
    content = _content_evidence(stats) if stats is not None else {r: [] for r in ROLES}
    out: dict[str, tuple[float, list[str]]] = {}
    for role in ROLES:
        score, reasons = 0.0, []
        if role in heard:
            score += heard[role][0]
            reasons.append(heard[role][1])
        for weight, reason in content[role]:
            score += weight
            if reason and weight > 0:
                reasons.append(reason)
        if index == 0 and role == "seq":
            score += 0.5
            reasons.append("第一列")
        if role == "other":
            score += 0.3
        out[role] = (score, reasons)
    return out


def _ranked(scores: dict[str, tuple[float, list[str]]]) -> list[ColumnRole]:
    """The roles from the best-scored to the worst (ties in `ROLES` order)."""
    return sorted(ROLES, key=lambda role: -scores[role][0])


def map_columns(header: Sequence[str], body: Sequence[Sequence[str]] = ()) -> ColumnMap:
    """The role of each column of a table from its header cells and (when given) its body rows."""
    width = len(header)
    scored = []
    for i in range(width):
        stats = ColumnStats.of([row[i] if i < len(row) else "" for row in body]) if body else None
        scored.append(_scores(header[i], stats, i))
    ranked = [_ranked(s) for s in scored]
    chosen: dict[int, ColumnRole] = {i: ranked[i][0] for i in range(width)}

    def demote(i: int, banned: set[str]) -> None:
        chosen[i] = next((r for r in ranked[i] if r not in banned and scored[i][r][0] > 0), "other")

    # The single roles: the strongest column keeps it, the others take their next role.
    for role in _SINGLE:
        holders = sorted((i for i in chosen if chosen[i] == role), key=lambda i: -scored[i][role][0])
        for i in holders[1:]:
            demote(i, {role, *(r for r in _SINGLE if r in chosen.values() and r != chosen[i])})
    if "content" not in chosen.values():
        # `序号 工作任务 牵头单位 配合单位 完成时限`: the only task column holds the task itself.
        text_columns = [i for i in chosen if chosen[i] in ("title", "group")]
        if text_columns:
            best = max(text_columns, key=lambda i: scored[i]["content"][0])
            chosen[best] = "content"
    columns = []
    for i in range(width):
        role = chosen[i]
        score, reasons = scored[i][role]
        runner = next((r for r in ranked[i] if r != role), None)
        margin = score - scored[i][runner][0] if runner else 0.0
        reason = "；".join(dict.fromkeys(reasons)) or "无明显依据"
        if reasons and not reasons[0].startswith("表头"):
            reason = f"按单元格内容判定（{reason}）"
        columns.append(
            ColumnChoice(
                i, normalize_spaces(header[i]), role, round(score, 2), runner, round(margin, 2), reason
            )
        )
    return ColumnMap(tuple(columns))


def is_header_row(cells: Sequence[str]) -> bool:
    """Whether a row reads as a task table's header: short cells, at least two of them header words."""
    if any(len(c) > 24 for c in cells):
        return False  # a quick no for data rows: header cells are short
    names = [_header_key(c) for c in cells]
    filled = [n for n in names if n]
    if len(filled) < 3 or any(len(n) > 16 for n in filled):
        return False
    if any(_SEQ.match(n) or _IN_CELL_SEQ.match(n) for n in filled):
        return False
    heard = [header_evidence(n) for n in filled]
    return sum(1 for h in heard if h and max(w for w, _ in h.values()) >= 1.5) >= 2


# The usual column order; a header that starts with 序号 but whose other columns cannot be told by name.
_ORDER: tuple[ColumnRole, ...] = ("seq", "title", "content", "units", "deadline")


def header_map(cells: Sequence[str], body: Sequence[Sequence[str]] = ()) -> ColumnMap | None:
    """The column map of a task table's header row (and body), or None when the row is no such header."""
    if any(len(c) > 24 for c in cells):
        return None
    names = [normalize_spaces(c) for c in cells]
    if not is_header_row(names):
        if len(names) == len(_ORDER) and _header_key(names[0]) in table_words()["seq"].exact:
            return ColumnMap(
                tuple(
                    ColumnChoice(i, n, r, 0.0, None, 0.0, "按常见列序")
                    for i, (n, r) in enumerate(zip(names, _ORDER, strict=True))
                )
            )
        return None
    columns = map_columns(names, body)
    return columns if columns.index("content") is not None else None


def header_columns(cells: list[str]) -> dict[str, int] | None:
    """Column index of each field (seq, category, content, units, lead, support, deadline) for a header row
    `序号 …`, or None. The office readers ask this of every table row to decide whether to write the table
    as tab-separated rows; it keeps their older contract (the header starts with 序号, so an outline printed
    in a table, such as `主要工作任务 任务内容 完成时限 责任单位` over numbered items, stays an outline).
    Text tables are read with the general `header_map`."""
    names = [normalize_spaces(c) for c in cells]
    if not names or _header_key(names[0]) not in table_words()["seq"].exact:
        return None
    columns = header_map(names)
    return columns.fields() if columns is not None else None


# ---------------------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------------------

_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百]+[)）]|第[一二三四五六七八九十百]+[部分章节项类])"
)


@dataclass(slots=True)
class TableTask:
    """A task read from a table, with what the Task model has no field for yet."""

    task: Task
    section: str = ""
    # The group column's text (攻坚事项, 重点领域) when the table has one besides its title column.
    group: str = ""
    # The units came from a merged cell above (the row's own units cell is empty).
    inherited: bool = False
    # Quarter or stage columns: (column header, the row's target there).
    milestones: tuple[tuple[str, str], ...] = ()
    # Names in the 责任领导 column (never units).
    leaders: tuple[str, ...] = ()


@dataclass(slots=True)
class TableReading:
    """The tasks of a table document and the column map of each of its tables."""

    tasks: list[TableTask]
    maps: list[ColumnMap]


@dataclass(slots=True)
class _Row:
    """One table row as pieces of text per column; a row may continue on the lines after it."""

    seq: str
    columns: ColumnMap
    section: str
    pieces: dict[int, list[str]] = field(default_factory=dict)
    carried: set[int] = field(default_factory=set)
    # The column where the row's last line stopped when that line ended before the last column.
    open_at: int | None = None

    def add(self, width: int, cells: Sequence[str], start: int = 0) -> None:
        """Append the non-empty cells of one line to this row, the first cell landing in column start."""
        for offset, cell in enumerate(cells):
            if isinstance(cell, Carried):
                self.carried.add(start + offset)
            if cell.strip():
                self.pieces.setdefault(start + offset, []).append(cell.strip())
        last = start + len(cells) - 1
        self.open_at = last if last < width - 1 else None

    def text(self, role: str) -> str:
        """The pieces of the column(s) with this role joined by a space (the unit splitter repairs it)."""
        return " ".join(p for i in self.columns.indexes(role) for p in self.pieces.get(i, []))

    def cell(self, index: int) -> str:
        return normalize_spaces(" ".join(self.pieces.get(index, [])))


def _cells_of(line: str | Sequence[str]) -> list[str]:
    return line.split("\t") if isinstance(line, str) else list(line)


def _is_section(cells: list[str], width: int, open_row: bool) -> bool:
    """A row whose one cell spans the table: a heading such as `一、公开透明`, not a task."""
    filled = [c for c in cells if c.strip()]
    if len(filled) != 1 or width < 3:
        return False
    text = normalize_spaces(filled[0])
    if _SEQ.match(text) or len(text) > 40:
        return False
    if _HEADING.match(text):
        return True
    # Without a heading number only a row the table's last line left complete can be a heading, and not the
    # wrapped end of its last cell (a unit name or a date that went on to the next line of a PDF).
    if open_row or cells[0].strip() != filled[0].strip() or _SENTENCE.search(text) or len(text) < 4:
        return False
    return not (is_unit_cell(text) or is_deadline_cell(text))


def read_table(lines: Sequence[str | Sequence[str]]) -> TableReading | None:
    """The tasks of the task table(s) in a document: tab-separated lines (or rows of cells); prose before the
    table (a notice) is skipped. None when there is no task-table header."""
    all_rows = [_cells_of(line) for line in lines]
    starts = [i for i, cells in enumerate(all_rows) if len(cells) > 2 and header_map(cells) is not None]
    if not starts:
        return None
    maps: list[ColumnMap] = []
    rows: list[_Row] = []
    columns: ColumnMap | None = None
    header: list[str] = []
    width = 0
    section = ""
    skip: set[int] = set()
    for i, cells in enumerate(all_rows):
        if i in starts:
            names = [normalize_spaces(c) for c in cells]
            if i + 1 < len(all_rows) and _is_sub_header(all_rows[i + 1]):
                # A two-row header (`时间节点` over `一季度 二季度 …`): the lower name tells the column.
                lower = [normalize_spaces(c) for c in all_rows[i + 1]]
                names = [lower[j] if j < len(lower) and lower[j] else n for j, n in enumerate(names)]
                names += lower[len(names) :]
                skip.add(i + 1)
            if columns is not None and names == header:
                continue  # the header repeated on a new page
            end = next((s for s in starts if s > i), len(all_rows))
            body = [c for c in all_rows[i + 1 : end] if len(c) > 1]
            found = header_map(names, body) or header_map(names)
            if found is None:
                continue
            columns, header, width = found, names, len(names)
            maps.append(found)
            continue
        if i in skip:
            continue
        if columns is None or not any(c.strip() for c in cells):
            continue
        section = _add_line(rows, columns, width, cells, section)
    tasks = _tasks_of(rows)
    return TableReading(tasks, maps) if maps else None


def _is_sub_header(cells: Sequence[str]) -> bool:
    """Whether the row under a header is its second row: short names, one of them a header word, no number."""
    filled = [normalize_spaces(c) for c in cells if c.strip()]
    if len(filled) < 2 or len(filled) == len(cells) or any(len(n) > 16 or _SEQ.match(n) for n in filled):
        return False
    return sum(1 for n in filled if header_evidence(n)) * 3 >= len(filled) * 2


_CN_SEQ = re.compile(r"^(?P<n>[一二三四五六七八九十]+)\s*[、.．]?$")


def _add_line(rows: list[_Row], columns: ColumnMap, width: int, cells: list[str], section: str) -> str:
    """Add one body line to the rows; returns the section heading in force after it."""
    seq_at = columns.index("seq")
    first = cells[0].strip() if cells else ""
    open_row = bool(rows) and rows[-1].open_at is not None and rows[-1].columns is columns
    if _is_section(cells, width, open_row):
        return normalize_spaces(next(c for c in cells if c.strip()))
    if seq_at is not None and seq_at < len(cells) and (cn := _CN_SEQ.match(normalize_spaces(cells[seq_at]))):
        others = [normalize_spaces(c) for j, c in enumerate(cells) if j != seq_at and c.strip()]
        if len(others) == 1 and len(others[0]) <= 40:
            # `一 | 公开透明 | | |`: a section numbered in the 序号 column.
            return f"{cn['n']}、{others[0]}"
    if seq_at is not None:
        seq_cell = normalize_spaces(cells[seq_at]) if seq_at < len(cells) else ""
        if (m := _SEQ.match(seq_cell)) and isinstance(cells[seq_at], Carried) and rows:
            # A row under a merged 序号 cell is a sub-row of that item: 7 → 7-1, 7-2 …
            base = rows[-1].seq.split("-")[0]
            subs = [r for r in rows if r.seq.split("-")[0] == base]
            if len(subs) == 1 and "-" not in subs[0].seq:
                subs[0].seq = f"{base}-1"
            rows.append(_Row(f"{base}-{len(subs) + 1}", columns, section))
            rows[-1].add(width, cells)
            return section
        if m := _SEQ.match(seq_cell):
            rows.append(_Row(_seq_path(m), columns, section))
            rows[-1].add(width, [*cells[:seq_at], m["n"] if not m["sub"] else seq_cell, *cells[seq_at + 1 :]])
            return section
    elif _starts_row_without_seq(cells, columns, rows):
        content_at = columns.index("content")
        assert content_at is not None
        numbered = _IN_CELL_SEQ.match(cells[content_at]) if content_at < len(cells) else None
        seq = numbered["n"] if numbered else str(len(rows) + 1)
        rows.append(_Row(seq, columns, section))
        if numbered:
            cells = [*cells[:content_at], numbered["rest"], *cells[content_at + 1 :]]
        rows[-1].add(width, cells)
        return section
    if open_row and (first or len(cells) == 1):
        # The row above stopped inside a cell (a line break in the PDF): this line goes on from there.
        rows[-1].add(width, cells, rows[-1].open_at or 0)
    elif not first and len(cells) > 1 and rows:
        # The cells of the row above continue on this line, column by column (a row split over pages).
        rows[-1].add(width, cells)
    return section


def _seq_path(m: re.Match[str]) -> str:
    """`7` → 7; `7-4` (a sub-row under item 7) → 7-4."""
    return f"{m['n']}-{m['sub']}" if m["sub"] else m["n"]


def _starts_row_without_seq(cells: list[str], columns: ColumnMap, rows: list[_Row]) -> bool:
    """In a table without a seq column, whether a line starts a row: its task cell is filled, and it is not
    the rest of a row the line above left open."""
    content_at = columns.index("content")
    if content_at is None or content_at >= len(cells) or not cells[content_at].strip():
        return False
    if isinstance(cells[content_at], Carried):
        return False
    if rows and rows[-1].open_at is not None and rows[-1].columns is columns and not cells[0].strip():
        # Only the rest of the row above when nothing before the task cell is filled and it is no new item.
        return bool(_IN_CELL_SEQ.match(cells[content_at]))
    return True


def _units_text(row: _Row) -> str:
    """The row's units as one cell, the 牵头单位 and 配合单位 columns marked with their role words."""
    lead, support = row.text("lead"), row.text("support")
    parts = [row.text("units"), f"{lead}牵头" if lead else "", f"{support}配合" if support else ""]
    return "，".join(p for p in parts if p)


def _tasks_of(rows: list[_Row]) -> list[TableTask]:
    """Tasks from rows: an empty title or group cell (a merged cell) continues the row above, with its units
    and deadline when the row's own are empty (those units are marked inherited)."""
    tasks: list[TableTask] = []
    title = group = units_text = deadline = ""
    order: dict[str, int] = {}  # group key → its number, in order of first appearance
    keys: list[int] = []
    for row in rows:
        # A new header (a page break) does not reset the carry: its first row may continue a merged cell.
        columns = row.columns
        own_title = normalize_spaces(row.text("title"))
        own_group = normalize_spaces(row.text("group"))
        own_units = _units_text(row)
        own_deadline = normalize_spaces(row.text("deadline"))
        title_at, group_at = columns.index("title"), columns.index("group")
        # Units the reader repeated from a merged cell above (the source says so): inherited.
        unit_columns = [i for r in ("units", "lead", "support") for i in columns.indexes(r)]
        inherited = any(i in row.carried for i in unit_columns)
        merged = (title_at is not None and (not own_title or title_at in row.carried)) or (
            title_at is None and group_at is not None and (not own_group or group_at in row.carried)
        )
        if own_group and own_group != group:
            # A new group starts afresh: no title, units or deadline of the old one.
            merged = False
            if not own_title:
                title = ""
        if own_group:
            group = own_group
        if own_title:
            title = own_title
        if merged:
            # An empty units cell under a merged title or group: the units of the row above, marked inherited.
            inherited = inherited or (not own_units and bool(units_text))
            units_text = own_units or units_text
            deadline = own_deadline or deadline
        else:
            units_text, deadline = own_units, own_deadline
        milestones = tuple(
            (columns.columns[i].header, row.cell(i)) for i in columns.indexes("milestone") if row.cell(i)
        )
        deadline_text = deadline
        if not deadline_text and milestones:
            deadline_text = "；".join(f"{h}{t}" for h, t in milestones)
        key = title or group or row.section
        number = order.setdefault(key, len(order) + 1)
        leaders = tuple(
            n for i in columns.indexes("leader") for n in re.split(r"[\s、，,；;]+", row.cell(i)) if n
        )
        tasks.append(
            TableTask(
                task=Task(
                    seq=row.seq,
                    category=title or group or row.section,
                    content=normalize_spaces(row.text("content")),
                    units=units_of(units_text),
                    deadline_text=deadline_text,
                ),
                section=row.section,
                group=group,
                inherited=inherited,
                milestones=milestones,
                leaders=leaders,
            )
        )
        keys.append(number)
    seqs = [t.task.seq for t in tasks]
    if len(set(seqs)) < len(seqs):
        # Numbers that restart under each title or group: the path names the group too (2-1, 2-2).
        for t, k in zip(tasks, keys, strict=True):
            if "-" not in t.task.seq:
                t.task.seq = f"{k}-{t.task.seq}"
    return tasks


def explain_table(lines: Sequence[str | Sequence[str]]) -> list[ColumnMap]:
    """The column map of each task table in a document (for `duban import --explain`); [] when none."""
    reading = read_table(lines)
    return reading.maps if reading else []


# ---------------------------------------------------------------------------------------------------------
# Flattened tables: a web page saved as text runs the cells together
# ---------------------------------------------------------------------------------------------------------

# What the cell after a row number may start with when it is text (not a date).
_TEXT_START = re.compile(r"[\u4e00-\u9fff《“\"（(【]")
_DATE_START = re.compile(
    r"(?:(?:19|20)\d{2}\s*年|\d{1,2}\s*月|[一二三四]?季度|第[一二三四]季度|[上下]半年|全年|年底|年内|即日起|长期|持续)"
)
_SPACES_RUN = re.compile(r"\s+")


@cache
def _header_vocabulary() -> tuple[str, ...]:
    """Every exact header word, longest first, for segmenting a run of glued header cells."""
    return longest_first(w for hw in table_words().values() for w in hw.exact if len(w) >= 2)


def _header_run(text: str, start: int) -> list[str]:
    """The longest chain of header words glued together from start (spaces between them allowed)."""
    best: list[str] = []

    def walk(at: int, chain: list[str]) -> None:
        nonlocal best
        if len(chain) > len(best) or (len(chain) == len(best) and sum(map(len, chain)) > sum(map(len, best))):
            best = list(chain)
        while at < len(text) and text[at] in " \t\u3000":
            at += 1
        for word in _header_vocabulary():
            if text.startswith(word, at) and len(chain) < 16:
                walk(at + len(word), [*chain, word])

    walk(start, [])
    return best


@cache
def _header_run_pattern() -> re.Pattern[str]:
    """Three or more header words in a row: where a flattened header may be."""
    words = "|".join(re.escape(w) for w in _header_vocabulary())
    return re.compile(rf"(?:{words})(?:[ \t\u3000]*(?:{words})){{2,}}")


def _find_header(text: str) -> tuple[list[str], int] | None:
    """The run of header words that makes the best task-table header, and where its body starts."""
    best: tuple[list[str], int] | None = None
    for candidate in _header_run_pattern().finditer(text):
        run = _header_run(text[: candidate.end()], candidate.start())
        if len(run) >= 3 and header_map(run) is not None and (best is None or len(run) > len(best[0])):
            end = candidate.start()
            for word in run:
                end = text.index(word, end) + len(word)
            best = (run, end)
    return best


def _starts_cell(text: str, role: str) -> bool:
    """Whether text can begin a cell of a column with this role (a date for a deadline column)."""
    if role in ("deadline", "milestone"):
        return bool(_DATE_START.match(text))
    return bool(_TEXT_START.match(text))


def _ends_row(text: str, role: str) -> bool:
    """Whether text can end a row whose last column has this role (a date, a unit name); others can't tell."""
    if role in ("deadline", "milestone"):
        return _date_suffix(text) > 0
    if role in _UNIT_ROLES:
        return _units_suffix(text) > 0
    return True


def _cut_rows(body: str, first_role: str, last_role: str) -> list[tuple[str, str]]:
    """(row number, row text) for the rows 1, 2, 3 … numbered in a run of text; the numbers are glued to the
    next cell (`12022年3月` is row 1 and `2022年3月`), so a number only counts where the next cell can start
    and the row before it can end (`开展2次检查` is no row 2 when rows end in a date)."""
    rows: list[tuple[str, str]] = []
    at = 0
    n = 1
    while True:
        label = str(n)
        found = None
        search = at
        while (hit := body.find(label, search)) >= 0:
            before = body[hit - 1] if hit else ""
            after = body[hit + len(label) :].lstrip()
            plausible = (
                not before.isdigit() and before not in tuple("第约共计") and _starts_cell(after, first_role)
            )
            # Row 1 opens the body; later rows need some text of the row before them.
            if plausible and n > 1:
                plausible = hit - at >= 4 and _ends_row(body[at:hit].strip(), last_role)
            if plausible and (n > 1 or not body[:hit].strip()):
                found = hit
                break
            search = hit + 1
            if n == 1:
                break
        if found is None:
            break
        if rows:
            rows[-1] = (rows[-1][0], body[at:found].strip())
        at = found + len(label)
        rows.append((label, body[at:].strip()))
        n += 1
    return rows


def _end_of_last_row(rows: list[tuple[str, str]]) -> None:
    """The last row runs on into whatever follows the table: cut it at the first space past a typical row."""
    if not rows:
        return
    label, last = rows[-1]
    others = [len(t) for _, t in rows[:-1]]
    typical = sum(others) / len(others) if others else 10
    for m in _SPACES_RUN.finditer(last):
        if m.start() >= typical * 0.6:
            rows[-1] = (label, last[: m.start()])
            return


def _date_prefix(text: str) -> int:
    """Length of the date phrase a cell text starts with (0 if none)."""
    m = _DATE_START.match(text)
    if not m:
        return 0
    phrase = next((p for p in extract_phrases(text[:30]) if text.startswith(p)), None)
    return len(phrase) if phrase else 0


def _date_suffix(text: str) -> int:
    """Length of the date phrase a row ends with (0 if none)."""
    tail = text[-30:]
    phrase = next((p for p in reversed(extract_phrases(tail)) if tail.endswith(p)), None)
    return len(phrase) if phrase else 0


_NAME_STARTS = ("区", "市", "县", "省", "镇", "乡", "各")
_LIST_MARKS = "、，,；;"


def _last_unit(text: str) -> int:
    """Where the unit name a text ends with starts (its role word kept: 各街道配合), or -1. A name starts at a
    level prefix (区 市 县 镇 各 …) or after punctuation; the shortest such name that reads as a body wins."""
    for i in range(len(text) - 2, -1, -1):
        starts = text[i] in _NAME_STARTS or i == 0 or text[i - 1] in _LIST_MARKS + "。：:）)》” "
        if starts and text[i] not in _LIST_MARKS and len(text) - i >= 3 and is_unit_cell(text[i:]):
            return i
    return -1


def _unit_names_at_end(text: str) -> list[int]:
    """Start of each unit name in the run of names a row ends with, left to right (read backwards: a name,
    then a list mark or a name glued before it, and so on)."""
    starts: list[int] = []
    end = len(text)
    while end > 0:
        at = _last_unit(text[:end])
        if at < 0:
            break
        starts.insert(0, at)
        end = at
        while end > 0 and text[end - 1] in _LIST_MARKS:
            end -= 1
        if end > 0 and text[end - 1] in "。；;":
            break
    return starts


def _units_suffix(text: str) -> int:
    """Length of the run of unit names a row ends with (read backwards with the unit grammar)."""
    starts = _unit_names_at_end(text)
    return len(text) - starts[0] if starts else 0


def _common_suffix(texts: list[str]) -> str:
    """The longest text every row ends with (cells repeated down the column, such as a venue); it starts at
    no closing bracket (a title two rows happen to end alike is not cut in half)."""
    if len(texts) < 2:
        return ""
    tail = texts[0]
    for t in texts[1:]:
        k = 0
        while k < min(len(tail), len(t)) and tail[-1 - k] == t[-1 - k]:
            k += 1
        tail = tail[len(tail) - k :]
    closing = max(tail.rfind(c) for c in "》”）)】")
    return tail[closing + 1 :] if closing >= 0 else tail


def _row_cells(text: str, roles: Sequence[str], shared: str) -> list[str]:
    """One row's text cut into cells by what each column holds: dates at the start or end, unit runs at the
    end; a tail all rows share is the columns after the task; the rest is the task."""
    cells = [""] * len(roles)
    content_at = roles.index("content")
    left, right = 0, len(roles) - 1
    rest = text
    # Columns before the task: a seq or a date cell can be told by its form.
    while left < content_at:
        role = roles[left]
        if role in ("deadline", "milestone") and (k := _date_prefix(rest)):
            cells[left], rest = rest[:k], rest[k:]
        left += 1
    # Columns after the task, from the right.
    if shared and rest.endswith(shared) and len(shared) < len(rest):
        tail_roles = roles[content_at + 1 :]
        pieces = _split_tail(shared, tail_roles)
        for offset, piece in enumerate(pieces):
            cells[content_at + 1 + offset] = piece
        rest = rest[: -len(shared)]
        right = content_at
    while right > content_at:
        role = roles[right]
        if role in ("deadline", "milestone"):
            k = _date_suffix(rest)
            if k and k < len(rest):
                cells[right], rest = rest[-k:], rest[:-k]
            right -= 1
        elif role in _UNIT_ROLES:
            # Adjacent unit columns (牵头单位 配合单位) share one run of names: the first column takes the
            # first name, each later column the name after it, the last column the rest.
            first = right
            while first - 1 > content_at and roles[first - 1] in _UNIT_ROLES:
                first -= 1
            starts = _unit_names_at_end(rest)
            if starts and starts[0] > 0:
                ends = [*starts[1:], len(rest)]
                names = [rest[a:b].strip(_LIST_MARKS) for a, b in zip(starts, ends, strict=True)]
                width = right - first + 1
                if width == 1:
                    names = [rest[starts[0] :]]
                for offset in range(width):
                    chunk = names[offset:] if offset == width - 1 else names[offset : offset + 1]
                    cells[first + offset] = "、".join(chunk)
                rest = rest[: starts[0]]
            right = first - 1
        else:
            right -= 1
    cells[content_at] = rest.strip()
    return [c.strip() for c in cells]


def _split_tail(tail: str, roles: Sequence[str]) -> list[str]:
    """A tail shared by every row split over the columns after the task: the last column takes the last name
    (the unit grammar reads it backwards), the column before it the rest."""
    if len(roles) <= 1:
        return [tail]
    last = tail
    # Most place names have two characters before their place word (北港片区), some three or four.
    for before in (2, 3, 4):
        start = next((i for i in range(1, len(tail) - 1) if _place_at(tail[i:]) == before), None)
        if start is not None:
            last = tail[start:]
            break
    head = tail[: len(tail) - len(last)]
    return [*_split_tail(head, roles[:-1]), last] if head else ["" for _ in roles[:-1]] + [last]


def _place_at(text: str) -> int | None:
    """Where the place word of a single body or place name (北港片区会议中心 → 2) stands, or None when text is
    a list, a phrase or no such name."""
    if any(c in text for c in "、，,；;。 ") or not looks_like_unit(text) or len(text) > 20:
        return None
    found = [text.find(w) for w in unit_words().place_words if len(w) > 1 and 0 < text.find(w) <= 4]
    return min(found) if found else None


def rebuild_flattened_table(text: str) -> list[list[str]] | None:
    """A task table whose cells a web page ran together, as rows of cells (the header row first), or None.

    The header is the longest run of header words (core/table_words.toml) glued together; rows are cut at
    the row numbers 1, 2, 3 … that follow it (each glued to its first cell: `12022年3月` is row 1, cell
    `2022年3月`); cells are cut by what each column holds: a date at the start or end of the row for a
    deadline column, a run of unit names at the end for a units column, a tail every row shares (a venue, the
    trainees) for the columns after the task; the rest is the task."""
    found = _find_header(text)
    if found is None:
        return None
    header, body_at = found
    columns = header_map(header)
    if columns is None or columns.index("seq") != 0:
        return None
    roles = [c.role for c in columns.columns]
    body = text[body_at:].split("\n", 1)[0]
    rows = _cut_rows(body, roles[1] if len(roles) > 1 else "content", roles[-1])
    _end_of_last_row(rows)
    if not rows:
        return None
    shared = _common_suffix([t for _, t in rows]) if len(rows) >= 2 else ""
    if shared and any(len(shared) >= len(t) for _, t in rows):
        shared = ""
    table = [list(header)]
    for label, row in rows:
        table.append([label, *_row_cells(row, roles, shared)[1:]])
    return table


def table_maps(text: str) -> list[ColumnMap]:
    """The column map of each task table of a document's text, a flattened one rebuilt if there is no other
    (for `duban import --explain`: print `ColumnMap.explain()` line by line)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    maps = explain_table(lines)
    if not maps and (rebuilt := rebuild_flattened_table(text)):
        maps = explain_table(rebuilt)
    return maps


# ---------------------------------------------------------------------------------------------------------
# A table as plan text: what a reader's table means (readers report tables as they are; core.blocks)
# ---------------------------------------------------------------------------------------------------------

_CELL_WS = re.compile(r"[ \t\u00a0\u3000]+")


def cell_text(text: str) -> str:
    """A cell's text on one line with no tabs (a tab would start a new column)."""
    return _CELL_WS.sub(" ", text.replace("\r", "\n").replace("\n", " ")).strip()


def is_task_header(cells: list[str]) -> bool:
    """Whether a row is a task-table header `序号 任务名称 任务内容 …` that parse_plan reads."""
    return header_columns([cell_text(c) for c in cells]) is not None


def trim_left(row: list[str]) -> list[str]:
    """A row without its leading empty cells (a table that starts in column B)."""
    start = next((i for i, c in enumerate(row) if cell_text(c)), len(row))
    return row[start:]


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table as plan text: tab-separated rows under a task header, else one cell per line."""
    at = next((i for i, row in enumerate(rows) if is_task_header(trim_left(row))), None)
    if at is None:
        lines: list[str] = []
        for row in rows:
            cells = [cell_text(c) for c in row if cell_text(c)]
            # Outline-like tables (heading, numbered task, deadline, units) read as the outline layout.
            lines += [*cells, ""]
        return lines
    offset = len(rows[at]) - len(trim_left(rows[at]))
    columns = header_columns([cell_text(c) for c in rows[at][offset:]]) or {}
    # parse_plan reads an empty 序号 as "this row continues the one above" and an empty 任务名称 as "same
    # item, units and deadline as above", so merged cells there stay empty; other merged cells repeat.
    blank_when_carried = {columns.get("seq", 0), columns.get("category", -1)}
    lines = [cell_text(" ".join(c for c in row if c)) for row in rows[:at]]
    for row in rows[at:]:
        cells = row[offset:]
        continuation = not cells or not cells[columns.get("seq", 0)].strip() or isinstance(cells[0], Carried)
        cells = [
            "" if isinstance(c, Carried) and (continuation or i in blank_when_carried) else cell_text(c)
            for i, c in enumerate(cells)
        ]
        while cells and not cells[-1]:
            cells.pop()
        lines.append("\t".join(cells) if any(cells) else "")
    return lines
