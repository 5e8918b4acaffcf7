"""Work-plan documents → tasks: decode bytes, detect the layout (table, outline, prose), read the tasks."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from core.deadlines import cn_to_int, extract_phrases
from core.models import DocumentError, Layout, Plan, Task, UnitRef
from core.outline import outline_levels, outline_tasks
from core.tables import read_table, rebuild_flattened_table, table_maps
from core.text import MARKUP, clean_line, normalize_spaces, sanitize, units_of
from core.units import unit_norms

# Who a task belongs to when its item names nobody: the whole audience of the plan.
DEFAULT_AUDIENCE = "各单位"

# ---------------------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def decode_text(data: bytes) -> str:
    """Decode a plan file (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030) or raise DocumentError."""
    if not data or not data.strip():
        raise DocumentError("文件为空")
    if data.startswith(b"%PDF"):
        raise DocumentError("这是 PDF 文件，请先把内容复制或另存为文本文件（.txt）再导入")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError("这是 Word/Excel 或压缩文件，请先另存为文本文件（.txt）再导入")
    text = _decode(data)
    # Binary files slip through GB18030 (almost any byte pair is a valid character) but carry control bytes.
    if text is None or len(_CONTROL.findall(text)) > max(2, len(text) // 200):
        raise DocumentError("无法识别文件编码，可能不是文本文件（支持 UTF-8、GBK/GB18030 编码的 .txt 文件）")
    if not text.strip():
        raise DocumentError("文件为空")
    return text


def _decode(data: bytes) -> str | None:
    """The text under the first encoding that decodes the bytes strictly, or None."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _cn_number(text: str) -> int | None:
    """Arabic or Chinese numeral as printed in dates (2023, 二〇二三, 二十, 十一); None if not a number."""
    try:
        return cn_to_int(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------
# Metadata: title, issuing body, year, issue date
# ---------------------------------------------------------------------------------------------------------

_NUMERAL = r"[\d〇零○Ｏ一二三四五六七八九十]"
_DATE = rf"(?P<y>{_NUMERAL}{{4}})\s*年\s*(?P<m>{_NUMERAL}{{1,2}})\s*月\s*(?P<d>{_NUMERAL}{{1,3}})\s*日"
_ISSUED_LINE = re.compile(rf"^(?P<before>.*?)\s*{_DATE}\s*印\s*发$")
_DATE_LINE = re.compile(rf"^[（(]?\s*{_DATE}\s*[)）]?$")
_ORG = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,40}?(?:人民政府办公室|人民政府办公厅|办公室|办公厅|人民政府|政府|委员会|管委会|"
    r"领导小组|小组|局|委|办|中心)$"
)
_TITLE_WORDS = re.compile(r"(?:工作要点|任务分解表?|清单|工作任务|方案|计划|工作安排)$")
# `关于做好……专项攻坚行动的通知`: a notice that is itself the plan.
_NOTICE_LINE = re.compile(r"关于.{4,80}的(?:通知|意见|决定)$")
# `岚金井办〔2022〕29号`: a document number, never a title.
_DOC_NUMBER = re.compile(r"[〔\[（(]\s*(?:19|20)\d{2}\s*[〕\]）)]\s*\d+\s*号$")
_NOTICE_TITLE = re.compile(r"《(?P<inner>[^》]{4,60})》")
_SUMMARY_SUBJECT = re.compile(r"(?P<y>\d{4})\s*年\s*[，,]\s*(?P<subject>[^，,。：:]{2,40}?)的总体要求")
_YEAR = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年")
_BARE_YEAR = re.compile(r"^(?P<y>(?:19|20)\d{2})\s*年?$")


def _to_date(match: re.Match[str]) -> date | None:
    """The date in a match of _DATE, or None when the numbers make no date."""
    y, m, d = (_cn_number(match[k]) for k in ("y", "m", "d"))
    if y is None or m is None or d is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _find_title(lines: list[str]) -> str | None:
    """The plan's title: a short heading naming a work plan, or the plan named in an issuing notice."""
    for line in lines:
        if not line or len(line) > 80 or line.startswith("附件"):
            continue
        inner = _NOTICE_TITLE.search(line)
        if inner and line.endswith("通知") and _TITLE_WORDS.search(inner["inner"]):
            return inner["inner"]
        if re.search(r"[，,。：:；;]", line):
            continue
        if _TITLE_WORDS.search(line):
            return line
    return None


