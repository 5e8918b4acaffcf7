"""The general outline reader: one numbering parser, one outline tree, tasks chosen by the evidence they carry.

Any government's plan numbers its items with some of 一、 （一） 1. （1） ① 一是 第X条, in an order of its own,
on lines of their own or run together (a web page saved as text). This module

1. finds every numbering marker in the text (`scan_markers`);
2. keeps a marker only where its sequence goes on: the next number of a level already open, or a 1 that is
   followed by a 2 of the same kind (`accept_markers`). So `3.5G` counts when item 3 is due, `12.4` and
   `49.74m` do not, and `统一、规范` is no heading. Levels are learned from the order kinds first appear;
   an attachment (`附件：`) starts a new outline;
3. builds the tree (`build_tree`) and reads each node's evidence (`read_node`): a unit label in any of the
   forms plans use (`责任单位：` `牵头处室：X责任对象：Y` `责任处室、单位：`), an inline `由X牵头，Y配合`, the unit that
   is the subject of its sentence, deadline phrases, an opening action verb;
4. chooses the tasks (`outline_tasks`): leaves that carry evidence, never under 指导思想/保障措施-like
   headings, in 工作要求-like sections only when dated or labelled. A heading's own units are not copied into
   items that name theirs; items that name none inherit them (marked). A run of sub-points whose only label
   closes the run belongs to its parent as one task.

Vocabularies live in core/plan_words.toml.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from core.deadlines import cn_to_int, extract_phrases
from core.models import Task, UnitRef
from core.units import longest_first, split_units, unit_norms

# ---------------------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanWords:
    """The word lists of core/plan_words.toml."""

    not_tasks: tuple[str, ...]
    requirements: tuple[str, ...]
    action_verbs: tuple[str, ...]
    suffixes: tuple[str, ...]
    superior_prefixes: tuple[str, ...]
    subject_verbs: tuple[str, ...]
    not_subject_starts: tuple[str, ...]
    lead_labels: tuple[str, ...]
    support_labels: tuple[str, ...]
    owner_labels: tuple[str, ...]
    label_nouns: tuple[str, ...]


@cache
def plan_words() -> PlanWords:
    """The shipped vocabulary (read once)."""
    data = tomllib.loads(resources.files("core").joinpath("plan_words.toml").read_text(encoding="utf-8"))
    return PlanWords(
        not_tasks=tuple(data["sections"]["not_tasks"]),
        requirements=tuple(data["sections"]["requirements"]),
        action_verbs=longest_first(data["items"]["action_verbs"]),
        suffixes=longest_first(data["units"]["suffixes"]),
        superior_prefixes=tuple(data["units"]["superior_prefixes"]),
        subject_verbs=longest_first(data["units"]["subject_verbs"]),
        not_subject_starts=longest_first(data["units"]["not_subject_starts"]),
        lead_labels=tuple(data["labels"]["lead"]),
        support_labels=tuple(data["labels"]["support"]),
        owner_labels=tuple(data["labels"]["owner"]),
        label_nouns=longest_first(data["labels"]["nouns"]),
    )


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in words)


@dataclass(frozen=True, slots=True)
class _Patterns:
    label: re.Pattern[str]
    inline_lead: re.Pattern[str]
    bracket_role: re.Pattern[str]
    subject_group: re.Pattern[str]
    subject_unit: re.Pattern[str]
    unit_name: re.Pattern[str]


@cache
def _patterns() -> _Patterns:
    w = plan_words()
    verbs = _alternation((*w.lead_labels, *w.support_labels, *w.owner_labels))
    nouns = _alternation(w.label_nouns)
    role_verbs = _alternation((*w.lead_labels, *w.support_labels))
    # `责任单位：` `牵头处室：` `责任处室、单位：` `配合：`; owner verbs need their noun (负责 alone is a verb).
    label = re.compile(
        rf"(?P<verb>{verbs})(?P<noun>(?:{nouns})(?:[、和及/](?:{nouns}))?)?\s*[:：]"
        rf"|(?P<bare>{role_verbs})\s*[:：]"
    )
    suffix = _alternation(w.suffixes)
    # A name: no 的, no leading preposition (`对落实不力的单位`), then one or more endings (行业协会商会).
    char = r"(?:(?!的)[\u4e00-\u9fff（）()])"
    name = rf"(?!{_alternation(w.not_subject_starts)}){char}{{0,16}}?(?:{suffix})+"
    names = rf"{name}(?:[、，,和及与]{name})*"
    group = rf"(?:全区|全县|全市|全镇|全片区|全体)?各{name}"
    groups = rf"{group}(?:[、，,和及与]{group})*"
    return _Patterns(
        label=label,
        inline_lead=re.compile(
            rf"由(?P<lead>{names})(?P<verb>牵头|负责)(?:[，,](?P<support>{names})(?:配合|协助|参与))?"
        ),
        bracket_role=re.compile(rf"[（(](?P<units>{names})(?:牵头|负责)[)）]"),
        subject_group=re.compile(rf"(?P<units>{groups})"),
        subject_unit=re.compile(rf"(?P<units>{names})(?={_alternation(w.subject_verbs)})"),
        unit_name=re.compile(rf"(?:{name})"),
    )


# ---------------------------------------------------------------------------------------------------------
# Numbering markers
# ---------------------------------------------------------------------------------------------------------

_CN = "一二三四五六七八九十"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_MARKER = re.compile(
    rf"(?P<pcn>[（(]\s*(?P<pcn_v>[{_CN}]{{1,3}})\s*[)）])"
    rf"|(?P<par>[（(]\s*(?P<par_v>\d{{1,2}})\s*[)）])"
    rf"|(?P<circ>[{_CIRCLED}])"
    rf"|(?P<tiao>第(?P<tiao_v>[{_CN}百]{{1,4}})条)"
    rf"|(?<![{_CN}\u4e00-\u9fff])(?P<shi>(?P<shi_v>[{_CN}]{{1,3}})是)(?=[\u4e00-\u9fff“《])"
    rf"|(?<![{_CN}])(?P<cn>(?P<cn_v>[{_CN}]{{1,3}})\s*[、．.])"
    r"|(?<![\d.．])(?P<ar>(?P<ar_v>\d{1,4})\s*[.．、](?!\d*\s*[%％万亿元米倍‰]|\d+\s*(?:平方|公里|千|个百分点)))"
)
# A number-dot followed by these reads as a decimal, never a marker (3.5% 1.2万).
_KINDS = ("pcn", "par", "circ", "tiao", "shi", "cn", "ar")


@dataclass(frozen=True, slots=True)
class Marker:
    """A numbering marker: where it stands, its kind (cn 一、 pcn （一） ar 1. par （1） circ ① shi 一是 tiao 第一条)."""

    start: int
    end: int
    kind: str
    value: int
    label: str


def scan_markers(text: str) -> list[Marker]:
    """Every place that looks like a numbering marker, in order; most are not (see accept_markers)."""
    found: list[Marker] = []
    for m in _MARKER.finditer(text):
        kind = m.lastgroup
        for k in _KINDS:
            if m.group(k) is not None:
                kind = k
                break
        assert kind is not None
        if kind == "circ":
            value = _CIRCLED.index(m.group(kind)) + 1
        else:
            try:
                value = cn_to_int(m.group(f"{kind}_v"))
            except ValueError:
                continue
        if value < 1:
            continue
        found.append(Marker(m.start(), m.end(), kind, value, re.sub(r"\s+", "", m.group(kind))))
    return found


def accept_markers(
    text: str, candidates: list[Marker], breaks: Sequence[int] = ()
) -> list[tuple[Marker, int]]:
    """The markers whose sequence goes on, each with its depth (0 = top level).

    A marker is kept when it is the next number of an open level (`2.` after `1.`, also after the level was
    closed by a heading: numbering that runs on across sections), or a `1` opening a new level that a `2`
    of its kind follows before another `1` of that kind. `breaks` (attachments) close every level.
    """
    # For each `1`, whether a `2` of its kind follows before the next `1` of that kind.
    by_kind: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        by_kind.setdefault(c.kind, []).append(i)
    continues: set[int] = set()
    for indices in by_kind.values():
        for j, i in enumerate(indices):
            if candidates[i].value != 1:
                continue
            for k in indices[j + 1 :]:
                if candidates[k].value == 1:
                    break
                if candidates[k].value == 2:
                    continues.add(i)
                    break
    # A marker opening its own line and not followed by a digit (`（一）…` alone, not `1.6月`) needs no 2.
    for i, c in enumerate(candidates):
        line_start = (
            c.start == 0 or text[: c.start].rstrip(" \t\u3000").endswith("\n") or not text[: c.start].strip()
        )
        if c.value == 1 and line_start and not text[c.end : c.end + 1].isdigit():
            continues.add(i)
    accepted: list[tuple[Marker, int]] = []
    stack: list[tuple[str, int]] = []  # (kind, value)
    closed: dict[str, int] = {}  # last value of a level closed by a heading above it
    break_at = sorted(breaks)
    b = 0
    for i, c in enumerate(candidates):
        while b < len(break_at) and break_at[b] <= c.start:
            stack, closed = [], {}
            b += 1
        kinds = [s[0] for s in stack]
        if c.kind in kinds:
            at = kinds.index(c.kind)
            # The next number, or numbering that starts again at 1 (sections without a heading of their own).
            if c.value != stack[at][1] + 1 and not (c.value == 1 and i in continues):
                continue
            for kind, value in stack[at + 1 :]:
                closed[kind] = value
            stack = stack[:at]
        elif not (c.value == 1 and i in continues) and closed.get(c.kind, -1) + 1 != c.value:
            continue
        closed.pop(c.kind, None)
        accepted.append((c, len(stack)))
        stack.append((c.kind, c.value))
    return accepted


# ---------------------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Node:
    """One numbered item: its marker, its own text (up to the next marker) and the items under it."""

    marker: Marker
    depth: int
    text: str
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The item's number as printed with its parents' (`二（三）1`)."""
        labels: list[str] = []
        node: Node | None = self
        while node is not None:
            label = node.marker.label
            labels.append(label.rstrip("、．.") if node.marker.kind in ("cn", "ar") else label)
            node = node.parent
        return "".join(reversed(labels))

    def ancestors(self) -> list[Node]:
        """Parents, nearest first."""
        out: list[Node] = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out


