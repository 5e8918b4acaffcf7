"""Responsible units: split a units cell into named units with roles, and the unit directory.

Splitting rules, in the order they are applied (each one is there because a seed needs it):

1. Whitespace is a PDF artefact until proven otherwise. A space (or line break) *joins* its two sides
   unless both look like complete names: the left side ends in a unit ending (局、委、办、中心、部门、
   单位、镇、街道 …, at least three characters or starting with 各) or in a role word, and the right side
   is not a bare ending or role word (单位、部门、中心、头、配合 …). ``区大数据中心、各 单位`` joins,
   ``区政府办公室牵头 相关单位落实`` splits. ``高新区 社区党工委`` joins because 区 is not a unit ending.
   A directory, when given, overrides: a known joined name joins, two known names split.
2. ``、，,；;`` separate names outside parentheses; a parenthetical alias stays with its unit.
3. Trailing role words set the role of every name since the previous role word: 牵头 → lead;
   配合/协助/参与/协同 → support; 落实/负责 … → owner. When a cell has a lead, its owners become support
   (``X牵头，相关单位落实``). A 牵头 running straight into a name ends its segment (X牵头相关单位落实).
4. 和/及/与/以及 split a segment only where rule 1 would split a space: ``企业服务中心和政策起草单位``
   splits, ``区发展和改革委员会`` does not (区发展 has no unit ending).
5. ``等部门`` / ``等相关部门`` / ``等单位`` / a bare trailing ``等`` are dropped: the named units are kept,
   the unnamed "others" cannot be routed to anybody (区人社局等部门 → 区人社局).
6. A leading 各 distributes over the bare unit kinds that follow it in the list
   (各镇、街道 → 各镇、各街道; 各镇政府、街道办事处 → 各镇政府、各街道办事处).
7. Labels name the role of what follows them up to the next label: ``牵头单位：A；配合单位：B`` → A lead,
   B support (``责任单位：`` gives none); so do bracketed role words (``A（牵头），B（配合）``) and 会同
   after a complete name (``A会同B负责`` → A lead, B support).
8. Names are normalised (no whitespace, parentheses full-width) and de-duplicated, first one wins.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

from core.models import Role, UnitRef

KINDS: tuple[str, ...] = ("department", "town", "street", "other")
GROUP_KIND = "group"

# Chinese spellings a clerk may use for kinds in the directory file.
_KIND_ALIASES: dict[str, str] = {
    "department": "department",
    "部门": "department",
    "town": "town",
    "镇": "town",
    "street": "street",
    "街道": "street",
    "other": "other",
    "其他": "other",
    "all": "*",
    "全部": "*",
    "*": "*",
}

_SEPARATORS = "、，,；;"
_OPEN, _CLOSE = "（", "）"

# A name ending in one of these reads as complete; 区 is deliberately absent (高新区 社区党工委).
_UNIT_ENDINGS: tuple[str, ...] = (
    "局", "委", "办", "室", "中心", "部门", "单位", "政府", "办事处", "管理处", "院", "所", "站", "队",
    "小组", "部", "镇", "乡", "街道", "公司", "集团", "馆", "厅", "署", "庭", "委员会", "工会", "商会",
    "协会", "联合会", "电视台", "气象台", "报社", "合作社", "人民团体", "处", "科", "村", "支行", "分行",
    "片区", "社区", "党工委",
)  # fmt: skip

# Words whose last character looks like a unit ending but is not one (区门户网站管理中心, 城乡建设局).
_FALSE_ENDINGS: tuple[str, ...] = ("网站", "城乡")

# Parent bodies that begin many unit names (区政府新闻办, 区委网信办): never complete on their own.
_PARENT_PREFIXES: frozenset[str] = frozenset(
    {"区政府", "区人民政府", "区委", "区人大", "区政协", "市政府", "市委", "县政府", "县委"}
)

# What a stray line break leaves on the right: an ending with nothing before it.
_BARE_ENDINGS: frozenset[str] = frozenset(
    {
        "单位", "部门", "局", "委", "办", "中心", "室", "办公室", "委员会", "党工委", "工委", "政府",
        "处", "办事处", "分局", "镇", "街道", "头", "会", "院", "所", "站", "公司",
    }
)  # fmt: skip

# A line break can fall inside an ending too (委|员会, 办|公室): every tail of a bare ending is a fragment.
_FRAGMENTS: frozenset[str] = frozenset(e[i:] for e in _BARE_ENDINGS for i in range(len(e)))

# Longest first so 牵头负责 is read before 负责.
_ROLE_WORDS: tuple[tuple[str, Role], ...] = (
    ("牵头负责", "lead"),
    ("负责牵头", "lead"),
    ("牵头落实", "lead"),
    ("牵头", "lead"),
    ("主责", "lead"),
    ("配合落实", "support"),
    ("协助落实", "support"),
    ("配合", "support"),
    ("协助", "support"),
    ("参与", "support"),
    ("协同", "support"),
    ("共同落实", "owner"),
    ("抓好落实", "owner"),
    ("组织实施", "owner"),
    ("分别负责", "owner"),
    ("按职责分工负责", "owner"),
    ("按职责分工", "owner"),
    ("按职责", "owner"),
    ("具体落实", "owner"),
    ("落实", "owner"),
    ("负责", "owner"),
    ("实施", "owner"),
    ("共同", "owner"),
    ("分别", "owner"),
)
_ROLE_RANK: dict[str, int] = {"lead": 3, "support": 2, "owner": 1}

_ETC = re.compile(r"等(?:其他|其它)?(?:相关|有关)?(?:部门|单位)?$")
_CONJUNCTIONS: tuple[str, ...] = ("以及", "和", "及", "与")
_LEADING_NOISE = re.compile(r"^(?:责任单位|牵头单位|配合单位|承办单位)?[:：]?\s*(?:由|会同|请)?")
# `牵头单位：A；配合单位：B` labels the names after it until the next label; 责任单位： names no role.
_LABEL_NOUNS = r"(?:单位|部门|处室|科室|对象)(?:[、和及](?:单位|部门|处室|科室))?"
_ROLE_LABEL = re.compile(
    r"(?:^|(?<=[；;，,。\s]))(?:(?P<lead>牵头(?:责任)?)|(?P<support>配合|协办|协助|参与)|责任|承办|主办|负责)"
    rf"(?:{_LABEL_NOUNS})?\s*[:：]"
)
# A label with its noun may follow the previous names without a separator (牵头处室：办公室配合单位：财务处).
_GLUED_LABEL = re.compile(
    rf"(?<=[^\s；;，,。:：])(?=(?:牵头|配合|协办|协助|参与|责任|承办|主办|负责){_LABEL_NOUNS}\s*[:：])"
)
# `（区教育局负责）` `（X牵头，Y配合）`: a whole cell in brackets that names its own roles.
_BRACKETED_CLAUSE = re.compile(r"^（(?P<inner>[^（）]*(?:负责|牵头|配合|协助|落实)[^（）]*)）$")
# `区司法局（牵头）`: a role word in brackets after a name reads as the bare role word.
_BRACKETED_ROLE = re.compile(r"（\s*(牵头|配合|协助|协办|参与|负责|主责)\s*）")

# Unit kinds a shared 各 distributes over (各镇、街道 → 各镇、各街道).
_KIND_WORDS: frozenset[str] = frozenset(
    {
        "镇", "乡", "街道", "街镇", "乡镇", "镇政府", "乡政府", "街道办事处", "街道办", "部门", "单位",
        "委办局", "开发区", "园区", "工业区", "村", "居委会", "村居", "社区", "人民团体", "区属企业",
    }
)  # fmt: skip


def normalize_name(name: str) -> str:
    """A unit name without whitespace, with full-width parentheses."""
    name = re.sub(r"\s+", "", name)
    return name.replace("(", _OPEN).replace(")", _CLOSE)


def is_group(name: str) -> bool:
    """Whether a name stands for a set of units (各单位, 区政府各部门, 相关单位 …) rather than one unit."""
    n = normalize_name(name)
    if not n:
        return False
    if n.startswith("全体") or re.search(r"(?:^|政府|区委|区级|区|全区|市|县|镇|街道)各", n):
        return True
    if any(w in n for w in ("相关", "有关", "其他", "其它")):
        return True
    # Nobody's proper name ends in 单位/部门: 决策承办单位, 政策起草单位 describe a role.
    return n.endswith(("单位", "部门"))


def _strip_roles(segment: str) -> tuple[str, Role | None]:
    """Remove trailing role words; return the rest and the strongest role they named."""
    role: Role | None = None
    changed = True
    while changed:
        changed = False
        for word, r in _ROLE_WORDS:
            if segment.endswith(word) and len(segment) > len(word):
                segment = segment[: -len(word)]
                if role is None or _ROLE_RANK[r] > _ROLE_RANK[role]:
                    role = r
                changed = True
                break
            if segment == word:
                # A cell made of a role word alone (a broken line) carries no name.
                return "", r
    return segment, role


def _ends_complete(left: str) -> bool:
    """Whether text reads as a complete unit name (or ends in a role word)."""
    stripped, role = _strip_roles(left)
    if role is not None and stripped:
        return True
    if left.endswith(_FALSE_ENDINGS):
        return False
    if _ETC.search(left) and not left.endswith("等"):
        return True
    if len(left) < 3 and not left.startswith("各"):
        return False
    if left in _PARENT_PREFIXES:
        return False
    return left.endswith(_UNIT_ENDINGS)


def _breaks_an_ending(left: str, right: str) -> bool:
    """Whether a break falls inside a unit ending (委|员会, 办|公室, 街道办|事处)."""
    return any(
        left.endswith(e[:i]) and right.startswith(e[i:]) for e in _BARE_ENDINGS for i in range(1, len(e))
    )


def _is_fragment(right: str) -> bool:
    """Whether text is only a leftover ending or role word, not a name of its own."""
    stripped, _ = _strip_roles(right)
    if stripped in ("区", "各", "市"):
        # The opening of the next name, itself broken: 区政府办公室 各 单位.
        return False
    if len(stripped) <= 1:
        return True
    if len(stripped) == 2 and not stripped.startswith(("各", "区", "市")):
        # 区人力社 保局, 区纪委 监委: two characters are a tail, not a unit of their own.
        return True
    return stripped in _FRAGMENTS


def _last_name(text: str) -> str:
    """The text after the last separator outside parentheses."""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c == _CLOSE:
            depth += 1
        elif c == _OPEN:
            depth -= 1
        elif c in _SEPARATORS and depth <= 0:
            return text[i + 1 :]
    return text


def _first_name(text: str) -> str:
    """The text before the first separator."""
    m = re.search(f"[{_SEPARATORS}]", text)
    return text[: m.start()] if m else text


def _paren_depth(text: str) -> int:
    """How many parentheses are open at the end of text."""
    return text.count(_OPEN) - text.count(_CLOSE)


def _space_splits(left: str, right: str, directory: UnitDirectory | None) -> bool:
    """Whether a whitespace between left and right separates two names (else it is a PDF break)."""
    if directory is not None:
        if directory.knows(left + right):
            return False
        if directory.knows(_strip_roles(left)[0]) and directory.knows(_strip_roles(right)[0]):
            return True
    return _ends_complete(left) and not _is_fragment(right) and not _breaks_an_ending(left, right)


def _repair_whitespace(text: str, directory: UnitDirectory | None) -> str:
    """Turn each whitespace run into either nothing (a broken name) or a separator."""
    pieces = text.split()
    if not pieces:
        return ""
    out = pieces[0]
    for piece in pieces[1:]:
        left, right = _last_name(out), _first_name(piece)
        if not left or not right or _paren_depth(out) > 0:
            out += piece
        elif _space_splits(left, right, directory):
            out += "，" + piece
        else:
            out += piece
    return out


def _split_after_lead(text: str) -> str:
    """Put a separator after a 牵头 that runs straight into the next name (X牵头相关单位落实)."""

    def sep(m: re.Match[str]) -> str:
        rest = _first_name(text[m.end() :])
        return m.group(0) + ("，" if rest and not _is_fragment(rest) else "")

    return re.sub(r"牵头(?:负责)?(?![，,、；;）]|$)", sep, text)


def _split_top(text: str) -> list[str]:
    """Split on list separators outside parentheses."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, c in enumerate(text):
        if c == _OPEN:
            depth += 1
        elif c == _CLOSE:
            depth = max(0, depth - 1)
        elif c in _SEPARATORS and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _split_conjunctions(segment: str, directory: UnitDirectory | None) -> list[str]:
    """Split 和/及/与/以及 between two complete names, never inside one (区发展和改革委员会)."""
    depth = 0
    for i, c in enumerate(segment):
        if c == _OPEN:
            depth += 1
        elif c == _CLOSE:
            depth = max(0, depth - 1)
        if depth:
            continue
        for conj in _CONJUNCTIONS:
            if segment.startswith(conj, i) and i > 0:
                left, right = segment[:i], segment[i + len(conj) :]
                if right and _space_splits(left, right, directory):
                    return [left, *_split_conjunctions(right, directory)]
    return [segment]