def _fallback_title(lines: list[str]) -> str:
    """A title for a document that prints none: its subject sentence, else its first short line."""
    for line in lines:
        summary = _SUMMARY_SUBJECT.search(line)
        if summary:
            return f"{summary['y']}年{summary['subject']}"
    for line in lines:
        if line and len(line) <= 100 and _NOTICE_LINE.search(line):
            return line
    # Text run together (a web page saved as text): the plan a notice names, or the notice's subject.
    body = "".join(lines)
    named = re.search(r"关于印发\s*《(?P<inner>[^》]{4,60})》", body)
    if named:
        return named["inner"]
    notice = re.search(r"关于(?P<subject>[^，。；：]{4,60}?)的(?:通知|意见|决定)", body)
    if notice:
        return f"关于{notice['subject']}的通知"
    for line in lines:
        if line and len(line) <= 40 and not _DOC_NUMBER.search(line):
            return line
    return "未命名计划"


def _find_year(titles: list[str], lines: list[str]) -> int | None:
    """The plan's year as the first of its titles states it, else a heading that is only a year."""
    for title in titles:
        match = _YEAR.search(title)
        if match:
            return int(match["y"])
    for line in lines:
        bare = _BARE_YEAR.match(line)
        if bare:
            return int(bare["y"])
    return None


def _body_year(lines: list[str]) -> int | None:
    """The year the body names most often (`2021年` ×5 beats `2020年` ×1), or None."""
    counts: dict[int, int] = {}
    for line in lines:
        for m in _YEAR.finditer(line):
            counts[int(m["y"])] = counts.get(int(m["y"]), 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda y: (counts[y], y))


def _find_issued(lines: list[str]) -> tuple[date | None, int | None]:
    """The issue date and the index of its line: `…印发` wins over a date line under the notice."""
    for i, line in enumerate(lines):
        match = _ISSUED_LINE.match(line)
        if match and _to_date(match):
            return _to_date(match), i
    for i, line in enumerate(lines):
        match = _DATE_LINE.match(line)
        if match and _to_date(match):
            return _to_date(match), i
    return None, None


def _find_issuer(lines: list[str], issued_at: int | None) -> str | None:
    """The issuing body: signed above the issue date, on the same line as `…印发`, or in a `…文件` header."""
    candidates: list[int] = []
    if issued_at is not None:
        match = _ISSUED_LINE.match(lines[issued_at])
        before = normalize_spaces(match["before"]) if match else ""
        if before and _ORG.match(before):
            return before
        candidates.append(issued_at)
    candidates += [i for i, line in enumerate(lines) if _ISSUED_LINE.match(line) or _DATE_LINE.match(line)]
    for at in candidates:
        previous = next((lines[j] for j in range(at - 1, -1, -1) if lines[j]), "")
        if _ORG.match(previous):
            return previous
    for line in lines:
        if line.endswith("文件") and _ORG.match(line[:-2]):
            return line[:-2]
    return None


# ---------------------------------------------------------------------------------------------------------
# Outline layout: headings `一、…` / `（一）…`, tasks `N.内容` followed by a deadline line and a units line
# ---------------------------------------------------------------------------------------------------------

_CN_ORDINAL = "一二三四五六七八九十百"
_SECTION = re.compile(rf"^[{_CN_ORDINAL}]+[、．.]\s*(?P<text>.*)$")
_SUBSECTION = re.compile(rf"^[（(]\s*[{_CN_ORDINAL}]+\s*[)）]\s*(?P<text>.*)$")
_NUMBERED = re.compile(r"^(?P<seq>\d{1,4})\s*[.．、]\s*(?!\d)(?P<text>.+)$")
_ONGOING = re.compile(r"持续|长期|常态化|经常性")