# An attachment, a contact line or a distribution list ends the outline above it.
_BREAK = re.compile(
    r"附\s*件\s*[:：\d]|附\s*件(?=[\u4e00-\u9fff“”《》（）()·\s]{2,60}?(?:表|清单|名册|名单|方案|目录)(?![\u4e00-\u9fff]))"
    r"|联\s*系\s*人\s*[:：]|抄\s*送\s*[:：]"
)
# Where an item's own text stops short of the next marker: a contact line, a sign-off date alone on its line.
_TAIL = re.compile(
    r"(?:联\s*系\s*人|联系电话|抄\s*送|来\s*源|发布时间|浏览次数)\s*[:：]|【\s*打印|\n\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:\n|$)"
)


def build_tree(text: str) -> list[Node]:
    """The outline of a text (lines, or everything run together): its top-level items with their children."""
    breaks = [m.start() for m in _BREAK.finditer(text)]
    accepted = accept_markers(text, scan_markers(text), breaks)
    roots: list[Node] = []
    open_nodes: list[Node] = []
    stops = sorted([*breaks, len(text)])
    for n, (marker, depth) in enumerate(accepted):
        end = accepted[n + 1][0].start if n + 1 < len(accepted) else len(text)
        end = min([end, *(s for s in stops if s > marker.end)])
        own = text[marker.end : end]
        tail = _TAIL.search(own)
        if tail:
            own = own[: tail.start()]
        node = Node(marker, depth, own.strip())
        while open_nodes and open_nodes[-1].depth >= depth:
            open_nodes.pop()
        if open_nodes:
            node.parent = open_nodes[-1]
            open_nodes[-1].children.append(node)
        else:
            roots.append(node)
        open_nodes.append(node)
    return roots