def _clean(name: str) -> str:
    """A name without leading conjunctions, trailing 等部门 and stray punctuation."""
    name = name.strip(" 　:：。.")
    for conj in _CONJUNCTIONS:
        if name.startswith(conj) and len(name) > len(conj) + 1:
            name = name[len(conj) :]
    etc = _ETC.search(name)
    if etc and etc.start() > 0:
        name = name[: etc.start()]
    return name


def _distribute_each(names: list[str]) -> list[str]:
    """Carry a leading 各 over the bare unit kinds that follow it."""
    out: list[str] = []
    carrying = False
    for name in names:
        if name.startswith("各") and name[1:] in _KIND_WORDS:
            carrying = True
            out.append(name)
        elif carrying and name in _KIND_WORDS:
            out.append("各" + name)
        else:
            carrying = False
            out.append(name)
    return out


def _together(text: str) -> str:
    """`A会同B负责`: A leads and B supports, as in `A牵头，B负责`."""

    def lead(m: re.Match[str]) -> str:
        return "牵头，" if _ends_complete(_last_name(text[: m.start()])) else m.group(0)

    return re.sub(r"会同", lead, text)


def _labelled_chunks(text: str) -> list[tuple[Role | None, str]]:
    """The text cut at role labels (`牵头单位：`, `配合单位：`), each piece with the role its label gives."""
    chunks: list[tuple[Role | None, str]] = []
    role: Role | None = None
    start = 0
    for m in _ROLE_LABEL.finditer(text):
        chunks.append((role, text[start : m.start()]))
        role = "lead" if m["lead"] else "support" if m["support"] else None
        start = m.end()
    chunks.append((role, text[start:]))
    return [(r, chunk.strip(" ；;，,。")) for r, chunk in chunks if chunk.strip(" ；;，,。")]