@dataclass(slots=True)
class _Block:
    """A numbered task line and the lines under it until the next task or heading."""

    seq: str
    category: str
    lines: list[str]


def _outline_blocks(lines: list[str]) -> list[_Block]:
    """Numbered blocks of an outline document, each with the heading it sits under."""
    blocks: list[_Block] = []
    section = subsection = ""
    current: _Block | None = None
    for raw in lines:
        line = clean_line(raw)
        if not line:
            continue
        if m := _NUMBERED.match(line):
            current = _Block(m["seq"], subsection or section, [m["text"]])
            blocks.append(current)
        elif m := _SUBSECTION.match(line):
            subsection, current = m["text"], None
        elif m := _SECTION.match(line):
            section, subsection, current = m["text"], "", None
        elif current is not None:
            # Keep the raw line for the units: the unit splitter needs its spaces.
            current.lines.append(raw.strip())
    return blocks


def _reads_as_deadline(line: str) -> bool:
    """Whether a line states a deadline (`6月底前`, `全年`, `持续推进`) rather than units."""
    return bool(extract_phrases(line) or _ONGOING.search(line))


def _parse_outline(lines: list[str]) -> list[Task]:
    """Tasks of an outline document, or [] when its numbered lines are not followed by deadline and units."""
    blocks = _outline_blocks(lines)
    # A real outline block ends in a short deadline line and a units line; numbered prose paragraphs do not.
    complete = sum(len(b.lines) >= 3 and len(b.lines[-2]) <= 40 for b in blocks)
    if not blocks or complete * 2 < len(blocks):
        return []
    tasks = []
    for block in blocks:
        content_lines, deadline, units_text = block.lines, "", ""
        if len(block.lines) >= 3:
            content_lines, deadline, units_text = block.lines[:-2], block.lines[-2], block.lines[-1]
            if _reads_as_deadline(units_text) and not _reads_as_deadline(deadline):
                # Units above the deadline, the other way round from the usual outline.
                deadline, units_text = units_text, deadline
        elif len(block.lines) == 2:
            if _reads_as_deadline(block.lines[1]):
                deadline = block.lines[1]
            else:
                units_text = block.lines[1]
            content_lines = block.lines[:1]
        tasks.append(
            Task(
                seq=block.seq,
                category=block.category,
                content=normalize_spaces(" ".join(content_lines)),
                units=units_of(units_text),
                deadline_text=normalize_spaces(deadline),
            )
        )
    return tasks


# ---------------------------------------------------------------------------------------------------------
# Prose layout: items `（一）标题。内容…（责任单位：…）`
# ---------------------------------------------------------------------------------------------------------

_ITEM = re.compile(rf"^[（(]\s*[{_CN_ORDINAL}]+\s*[)）]\s*(?P<title>[^。]{{1,60}}?)\s*。\s*(?P<body>.*)$")
# Lines after the plan body (attachments, distribution list) belong to no item.
_CLOSING = re.compile(r"^(?:附\s*件|抄\s*送|主\s*送|（此件公开发布）|\(此件公开发布\))")
# `（责任单位：…）`, or without brackets at the start of a sentence, running to the end of the paragraph.
_UNITS_OPEN = re.compile(
    r"(?:[（(]|^|(?<=[。；;]))\s*(?:责\s*任|牵\s*头|承\s*办|负\s*责)\s*(?:单\s*位|部\s*门)\s*[:：]"
)


def _split_units_clause(text: str) -> tuple[str, list[str]]:
    """The text without its `（责任单位：…）` clauses, and the clauses' unit texts (nested brackets kept)."""
    clauses: list[str] = []
    rest: list[str] = []
    position = 0
    for opening in _UNITS_OPEN.finditer(text):
        if opening.start() < position:
            continue
        bracketed = opening.group(0)[0] in "（("
        depth, end = 1, len(text)
        for index in range(opening.end(), len(text) if bracketed else 0):
            depth += text[index] in "（("
            depth -= text[index] in ")）"
            if depth == 0:
                end = index
                break
        rest.append(text[position : opening.start()])
        # The label stays with the clause: `牵头单位：` and a later `配合单位：` give the units their roles.
        label = re.sub(r"\s+", "", opening.group(0).lstrip("（("))
        clauses.append(label + text[opening.end() : end].rstrip("。.；; "))
        position = end + 1
    rest.append(text[position:])
    return "".join(rest), clauses