# ---------------------------------------------------------------------------------------------------------
# Evidence of one node
# ---------------------------------------------------------------------------------------------------------

_SPACE_NEAR_CJK = re.compile(
    r"\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’])|(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’])\s+"
)
_CLAUSE_START = re.compile(r"(?:^|(?<=[。；;！？!?，,：:）)\n]))\s*")
_BLANKS = re.compile(r"_{3,}|＿{2,}")


def flat(text: str) -> str:
    """Text on one line: line breaks and spaces next to Chinese dropped, other runs of space made one."""
    return re.sub(r"\s+", " ", _SPACE_NEAR_CJK.sub("", text)).strip()


def title_of(text: str) -> str:
    """An item's heading: its text up to the first full stop, colon, line break or the space that a heading
    running into its text leaves (`做好旅游这篇大文章 由社会事业处牵头…`); at most 40 characters."""
    head = re.split(
        r"[。：:\n]|(?<=[\u4e00-\u9fff”」）)])[ \u3000]+(?=[\u4e00-\u9fff])", text.strip(), maxsplit=1
    )[0]
    return flat(head)[:40]


@dataclass(slots=True)
class Reading:
    """What one node says: content without its unit label, the units it names and how, its timing."""

    content: str
    units: list[UnitRef]
    how: str  # "label", "inline", "subject" or ""
    phrases: list[str]
    action: bool
    blanks: bool