def _named(
    text: str, directory: UnitDirectory | None, label_role: Role | None
) -> list[tuple[str, Role | None]]:
    """Names of one labelled piece with the role their role words (else the label) give them."""
    text = _LEADING_NOISE.sub("", text)
    text = _split_after_lead(_together(_repair_whitespace(text, directory)))

    pending: list[str] = []
    named: list[tuple[str, Role | None]] = []

    def flush(role: Role | None) -> None:
        named.extend((n, role or label_role) for n in pending)
        pending.clear()

    for segment in _split_top(text):
        rest, role = _strip_roles(segment)
        rest = _LEADING_NOISE.sub("", rest)
        for piece in _split_conjunctions(rest, directory):
            piece = _clean(piece)
            if piece:
                pending.append(piece)
        if role is not None:
            flush(role)
    flush(None)
    return named


def split_units(text: str, directory: UnitDirectory | None = None) -> list[UnitRef]:
    """Split a units cell into units with roles; see the module docstring for the rules."""
    text = re.sub(r"\s+", " ", text).replace("(", _OPEN).replace(")", _CLOSE).strip()
    text = without_person_names(text)
    if bracketed := _BRACKETED_CLAUSE.match(text):
        text = bracketed["inner"]
    text = _GLUED_LABEL.sub("；", text)
    text = _BRACKETED_ROLE.sub(r"\1", text)
    named = [pair for role, chunk in _labelled_chunks(text) for pair in _named(chunk, directory, role)]

    has_lead = any(role == "lead" for _, role in named)
    names = _distribute_each([n for n, _ in named])
    out: list[UnitRef] = []
    seen: set[str] = set()
    for name, (_, role) in zip(names, named, strict=True):
        name = normalize_name(name)
        if not name or name in seen or name == "等":
            continue
        seen.add(name)
        final: Role = role or "owner"
        if final == "owner" and has_lead:
            final = "support"
        out.append(UnitRef(name, final))
    return out