@dataclass(slots=True)
class _Item:
    """One prose task being gathered: its title, its text pieces and its unit clauses."""

    title: str
    pieces: list[str]
    clauses: list[str]


def _prose_items(lines: list[str]) -> list[_Item]:
    """Items of a prose plan; unnumbered paragraphs continue an item unless they bring units of their own."""
    items: list[_Item] = []
    current: _Item | None = None
    heading = ""
    for raw in lines:
        line = MARKUP.sub("", raw.strip()).strip()
        if not line:
            continue
        cleaned = normalize_spaces(line)
        body, clauses = _split_units_clause(line)
        if m := _ITEM.match(line):
            body, clauses = _split_units_clause(m["body"])
            current = _Item(normalize_spaces(m["title"]), [body], clauses)
            items.append(current)
        elif (m := _SUBSECTION.match(cleaned)) or _SECTION.match(cleaned) or _CLOSING.match(cleaned):
            # A heading alone on its line (`（一）指导思想`, `二、…`) starts no task and ends the one before.
            current, heading = None, m["text"] if m else ""
        elif current is None:
            if clauses and heading:
                # `（一）标题` on its own line, then a paragraph naming its units: the heading titles a task.
                current = _Item(heading, [body], clauses)
                items.append(current)
        elif clauses and current.clauses:
            # A paragraph with its own `（责任单位：…）` after a finished item is a task of its own.
            current = _Item(current.title, [body], clauses)
            items.append(current)
        else:
            # A PDF line break inside the item: glue the pieces back without a space.
            current.pieces.append(body)
            current.clauses += clauses
    return items


def _parse_prose(lines: list[str]) -> list[Task]:
    """Tasks of a prose plan, numbered 1, 2, … across the plan; an item naming no units goes to 各单位."""
    tasks = []
    for number, item in enumerate(_prose_items(lines), start=1):
        content = normalize_spaces("".join(item.pieces)) or item.title
        units: list[UnitRef] = []
        for clause in item.clauses:
            units += [u for u in units_of(clause) if u not in units]
        phrases: list[str] = []
        for phrase in extract_phrases(f"{item.title}。{content}"):
            if phrase not in phrases:
                phrases.append(phrase)
        tasks.append(
            Task(
                seq=str(number),
                category=item.title,
                content=content,
                units=units or [UnitRef(DEFAULT_AUDIENCE, "owner")],
                deadline_text="；".join(phrases),
            )
        )
    return tasks


# ---------------------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------------------


def _tree_text(lines: list[str]) -> str:
    """The text the outline tree is read from: table lines (two tabs or more) blank, Markdown marks gone."""
    return "\n".join("" if line.count("\t") >= 2 else MARKUP.sub("", line) for line in lines)


def _parse_tree(lines: list[str]) -> list[Task]:
    """Tasks of any numbered plan read as one outline tree (core.outline); table lines are left out."""
    return [found.task for found in outline_tasks(_tree_text(lines), audience=DEFAULT_AUDIENCE)]