def _label_clause(text: str) -> tuple[str, str] | None:
    """(text without the label clause, the clause with labels normalised for split_units), or None."""
    p = _patterns()
    w = plan_words()
    first = p.label.search(text)
    if first is None:
        return None
    start = first.start()
    bracketed = start > 0 and text[start - 1] in "（("
    if bracketed:
        depth, end = 1, len(text)
        for i in range(first.end(), len(text)):
            depth += text[i] in "（("
            depth -= text[i] in ")）"
            if depth == 0:
                end = i
                break
        clause, rest = text[start:end], text[: start - 1] + text[end + 1 :]
    else:
        stop = re.search(r"[。\n]", text[first.end() :])
        end = first.end() + stop.start() if stop else len(text)
        clause, rest = text[start:end], text[:start] + text[end:]

    def normal(m: re.Match[str]) -> str:
        verb = m["verb"] or m["bare"] or ""
        if verb in w.lead_labels:
            return "；牵头单位："
        if verb in w.support_labels:
            return "；配合单位："
        return "；责任单位："

    return rest, p.label.sub(normal, clause).lstrip("；")


def _with_norms(units: list[UnitRef]) -> list[UnitRef]:
    """Units under the names they stand for, with what their list left out restored (局机关党委、乡村振兴处 →
    局乡村振兴处), each once."""
    norms = unit_norms([u.name for u in units])
    out: dict[str, UnitRef] = {}
    for unit, norm in zip(units, norms, strict=True):
        out.setdefault(norm, UnitRef(norm, unit.role))
    return list(out.values())


def _unit_like(names: list[UnitRef]) -> bool:
    """Whether every name reads as a unit (a known ending, no superior prefix)."""
    p, w = _patterns(), plan_words()
    return bool(names) and all(
        p.unit_name.fullmatch(u.name) and not u.name.startswith(w.superior_prefixes) for u in names
    )


def _inline_units(text: str) -> list[UnitRef]:
    """Units of `由X牵头，Y配合` / `由X负责` / `（X负责）` in the text, or []."""
    p = _patterns()
    m = p.inline_lead.search(text)
    if m:
        clause = f"{m['lead']}{m['verb']}" + (f"，{m['support']}配合" if m["support"] else "")
        units = split_units(clause)
        if _unit_like(units):
            return units
    b = p.bracket_role.search(text)
    if b:
        units = split_units(b.group(0).strip("（）()"))
        if _unit_like(units):
            return units
    return []