def _kind_of(value: str, where: str) -> str:
    """A kind from its English or Chinese spelling, or a clear Chinese error."""
    try:
        return _KIND_ALIASES[value.strip()]
    except KeyError:
        known = "部门、镇、街道、其他"
        raise ValueError(f"单位目录：{where} 中的类型“{value}”无法识别（可用：{known}）") from None


def _guess_kind(name: str) -> str:
    """The kind a unit's name suggests when the directory does not list it."""
    if name.endswith(("街道", "街道办事处", "街道办")):
        return "street"
    if name.endswith(("镇", "乡", "镇政府", "乡政府", "镇人民政府")):
        return "town"
    if name.endswith("分局"):
        return "department"
    if (
        name.startswith("区")
        and not name.startswith(("区委", "区人大", "区政协", "区纪委", "区法院", "区检察院"))
        and name.endswith(("局", "委", "办", "办公室", "中心"))
    ):
        return "department"
    return "other"


def _fallback_group_kinds(name: str) -> frozenset[str]:
    """Which kinds an unlisted group name reaches, read from its words."""
    if "街镇" in name or ("镇" in name and "街道" in name):
        return frozenset({"town", "street"})
    if "镇" in name or "乡" in name:
        return frozenset({"town"})
    if "街道" in name:
        return frozenset({"street"})
    if "部门" in name or "委办局" in name:
        return frozenset({"department"})
    return frozenset(KINDS)