def detect_tasks(text: str) -> tuple[Layout, list[Task]]:
    """The layout of a document and its tasks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    table = _table_tasks(lines, text)
    if table and any(t.units for t in table):
        # A task table that names units is the plan (a notice's prose before it repeats it).
        return "table", table
    tasks = _parse_outline(lines)
    if tasks:
        return "outline", tasks
    tasks = _parse_tree(lines)
    if table:
        # A table without units (an appendix schedule) adds its rows to the numbered items, for everyone.
        everyone = [UnitRef(DEFAULT_AUDIENCE, "owner")]
        doubt = f"表格没有责任单位列，暂按“{DEFAULT_AUDIENCE}”处理"
        rows = [
            replace(t, seq=f"附{t.seq}" if tasks else t.seq, units=everyone, confidence=0.6, doubts=(doubt,))
            for t in table
        ]
        return ("tree" if tasks else "table"), [*tasks, *rows]
    prose = _parse_prose(lines)
    if not tasks:
        return "prose", prose
    if _agree(prose, tasks):
        # `（一）标题。内容…（责任单位：…）` read the same both ways: the prose grammar splits title from content.
        return "prose", [
            replace(p, confidence=t.confidence, doubts=t.doubts) for p, t in zip(prose, tasks, strict=True)
        ]
    return "tree", tasks


def _table_tasks(lines: list[str], text: str) -> list[Task]:
    """Tasks of the document's task table(s), also of one a web page ran together; units inherited from a
    merged cell above are marked as such."""
    reading = read_table(lines)
    if reading is None and (rebuilt := rebuild_flattened_table(text)) is not None:
        reading = read_table(rebuilt)
    if reading is None:
        return []
    tasks = []
    for found in reading.tasks:
        task = found.task
        if found.inherited:
            doubt = f"第{task.seq}行责任单位取自上方合并单元格"
            task = replace(task, confidence=min(task.confidence, 0.8), doubts=(*task.doubts, doubt))
        tasks.append(task)
    return tasks


def _agree(prose: list[Task], tree: list[Task]) -> bool:
    """Whether the prose grammar and the outline tree give the same tasks: same count, deadline phrases and
    units (the tree restores what a unit list leaves off; the prose grammar keeps names as written)."""

    def same_units(written: list[UnitRef], restored: list[UnitRef]) -> bool:
        names = unit_norms([u.name for u in written])
        return [(n, u.role) for n, u in zip(names, written, strict=True)] == [
            (u.name, u.role) for u in restored
        ]

    return len(prose) == len(tree) and all(
        x.deadline_text == y.deadline_text and same_units(x.units, y.units)
        for x, y in zip(prose, tree, strict=True)
    )


def parse_plan(
    text: str, *, year: int | None = None, issued: date | None = None, title: str | None = None
) -> Plan:
    """Read a work plan's metadata and tasks; explicit arguments win over what the document states."""
    text = sanitize(text)
    title = sanitize(title) if title else title
    lines = [clean_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    found_issued, issued_at = _find_issued(lines)
    issuer = _find_issuer(lines, issued_at)
    layout, tasks = detect_tasks(text)
    if not tasks:
        raise DocumentError(
            "未找到任务：没有找到带任务内容列的表格（任务内容、责任单位、时间节点…），也没有写明责任单位、"
            "时限或以“加强、开展、推进”等动词开头的编号条目（一、（一）1.（1）…）；"
            "可用 duban import --explain 文件 查看读取过程"
        )
    found_title = _find_title(lines) or _fallback_title(lines)
    plan_title = title.strip() if title and title.strip() else found_title
    plan_issued = issued if issued is not None else found_issued
    if year is None:
        # Metadata never blocks: the title's year, else the issue date's, else the body's most frequent.
        year = _find_year([plan_title, found_title], lines)
        if year is None and plan_issued is not None:
            year = plan_issued.year
        if year is None:
            year = _body_year(lines)
    return Plan(
        title=plan_title,
        issuer=issuer,
        year=year,
        issued=plan_issued,
        layout=layout,
        tasks=tasks,
    )


# ---------------------------------------------------------------------------------------------------------
# Explaining a reading (duban import --explain)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Explanation:
    """How a document was read: the plan (or why none), its outline levels and table columns, its tasks."""

    plan: Plan | None
    error: str | None
    levels: list[tuple[str, int]]
    # Each table column's role and why (core.tables.ColumnMap.explain), one line a column.
    columns: list[str]


def explain_plan(text: str, *, year: int | None = None, issued: date | None = None) -> Explanation:
    """What parse_plan makes of a text and why, without storing anything; never raises DocumentError."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    columns = [line for column_map in table_maps(text) for line in column_map.explain()]
    levels = outline_levels(_tree_text(lines))
    try:
        plan = parse_plan(text, year=year, issued=issued)
    except DocumentError as exc:
        return Explanation(None, str(exc), levels, columns)
    return Explanation(plan, None, levels, columns)