def first_sentence(text: str) -> str:
    """The task's own sentence: up to the first full stop, or the second when the first closes a title."""
    parts = text.split("。")
    if len(parts) > 1 and len(parts[0]) <= 20:
        return parts[0] + "。" + parts[1]
    return parts[0]


def _subjects(text: str) -> list[UnitRef]:
    """Units that are the subject of the task's sentence (`各村居要…`, `农业农村处要积极…`): owners."""
    p, w = _patterns(), plan_words()
    found: list[UnitRef] = []
    text = first_sentence(text)
    for start in _CLAUSE_START.finditer(text):
        at = start.end()
        m = p.subject_group.match(text, at) or p.subject_unit.match(text, at)
        if not m:
            continue
        for ref in split_units(m["units"]):
            if ref.name.startswith(w.superior_prefixes) or not p.unit_name.fullmatch(ref.name):
                continue
            if all(f.name != ref.name for f in found):
                found.append(UnitRef(ref.name, "owner"))
    return found


def read_node(text: str) -> Reading:
    """The evidence one item's own text carries."""
    w = plan_words()
    one_line = flat(text)
    units: list[UnitRef] = []
    how = ""
    content = one_line
    labelled = _label_clause(one_line)
    if labelled is not None:
        rest, clause = labelled
        units = _with_norms([u for u in split_units(clause) if u.name])
        if units:
            content, how = flat(rest).strip("，,；; "), "label"
    if not units:
        units = _inline_units(one_line)
        how = "inline" if units else ""
    if not units:
        units = _subjects(one_line)
        how = "subject" if units else ""
    phrases = list(dict.fromkeys(extract_phrases(one_line)))
    # Counted from the item's start or the text after its heading (`加强组织领导。成立…`).
    action = one_line.startswith(w.action_verbs)
    return Reading(content, units, how, phrases, action, bool(_BLANKS.search(one_line)))


# ---------------------------------------------------------------------------------------------------------
# Choosing the tasks
# ---------------------------------------------------------------------------------------------------------


def _starts_with(text: str, words: tuple[str, ...]) -> bool:
    head = flat(text)
    return head.startswith(words)


@dataclass(slots=True)
class OutlineTask:
    """A task read from the outline, with where it came from and why it was taken."""

    task: Task
    node: Node
    reading: Reading
    inherited: bool = False


def _subtree_text(node: Node) -> str:
    parts = [node.text]
    for child in node.children:
        parts.append(child.marker.label + _subtree_text(child))
    return "".join(parts)


def _confidence(
    r: Reading, units: list[UnitRef], inherited: bool, requirement: bool, heading: str, audience: str
) -> tuple[float, tuple[str, ...]]:
    """How sure the reading of one item is, and the Chinese reasons it is not surer."""
    doubts: list[str] = []
    if units and r.how == "label":
        score = 0.95
    elif units and r.how == "inline":
        score = 0.9
    elif units and r.how == "subject":
        score = 0.75
        doubts.append(f"责任单位取自句子主语“{'、'.join(u.name for u in units)}”，文中没有责任单位标签")
    elif units and inherited:
        score = 0.7
        doubts.append(f"责任单位取自上级标题“{heading}”")
    elif r.phrases:
        score = 0.65
        doubts.append(f"条目没有写责任单位，暂按“{audience}”处理")
    else:
        score = 0.5
        doubts.append(f"仅凭条目以动词开头判定为任务，没有写责任单位和时限，暂按“{audience}”处理")
    if requirement:
        score = min(score, 0.7)
        doubts.append("条目在“工作要求”类小节中，因写有时限或责任单位而列为任务")
    return score, tuple(doubts)