@dataclass(slots=True)
class UnitDirectory:
    """Known units (canonical name → kind), their aliases, and which kinds each group name reaches."""

    units: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    replace: bool = False

    @classmethod
    def from_toml(cls, text: str) -> UnitDirectory:
        """Read a directory file (format: see core/units.toml); errors are in Chinese."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"单位目录文件格式有误：{e}") from None
        d = cls(replace=bool(data.pop("replace", False)))
        for section, table in data.items():
            if section in ("groups", "群组"):
                if not isinstance(table, dict):
                    raise ValueError("单位目录：[groups] 应为“群组名 = [类型…]”的表")
                for group, reach in table.items():
                    if isinstance(reach, str):
                        reach = [reach]
                    d.groups[normalize_name(group)] = tuple(
                        _KIND_ALIASES.get(r.strip(), normalize_name(r)) for r in reach
                    )
                continue
            kind = _kind_of(section, f"[{section}]")
            if kind == "*" or not isinstance(table, dict):
                raise ValueError(f"单位目录：[{section}] 应为“单位名 = [简称…]”的表")
            for name, aliases in table.items():
                canon = normalize_name(name)
                if isinstance(aliases, str):
                    aliases = [aliases]
                if canon in d.units:
                    raise ValueError(f"单位目录：单位“{canon}”出现了两次")
                d.units[canon] = kind
                for alias in aliases:
                    a = normalize_name(alias)
                    if a in d.aliases and d.aliases[a] != canon:
                        raise ValueError(f"单位目录：简称“{a}”同时指向“{d.aliases[a]}”和“{canon}”")
                    if a != canon:
                        d.aliases[a] = canon
        clash = set(d.aliases) & set(d.units)
        if clash:
            raise ValueError(f"单位目录：“{'、'.join(sorted(clash))}”既是单位名又是简称")
        return d

    @classmethod
    def default(cls) -> UnitDirectory:
        """The directory shipped with the project (core/units.toml)."""
        text = resources.files("core").joinpath("units.toml").read_text(encoding="utf-8")
        return cls.from_toml(text)

    @classmethod
    def load(cls, user_text: str | None) -> UnitDirectory:
        """The defaults plus a user's directory file (added to them; replacing them when it says replace)."""
        base = cls.default()
        if not user_text:
            return base
        user = cls.from_toml(user_text)
        return user if user.replace else base.merge(user)

    def merge(self, other: UnitDirectory) -> UnitDirectory:
        """A new directory: self with other's units, aliases and group rules added; other wins on conflict."""
        units, aliases = dict(self.units), dict(self.aliases)
        for name, kind in other.units.items():
            aliases.pop(name, None)
            units[name] = kind
        for alias, canon in other.aliases.items():
            if alias in units and alias not in other.units:
                # A default unit named as someone's alias: fold it, and its aliases, into that unit.
                del units[alias]
                for a, c in list(aliases.items()):
                    if c == alias:
                        aliases[a] = canon
            aliases[alias] = canon
        return UnitDirectory(units, aliases, {**self.groups, **other.groups}, replace=False)

    def knows(self, name: str) -> bool:
        """Whether a name (or alias, or group name) is in the directory."""
        n = normalize_name(name)
        return n in self.units or n in self.aliases or n in self.groups

    def canonical(self, name: str) -> str:
        """The canonical name of a unit; unknown names come back normalised."""
        n = normalize_name(name)
        if n in self.units:
            return n
        if n in self.aliases:
            return self.aliases[n]
        m = re.fullmatch(f"(.+?){_OPEN}(.+){_CLOSE}", n)
        if m:
            for part in m.groups():
                if part in self.units or part in self.aliases:
                    return self.canonical(part)
        if not n.startswith(("区", "各")) and not is_group(n):
            # 区发改委、商务委: the 区 of the first name is often left off the others.
            with_district = "区" + n
            if with_district in self.units or with_district in self.aliases:
                return self.canonical(with_district)
        return n

    def identities(self, name: str) -> frozenset[str]:
        """Every canonical unit a name may stand for: itself, and both sides of 甲（乙）."""
        n = normalize_name(name)
        found = {self.canonical(n)}
        m = re.fullmatch(f"(.+?){_OPEN}(.+){_CLOSE}", n)
        if m:
            found.update(self.canonical(part) for part in m.groups())
        return frozenset(found)

    def is_group(self, name: str) -> bool:
        """Whether a name is a group: listed under [groups], or reads as one and is no known unit."""
        n = normalize_name(name)
        if n in self.groups:
            return True
        return self.canonical(n) not in self.units and is_group(n)

    def kind(self, name: str) -> str:
        """department / town / street / other (guessed from the name when unknown); group for groups."""
        if self.is_group(name):
            return GROUP_KIND
        c = self.canonical(name)
        return self.units.get(c) or _guess_kind(c)

    def group_kinds(self, name: str) -> frozenset[str] | None:
        """The kinds a group name reaches; None when the name is not a group."""
        n = normalize_name(name)
        if n in self.groups:
            kinds: set[str] = set()
            for entry in self.groups[n]:
                if entry == "*":
                    kinds.update(KINDS)
                elif entry in KINDS:
                    kinds.add(entry)
            return frozenset(kinds)
        if not self.is_group(n):
            return None
        return _fallback_group_kinds(n)

    def group_members(self, name: str) -> frozenset[str]:
        """Units a group rule names one by one (besides its kinds)."""
        entries = self.groups.get(normalize_name(name), ())
        return frozenset(self.canonical(e) for e in entries if e != "*" and e not in KINDS)

    def reaches(self, assigned: str, unit: str) -> bool:
        """Whether a task assigned to a name (a unit or a group) reaches a concrete unit."""
        if normalize_name(assigned) == normalize_name(unit):
            return True
        kinds = self.group_kinds(assigned)
        if kinds is None:
            return bool(self.identities(assigned) & self.identities(unit))
        if self.is_group(unit):
            return False
        return self.kind(unit) in kinds or bool(self.identities(unit) & self.group_members(assigned))

    def canonical_units(self, refs: Iterable[UnitRef]) -> list[UnitRef]:
        """Units with canonical names, de-duplicated (first one wins)."""
        out: list[UnitRef] = []
        seen: set[str] = set()
        for ref in refs:
            name = self.canonical(ref.name)
            if name not in seen:
                seen.add(name)
                out.append(UnitRef(name, ref.role))
        return out