def _paragraph_tasks(text: str) -> list[str]:
    """An item's text cut where a later paragraph names units of its own after the item already did."""
    parts: list[str] = []
    labelled = False
    for paragraph in text.split("\n"):
        has_label = _label_clause(flat(paragraph)) is not None
        if parts and has_label and labelled:
            parts.append(paragraph)
        elif parts:
            parts[-1] += "\n" + paragraph
        else:
            parts.append(paragraph)
        labelled = labelled or has_label
    return parts


def outline_levels(text: str) -> list[tuple[str, int]]:
    """The outline's levels, top first: an example marker of each (`一、`, `（一）`, `1.`) and how many items."""
    levels: dict[int, tuple[str, int]] = {}

    def walk(node: Node) -> None:
        label, count = levels.get(node.depth, (node.marker.label, 0))
        levels[node.depth] = (label, count + 1)
        for child in node.children:
            walk(child)

    for root in build_tree(text):
        walk(root)
    return [levels[d] for d in sorted(levels)]


def outline_tasks(text: str, *, audience: str) -> list[OutlineTask]:
    """The tasks of a text read as an outline; items naming no unit (and inheriting none) go to audience.
    A unit list's elisions are restored (局机关党委、乡村振兴处 → 局乡村振兴处)."""
    w = plan_words()
    out: list[OutlineTask] = []
    # A node's text is read by its parent's and grandparent's checks and then as a task: read it once.
    read = cache(read_node)

    def has_label(node: Node) -> bool:
        return read(node.text).how in ("label", "inline")

    def visit(node: Node, excluded: bool, requirement: bool, inherited: list[UnitRef]) -> None:
        excluded = excluded or _starts_with(node.text, w.not_tasks)
        requirement = requirement or _starts_with(node.text, w.requirements)
        if excluded:
            return
        children = node.children
        labelled = [c for c in children if has_label(c) or any(has_label(g) for g in c.children)]
        if children and (
            (labelled == [children[-1]] and len(children) > 1 and not children[-1].children)
            or (not labelled and not any(_task_like(c) for c in children))
        ):
            # Sub-points closed by one label, or details without any task of their own: one task.
            take(node, _subtree_text(node), requirement, inherited)
            return
        if children:
            own = read(node.text)
            passed = own.units if own.how in ("label", "inline") and not labelled else inherited
            for child in children:
                visit(child, excluded, requirement, passed)
            return
        for k, part in enumerate(_paragraph_tasks(node.text)):
            take(node, part, requirement, inherited, f"-{k}" if k else "")

    def _task_like(node: Node) -> bool:
        r = read(node.text)
        return bool(r.how or r.phrases or r.action) and not r.blanks

    def take(node: Node, text: str, requirement: bool, inherited: list[UnitRef], suffix: str = "") -> None:
        r = read(text)
        if r.blanks or not r.content:
            return
        if requirement:
            is_task = r.how in ("label", "inline") or bool(r.phrases)
        else:
            is_task = bool(r.how or r.phrases or r.action or inherited)
        if not is_task:
            return
        units, was_inherited = r.units, False
        if requirement and r.how == "subject" and not r.phrases:
            units = []
        if not units and inherited:
            units, was_inherited = inherited, True
        heading = node.parent.text if node.parent is not None else ""
        confidence, doubts = _confidence(r, units, was_inherited, requirement, title_of(heading), audience)
        task = Task(
            seq=node.path + suffix,
            category=title_of(heading) if heading else "",
            content=r.content,
            units=units or [UnitRef(audience, "owner")],
            deadline_text="；".join(r.phrases),
            confidence=confidence,
            doubts=doubts,
        )
        out.append(OutlineTask(task, node, r, was_inherited))

    for root in build_tree(text):
        visit(root, False, False, [])
    if out and not any(found.reading.units or found.inherited for found in out):
        # A plan that names no unit anywhere gives every item to its audience: a rule, not a guess.
        reason = f"全文没有写责任单位，按“{audience}”处理"
        for found in out:
            doubts = tuple(d for d in found.task.doubts if "暂按" not in d)
            found.task.confidence = max(found.task.confidence, 0.65)
            found.task.doubts = (reason, *doubts)
    return out