# ---------------------------------------------------------------------------------------------------------
# Unit grammar (core/unit_words.toml): what a unit name ends in, what a person's name looks like, and the
# parts of names a list leaves out (局机关党委、乡村振兴处 → 局乡村振兴处; 金井片区、海坛片区管理局).
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitWords:
    """The word lists of core/unit_words.toml, longest first where they are matched as endings."""

    suffixes: tuple[str, ...]
    surnames: frozenset[str]
    not_person_endings: tuple[str, ...]
    titles: tuple[str, ...]
    parent_endings: tuple[str, ...]
    internal_suffixes: tuple[str, ...]
    shared_suffixes: tuple[str, ...]
    place_words: tuple[str, ...]
    levels: tuple[str, ...]


def longest_first(words: Iterable[str]) -> tuple[str, ...]:
    """Vocabulary words once each, longest first, so a match prefers the longest word."""
    return tuple(sorted(dict.fromkeys(words), key=len, reverse=True))


@cache
def unit_words() -> UnitWords:
    """The shipped unit vocabulary (read once)."""
    text = resources.files("core").joinpath("unit_words.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    elision = data["elision"]
    return UnitWords(
        suffixes=longest_first(data["names"]["suffixes"]),
        surnames=frozenset(data["persons"]["surnames"]),
        not_person_endings=tuple(data["persons"]["not_person_endings"]),
        titles=longest_first(data["persons"]["titles"]),
        parent_endings=longest_first(elision["parent_endings"]),
        internal_suffixes=longest_first(elision["internal_suffixes"]),
        shared_suffixes=longest_first(elision["shared_suffixes"]),
        place_words=longest_first(elision["place_words"]),
        levels=longest_first(elision["levels"]),
    )


_CJK_NAME = re.compile(r"[\u4e00-\u9fff]+")
_NOT_PERSON_START = ("各", "全", "相关", "有关", "本", "其他", "其它", "所属")


def looks_like_unit(name: str) -> bool:
    """Whether a name reads as a body or a set of bodies: it ends in a unit ending (局 处 科 片区 支行 社区 …)."""
    n = normalize_name(name)
    if len(n) < 2 or is_person_name(n):
        return False
    # A group reads as a body only when it names a kind of body (各村, 相关单位), not 相关文件.
    return n.endswith(unit_words().suffixes)


@cache
def _person_pattern() -> re.Pattern[str]:
    titles = "|".join(re.escape(t) for t in unit_words().titles)
    return re.compile(rf"^(?:{titles})?(?P<name>[\u4e00-\u9fff]{{2,4}}?)(?:{titles}|（(?:{titles})）)?$")


@lru_cache(maxsize=8192)
def is_person_name(text: str) -> bool:
    """Whether text is a person's name, perhaps with a title: 张三, 欧阳明, 副区长李四, 王五（副局长）, 赵六同志."""
    n = normalize_name(text)
    if not 2 <= len(n) <= 16:
        return False
    m = _person_pattern().match(n)
    if m is None:
        return False
    words = unit_words()
    n = m["name"]
    if n.startswith(_NOT_PERSON_START) or n in _FRAGMENTS:
        return False
    if n.endswith((*words.suffixes, *words.not_person_endings, *words.place_words, *_ROLE_ENDINGS)):
        return False  # 区民政局, 文联, 高新区, 牵头: a body, a place or a role word
    if len(n) == 4:
        # Four characters are a name only with a two-character surname (欧阳明华).
        return n[:2] in words.surnames
    return n[:1] in words.surnames or n[:2] in words.surnames


_ROLE_ENDINGS = tuple(word for word, _ in _ROLE_WORDS)


def without_person_names(text: str) -> str:
    """A units cell without the people named in it (`区教育局 张三` → `区教育局`, `区司法局（李四）`)."""
    if len(text) <= 16 and is_person_name(text):
        return ""
    text = re.sub(r"[（(]([^（）()]{2,12})[)）]", lambda m: "" if is_person_name(m[1]) else m[0], text)
    pieces = re.split(r"(\s+|[、，,；;])", text)
    kept: list[str] = []
    for piece in pieces:
        if piece.strip() and piece.strip(_SEPARATORS).strip() and is_person_name(piece.strip()):
            continue
        kept.append(piece)
    out = "".join(kept)
    # Separators left doubled or dangling where a name was taken out.
    out = re.sub(rf"([{_SEPARATORS}])(?:\s*[{_SEPARATORS}])+", r"\1", out)
    return out.strip(f" {_SEPARATORS}")


def _parent_of(first: str) -> str | None:
    """The body a first name belongs to when it names one of its internal offices (局机关党委 → 局)."""
    words = unit_words()
    endings = (*words.parent_endings, *words.internal_suffixes)
    for i in range(1, len(first)):
        head, tail = first[:i], first[i:]
        if any(len(e) > i and first.startswith(e) for e in endings):
            continue  # 办|公室 is one word, not 办 + 公室
        inside = len(tail) >= 2 and tail.endswith(words.internal_suffixes)
        if (
            inside
            and head.endswith(words.parent_endings)
            and (head in words.parent_endings or head.startswith(words.levels))
        ):
            return head
    return None


# A name starting with these is written in full (乡村振兴处 starts with 乡 but is an office, so 乡/镇 are not here).
_UPPER_LEVELS = ("区", "县", "市", "省")
# Only a department takes its list's level prefix (区经济发展局、国资局), never a place (金井片区).
_DEPARTMENT_ENDINGS = ("局", "委", "办", "委员会", "办公室", "中心")


def _names_a_place(name: str) -> bool:
    return any(p in name for p in unit_words().place_words if len(p) > 1 or p in "镇乡村")


def _level_of(name: str) -> str | None:
    """The level prefix of a department's name (区经济发展局 → 区), or None."""
    words = unit_words()
    level = next((lv for lv in words.levels if name.startswith(lv)), None)
    if level is None or len(name) <= len(level) + 1 or name.startswith(level + "委"):
        return None
    return level


def unit_norms(names: list[str], parent: str | None = None) -> list[str]:
    """Each name of one list with what the list left out restored; names that need nothing come back as is.

    - an internal office after a first name inside a parent body gets the parent
      (局机关党委、乡村振兴处 → 局乡村振兴处; 区农业农村局办公室、科技处 → 区农业农村局科技处);
    - a department after a first name with a level prefix gets the level (区经济发展局、国资局 → 区国资局);
    - places before a last name with a shared ending get the ending (金井片区、海坛片区管理局 → 金井片区管理局).

    `parent` is how the plan's issuer calls itself (局 for a bureau's own plan): an office list that names no
    parent of its own (办公室、区旅游服务中心) takes it.
    """
    words = unit_words()
    written = [normalize_name(n) for n in names]
    out = list(written)
    if not written:
        return out
    first = written[0]
    own = _parent_of(first)
    level = _level_of(first)
    start = 1
    if own is None and parent:
        own, start = parent, 0
    parent = own
    for i, name in enumerate(written[start:], start=start):
        if not name or is_group(name) or is_person_name(name) or name.startswith(_UPPER_LEVELS):
            continue
        if parent and name.endswith(words.internal_suffixes) and not name.startswith((parent, "各")):
            out[i] = parent + name
        elif level and not parent and name.endswith(_DEPARTMENT_ENDINGS) and not _names_a_place(name):
            out[i] = level + name
    last = written[-1]
    for suffix in words.shared_suffixes:
        if not last.endswith(suffix) or len(last) <= len(suffix):
            continue
        place = next((p for p in words.place_words if last[: -len(suffix)].endswith(p)), None)
        if place is None:
            break
        before = written[:-1]
        if all(n.endswith(place) for n in before):
            out[:-1] = [o + suffix for o in out[:-1]]
        break
    return out


@dataclass(frozen=True, slots=True)
class NamedUnit:
    """A unit as written in the plan (name), what it means with the list's elisions restored (norm), its role."""

    name: str
    norm: str
    role: Role


def named_units(
    text: str, directory: UnitDirectory | None = None, *, parent: str | None = None
) -> list[NamedUnit]:
    """The units of a cell or clause, each with its norm (`局机关党委、乡村振兴处` → 乡村振兴处 = 局乡村振兴处);
    `parent` as in unit_norms."""
    refs = split_units(text, directory)
    norms = unit_norms([r.name for r in refs], parent)
    return [NamedUnit(r.name, n, r.role) for r, n in zip(refs, norms, strict=True)]
