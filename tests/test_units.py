"""Units cells → units with roles, and the unit directory."""

from __future__ import annotations

import re

import pytest
from conftest import seed_text
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import Role, UnitRef
from core.units import (
    UnitDirectory,
    is_group,
    is_person_name,
    looks_like_unit,
    named_units,
    split_units,
    unit_norms,
    without_person_names,
)

ROLE_LETTER: dict[str, Role] = {"l": "lead", "s": "support", "o": "owner"}
ROLE_WORDS = ("牵头", "配合", "协助", "参与", "落实", "负责")


def refs(spec: str) -> list[UnitRef]:
    """Expected units written compactly: "甲:l 乙:s 丙:o"."""
    out = []
    for item in spec.split():
        name, role = item.rsplit(":", 1)
        out.append(UnitRef(name, ROLE_LETTER[role]))
    return out


def compact(units: list[UnitRef]) -> str:
    """The compact form of split units, for readable failures."""
    return " ".join(f"{u.name}:{u.role[0]}" for u in units)


# (cell, expected) in the project's own wording, one row per rule.
PATTERNS = [
    # separators
    ("区档案局、区体育局", "区档案局:o 区体育局:o"),
    (
        "区档案局，区体育局；区水务局;区气象局,区统计局",
        "区档案局:o 区体育局:o 区水务局:o 区气象局:o 区统计局:o",
    ),
    ("区档案局 区体育局", "区档案局:o 区体育局:o"),
    ("  区档案局、\n区体育局  ", "区档案局:o 区体育局:o"),
    ("", ""),
    ("   ", ""),
    # 和/及 between names, never inside one
    ("区档案局和区体育局", "区档案局:o 区体育局:o"),
    ("区档案局及各街道", "区档案局:o 各街道:o"),
    ("区档案局以及区体育局", "区档案局:o 区体育局:o"),
    ("区发展和改革委员会", "区发展和改革委员会:o"),
    ("区文化和旅游局、区住房和城乡建设局", "区文化和旅游局:o 区住房和城乡建设局:o"),
    ("区规划和自然资源局和区人力资源和社会保障局", "区规划和自然资源局:o 区人力资源和社会保障局:o"),
    ("区科技和经济委员会", "区科技和经济委员会:o"),
    ("企业服务中心和政策起草单位配合", "企业服务中心:s 政策起草单位:s"),
    # roles
    ("区档案局牵头", "区档案局:l"),
    ("区档案局牵头负责", "区档案局:l"),
    ("区档案局负责牵头，区体育局配合", "区档案局:l 区体育局:s"),
    ("区档案局牵头，相关单位落实", "区档案局:l 相关单位:s"),
    ("区档案局、区体育局牵头，各街镇落实", "区档案局:l 区体育局:l 各街镇:s"),
    ("区档案局牵头，区体育局、区水务局协助", "区档案局:l 区体育局:s 区水务局:s"),
    ("区档案局牵头，区体育局参与", "区档案局:l 区体育局:s"),
    ("区档案局牵头，区体育局", "区档案局:l 区体育局:s"),
    ("各单位落实，区大数据中心配合", "各单位:o 区大数据中心:s"),
    ("区档案局负责", "区档案局:o"),
    ("区档案局配合落实", "区档案局:s"),
    ("区档案局牵头相关单位落实", "区档案局:l 相关单位:s"),
    ("区档案局牵头 相关单位落实", "区档案局:l 相关单位:s"),
    ("由区档案局牵头", "区档案局:l"),
    ("责任单位：区档案局", "区档案局:o"),
    # a shared 各
    ("各镇、街道、高新区社区党工委", "各镇:o 各街道:o 高新区社区党工委:o"),
    ("各镇政府、街道办事处", "各镇政府:o 各街道办事处:o"),
    ("各镇、区档案局、街道", "各镇:o 区档案局:o 街道:o"),
    ("区档案局、街道办事处", "区档案局:o 街道办事处:o"),
    # parenthetical aliases, half- and full-width
    ("区行政服务中心(区大数据中心)", "区行政服务中心（区大数据中心）:o"),
    ("区行政服务中心（区大数据中心）、区档案局", "区行政服务中心（区大数据中心）:o 区档案局:o"),
    ("区档案局（区史志办、区方志办）牵头", "区档案局（区史志办、区方志办）:l"),
    # PDF artefacts: a name broken by a space or a line break
    ("区大数据中心、各 单位", "区大数据中心:o 各单位:o"),
    ("区政务公开办牵 头", "区政务公开办:l"),
    ("区档案局牵\n头，相 关单位落实", "区档案局:l 相关单位:s"),
    ("区档 案局、区体育 局", "区档案局:o 区体育局:o"),
    ("区政府 办公室", "区政府办公室:o"),
    ("区卫生健康委 员会", "区卫生健康委员会:o"),
    ("高新区 社区党工委", "高新区社区党工委:o"),
    ("各镇、街道、高新区社区党 工委", "各镇:o 各街道:o 高新区社区党工委:o"),
    ("区档案局等相关 部门", "区档案局:o"),
    ("区档案局、区体育 局牵 头", "区档案局:l 区体育局:l"),
    ("区档案局 和区体育局", "区档案局:o 区体育局:o"),
    ("政策起草单位 配合", "政策起草单位:s"),
    # 等部门 and friends are dropped
    ("区档案局等部门", "区档案局:o"),
    ("区档案局、区体育局等相关部门", "区档案局:o 区体育局:o"),
    ("区档案局等单位配合", "区档案局:s"),
    ("区档案局等", "区档案局:o"),
    # de-duplication keeps the first
    ("区档案局、区档案局、区 档案局", "区档案局:o"),
    ("区档案局牵头，区档案局配合", "区档案局:l"),
    # role labels, bracketed role words and 会同
    ("牵头单位：区档案局；配合单位：区体育局、区水务局", "区档案局:l 区体育局:s 区水务局:s"),
    ("牵头：区档案局；配合：区体育局", "区档案局:l 区体育局:s"),
    ("区档案局；协办单位：区体育局", "区档案局:o 区体育局:s"),
    ("牵头部门:区档案局 配合部门:区体育局", "区档案局:l 区体育局:s"),
    ("负责单位：区档案局", "区档案局:o"),
    ("区档案局（牵头），区体育局（配合）", "区档案局:l 区体育局:s"),
    ("区档案局(牵头)、区体育局、区水务局(配合)", "区档案局:l 区体育局:s 区水务局:s"),
    ("由区档案局会同区体育局负责", "区档案局:l 区体育局:s"),
    ("区发展和改革委员会会同区财政局、区统计局", "区发展和改革委员会:l 区财政局:s 区统计局:s"),
]


@pytest.mark.parametrize(("cell", "expected"), PATTERNS)
def test_split_units_patterns(cell: str, expected: str) -> None:
    assert compact(split_units(cell)) == compact(refs(expected))


def test_directory_decides_whitespace() -> None:
    # 区委 is too short to count as a complete name, so a space after it joins …
    assert compact(split_units("区委 网信办")) == "区委网信办:o"
    # … unless the directory knows both sides as units.
    d = UnitDirectory.from_toml('[other]\n"区委" = []\n"网信办" = []\n')
    assert compact(split_units("区委 网信办", d)) == "区委:o 网信办:o"
    # A joined name the directory knows always joins, even where the heuristic would split.
    d = UnitDirectory.from_toml('[street]\n"东湖街道社区中心" = []\n')
    assert compact(split_units("东湖街道 社区中心")) == "东湖街道:o 社区中心:o"
    assert compact(split_units("东湖街道 社区中心", d)) == "东湖街道社区中心:o"


# --- real cells from the seeds, hand-checked -------------------------------------------------------------


def table_cell(prefix: str, seq: str) -> str:
    """The 责任单位 cell of row seq in a tab-separated table seed (000, 001)."""
    text = seed_text(prefix)
    if "任务分解表" in text:
        text = text[text.index("任务分解表") :]
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == 5 and fields[0].strip() == seq:
            return fields[3]
    raise AssertionError(f"{prefix}: no row {seq}")


def outline_cell(seq: str) -> str:
    """The units line of task N in seed 004 (two lines after `N.`)."""
    lines = seed_text("004").splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"\s*{seq}\.", line):
            return lines[i + 2].strip()
    raise AssertionError(f"004: no task {seq}")


def prose_cell(nth: int) -> str:
    """The nth (1-based) `(责任单位:…)` of seed 002, with nested parentheses kept."""
    text = seed_text("002")
    starts = [m.end() for m in re.finditer(r"[(（]责任单位[:：]", text)]
    j, depth = starts[nth - 1], 1
    start = j
    while depth:
        depth += {"(": 1, "（": 1, ")": -1, "）": -1}.get(text[j], 0)
        j += 1
    return text[start : j - 1]


def cell(where: str) -> str:
    """A seed's units cell from a locator like 000#58, 004#9 or 002@15."""
    prefix, sep, key = where.partition("#") if "#" in where else where.partition("@")
    if sep == "@":
        return prose_cell(int(key))
    if prefix == "004":
        return outline_cell(key)
    return table_cell(prefix, key)


SEED_CELLS = [
    ("000#1", "各镇:o 各街道:o 高新区社区党工委:o 区政府各部门:o"),
    ("000#2", "各镇:o 各街道:o 高新区社区党工委:o 区发改委:o 区经委:o 区科委:o 区人社局:o"),
    ("000#3", "区经委:o"),
    ("000#5", "区政务服务办:l 区市场监管局:l 相关单位:s"),
    ("000#6", "区民政局:o 区市场监管局:o 有关行政主管部门:o"),
    ("000#16", "区生态环境局:l 相关单位:s"),  # no separator at all after 牵头
    ("000#24", "公安金山分局:o"),
    ("000#30", "区财政局:l 相关单位:s"),
    ("000#34", "区发改委:l 相关单位:s"),
    ("000#37", ""),
    ("000#40", "区政府办公室:l 各镇:s 各街道:s 高新区社区党工委:s 区政府各部门:s"),
    ("000#45", "各镇:o 各街道:o 高新区社区党工委:o 区政府各部门:o"),  # 高新区社区 党工委
    ("000#56", "区政府办公室:l 区行政服务中心:s"),
    (
        "000#58",  # three stray spaces: after 、, inside 等相关 部门, inside 高新区 社区党工委
        "区规划资源局:o 区房管局:o 区教育局:o 区卫健委:o 区民政局:o 区生态环境局:o 各镇:o 各街道:o 高新区社区党工委:o",
    ),
    ("000#61", "区政府办公室:l 各镇:s 各街道:s 高新区社区党工委:s 区政府各部门:s"),
    ("000#62", "区人社局:o 区卫健委:o 区民政局:o"),  # 区民 政局
    ("000#64", "区政府办公室:l 各镇:s 各街道:s 高新区社区党工委:s"),
    ("000#81", "区政府办公室:o 各镇:o 各街道:o 高新区社区党工委:o 区政府各部门:o"),
    ("000#85", "区政府办公室:o 各决策承办单位:o"),  # a real space between two names
    ("001#1", "各单位:o"),
    ("001#9", "区政务公开办:o 大数据中心:o"),
    ("001#23", "区企业服务中心:l 相关部门:s 大数据中心:s"),
    ("001#29", "各单位:o 区大数据中心:s"),
    ("001#34", "区政务公开办:l 决策承办单位:s"),
    ("001#36", "区政务公开办:l 其他相关单位:s"),
    ("001#45", "区民政局:l 各街镇:s"),
    ("001#54", "区教育局:l 相关单位:s"),
    ("001#55", "区教育局:o 市场监管局:o"),
    ("001#57", "区科经委:l 区发改委:s 商务委:s 人社局:s 知识产权局:s"),
    ("001#62", "区大数据中心:o 各单位:o"),  # 各 单位
    ("001#64", "区政务公开办:o 大数据中心:o"),  # 大 数据中心
    ("001#66", "区新闻办:o 大数据中心:o"),  # 大数 据中心
    ("001#67", "区新闻办:l 相关单位:s"),  # 相 关单位
    ("001#68", "区新闻办:l 大数据中心:l 相关单位:s"),  # 大数 据中心, 相关单 位
    ("001#69", "区政务公开办:l 企业服务中心:s 政策起草单位:s"),  # 牵 头, 中心 和…单位 配合
    ("001#70", "区规划资源局:o 建交委:o 教育局:o 民政局:o 生态环境局:o"),
    ("001#78", "区政府办:o 公务员局:o 地区工作党委:o 政务公开办:o"),
    ("004#1", "区发改局:o 区级其他有关部门:o 各镇政府:o 各街道办事处:o"),
    ("004#8", "区人力社保局:o"),
    (
        "004#9",
        "区国资委:o 区教育局:o 区卫健局:o 区综合执法局:o 区生态环境分局:o 国网鄞州供电公司:o 区级其他有关部门:o",
    ),
    ("004#11", "区商务局:o 区文广旅游体育局:o 区交通局:o 区级其他有关部门:o"),
    ("004#35", "区级各有关单位:o"),
    ("004#42", "区政府办:o 区级各有关部门:o"),
    ("004#50", "区政府办:o 区大数据中心:o 区级各有关部门:o 各镇政府:o 各街道办事处:o"),
    (
        "002@1",  # 嘉定镇街道及相关单位: 及 between a street and a group
        "区新城推进办:o 北虹办:o 区建设管理委:o 区规划资源局:o 区农业农村委:o 区绿化市容局:o "
        "区住房保障房屋管理局:o 区交通委:o 马陆镇:o 江桥镇:o 嘉定工业区:o 嘉定镇街道:o 相关单位:o",
    ),
    ("002@2", "区发展改革委:o 区经委:o 区商务委:o 区科委:o 区建设管理委:o 各街镇:o"),
    ("002@3", "区发展改革委:o 区市场监管局:o 各相关部门:o"),
    ("002@12", "区政府办公室:o 区政府各部门:o 各街镇:o"),
    (
        "002@15",  # a parenthetical alias inside the list
        "区政府办公室:o 区行政服务中心（区大数据中心）:o 区发展改革委:o 区经委:o 区商务委:o 区科委:o "
        "各相关部门:o 各街镇:o",
    ),
    ("002@22", "区政府办公室:o 区信访办:o 区城运中心:o 区政府各部门:o 各街镇:o"),
]


@pytest.mark.parametrize(("where", "expected"), SEED_CELLS)
def test_seed_cells(where: str, expected: str) -> None:
    assert compact(split_units(cell(where))) == compact(refs(expected))


def all_seed_cells() -> list[str]:
    """Every units cell in the seeds that have units (003 names none)."""
    cells = []
    for prefix in ("000", "001"):
        text = seed_text(prefix)
        cells += [f[3] for line in text.splitlines() if len(f := line.split("\t")) == 5 and f[0].isdigit()]
    lines = seed_text("004").splitlines()
    cells += [lines[i + 2] for i, line in enumerate(lines) if re.match(r"\s*\d+\.", line)]
    text = seed_text("002")
    cells += [prose_cell(k + 1) for k in range(len(re.findall(r"[(（]责任单位[:：]", text)))]
    return cells


def check_names(units: list[UnitRef]) -> None:
    """Properties every split must have."""
    names = [u.name for u in units]
    assert len(names) == len(set(names)), names
    for name in names:
        assert name, names
        assert not re.search(r"\s", name), name
        assert not any(w in name for w in ROLE_WORDS), name
        assert not name.endswith(("等", "等部门", "等相关部门")), name
        assert name.count("（") == name.count("）"), name
        assert not any(c in name for c in "、，,；;"), name


def test_properties_over_every_seed_cell() -> None:
    cells = all_seed_cells()
    assert len(cells) > 200
    for text in cells:
        check_names(split_units(text))


def test_every_seed_group_is_routed() -> None:
    d = UnitDirectory.default()
    groups = {u.name for text in all_seed_cells() for u in split_units(text) if is_group(u.name)}
    assert {"各单位", "区政府各部门", "各街镇", "区级其他有关部门", "各镇政府"} <= groups
    for g in groups:
        assert d.group_kinds(g), g


DEFAULT = UnitDirectory.default()


def test_every_known_name_broken_anywhere_is_rejoined() -> None:
    broken = []
    for name in sorted(set(DEFAULT.units) | set(DEFAULT.aliases)):
        for at in range(1, len(name)):
            got = [u.name for u in split_units(f"区档案局、{name[:at]} {name[at:]}")]
            if got != ["区档案局", name]:
                broken.append((name[:at], name[at:], got))
    assert broken == []


KNOWN_NAMES = sorted(set(DEFAULT.units) | set(DEFAULT.aliases))
SEPARATOR = st.sampled_from(["、", "，", ",", "；", ";", "、 ", " ", "，\n"])


@pytest.mark.slow  # 300 examples: 0.5–0.7 s
@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.sampled_from(KNOWN_NAMES), min_size=1, max_size=6, unique=True),
    seps=st.lists(SEPARATOR, min_size=6, max_size=6),
    breaks=st.lists(st.integers(min_value=1, max_value=20), min_size=6, max_size=6),
    broken=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_known_names_survive_separators_and_stray_breaks(
    names: list[str], seps: list[str], breaks: list[int], broken: list[bool]
) -> None:
    # Break some names with a stray space at an arbitrary point, as a PDF line wrap would.
    # A bare space between names and a break inside the next name at once (区交通局 政 府办) is beyond
    # any rule without knowing the names, so a name after a bare-space separator stays whole.
    pieces = []
    for i, (name, at, brk) in enumerate(zip(names, breaks, broken, strict=False)):
        at = at % len(name)
        after_space = i > 0 and not seps[i - 1].strip()
        pieces.append(name[:at] + " " + name[at:] if brk and at and not after_space else name)
    text = pieces[0] + "".join(s + p for s, p in zip(seps, pieces[1:], strict=False))
    assert [u.name for u in split_units(text)] == names


# --- is_group --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("各单位", True),
        ("区政府各部门", True),
        ("相关单位", True),
        ("有关单位", True),
        ("各街镇", True),
        ("各镇", True),
        ("各街道", True),
        ("区级其他有关部门", True),
        ("区政府有关部门", True),
        ("有关行政主管部门", True),
        ("决策承办单位", True),
        ("各镇政府", True),
        ("区档案局", False),
        ("区大数据中心", False),
        ("高新区社区党工委", False),
        ("嘉定镇街道", False),
        ("区行政服务中心（区大数据中心）", False),
        ("", False),
    ],
)
def test_is_group(name: str, expected: bool) -> None:
    assert is_group(name) is expected


# --- the directory ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("区政府办", "区政府办公室"),
        ("区发改委", "区发展改革委"),
        ("区卫健委", "区卫生健康委"),
        ("区人社局", "区人力资源社会保障局"),
        ("区政府办公室", "区政府办公室"),
        ("区 政府办", "区政府办公室"),  # whitespace is ignored
        ("大数据中心", "区大数据中心"),  # the 区 left off in a list
        ("商务委", "区商务委"),
        ("区行政服务中心(区大数据中心)", "区行政服务中心"),  # the outer name when known
        ("区新设中心（区大数据中心）", "区大数据中心"),  # else the alias in parentheses
        ("马陆镇", "马陆镇"),  # unknown: unchanged
        ("区未知局", "区未知局"),
        ("各单位", "各单位"),
        ("相关部门", "相关部门"),  # groups never gain a 区
    ],
)
def test_canonical(name: str, canonical: str) -> None:
    assert DEFAULT.canonical(name) == canonical


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("区政府办", "department"),
        ("区教育局", "department"),
        ("区委网信办", "other"),
        ("马陆镇", "town"),  # guessed from the name
        ("嘉定镇街道", "street"),
        ("某某街道办事处", "street"),
        ("公安金山分局", "department"),
        ("区未知局", "department"),
        ("高新区社区党工委", "other"),
        ("国网鄞州供电公司", "other"),
        ("各单位", "group"),
    ],
)
def test_kind(name: str, kind: str) -> None:
    assert DEFAULT.kind(name) == kind


ALL = frozenset({"department", "town", "street", "other"})


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("各单位", ALL),
        ("相关单位", ALL),
        ("区政府各部门", frozenset({"department"})),
        ("区级其他有关部门", frozenset({"department"})),
        ("各镇", frozenset({"town"})),
        ("各镇政府", frozenset({"town"})),
        ("各街道", frozenset({"street"})),
        ("各街道办事处", frozenset({"street"})),
        ("各街镇", frozenset({"town", "street"})),
        ("区级各有关单位", frozenset({"department", "other"})),
        # not listed: read from the words
        ("各乡镇街道", frozenset({"town", "street"})),
        ("各委办局", frozenset({"department"})),
        ("各人民团体", ALL),
        # not groups
        ("区教育局", None),
        ("马陆镇", None),
    ],
)
def test_group_kinds(name: str, kinds: frozenset[str] | None) -> None:
    assert DEFAULT.group_kinds(name) == kinds


@pytest.mark.parametrize(
    ("assigned", "unit", "expected"),
    [
        ("各单位", "马陆镇", True),
        ("各单位", "区教育局", True),
        ("区政府各部门", "区教育局", True),
        ("区政府各部门", "马陆镇", False),
        ("各街镇", "马陆镇", True),
        ("各街镇", "嘉定镇街道", True),
        ("各镇", "嘉定镇街道", False),
        ("各街道", "马陆镇", False),
        ("各单位", "各街镇", False),  # a group is not a member of another group
        ("各街镇", "各街镇", True),
        ("区发改委", "区发展改革委", True),  # an alias reaches its unit
        ("区发改委", "区教育局", False),
        ("区行政服务中心（区大数据中心）", "区大数据中心", True),
        ("区行政服务中心（区大数据中心）", "区行政服务中心", True),
        ("大数据中心", "区大数据中心", True),
    ],
)
def test_reaches(assigned: str, unit: str, expected: bool) -> None:
    assert DEFAULT.reaches(assigned, unit) is expected


USER_FILE = """
[town]
"马陆镇" = ["马陆"]

[street]
"新成路街道" = ["新成路"]

["部门"]
"区发改委" = []            # this district calls it 区发改委: the default canonical name becomes its alias
"区档案局" = ["档案局"]

[groups]
"各镇" = ["镇", "新成路街道"]   # a group may name units one by one
"相关单位" = ["部门"]
"""


def test_user_file_adds_to_defaults() -> None:
    d = UnitDirectory.load(USER_FILE)
    assert d.canonical("马陆") == "马陆镇"
    assert d.kind("马陆") == "town"
    assert d.canonical("档案局") == "区档案局"
    assert d.canonical("区政府办") == "区政府办公室"  # defaults kept
    assert d.canonical("区发展和改革委员会") == "区发展改革委"  # default aliases kept …
    assert d.canonical("区发展改革委") == "区发展改革委"
    assert d.reaches("各镇", "新成路") and d.reaches("各镇", "马陆镇")
    assert d.group_kinds("相关单位") == frozenset({"department"})
    assert d.group_kinds("各单位") == ALL


def test_user_default_unit_renamed() -> None:
    d = UnitDirectory.load('[department]\n"区发改委" = ["区发展改革委"]\n')
    assert "区发展改革委" not in d.units
    assert d.canonical("区发展改革委") == "区发改委"
    assert d.canonical("区发展和改革委员会") == "区发改委"  # the old unit's aliases follow it


def test_user_file_replaces_defaults() -> None:
    d = UnitDirectory.load('replace = true\n[town]\n"马陆镇" = []\n')
    assert d.units == {"马陆镇": "town"}
    assert d.canonical("区政府办") == "区政府办"
    assert d.group_kinds("各单位") == ALL  # unlisted groups still read from their words


def test_no_user_file_is_the_default() -> None:
    assert UnitDirectory.load(None) == DEFAULT
    assert UnitDirectory.load("") == DEFAULT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[department\n", "格式有误"),
        ('[villages]\n"某村" = []\n', "无法识别"),
        ('[town]\n"甲镇" = ["甲"]\n[street]\n"乙街道" = ["甲"]\n', "同时指向"),
        ('[town]\n"甲镇" = ["乙镇"]\n"乙镇" = []\n', "既是单位名又是简称"),
        ('[town]\n"甲镇" = []\n[street]\n"甲镇" = []\n', "出现了两次"),
    ],
)
def test_bad_directory_files(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UnitDirectory.from_toml(text)


def test_default_directory_is_consistent() -> None:
    assert len(DEFAULT.units) >= 50
    assert set(DEFAULT.units.values()) <= ALL
    assert all(canon in DEFAULT.units for canon in DEFAULT.aliases.values())
    # no town or street names are shipped: they come from plans and users
    assert not [n for n, k in DEFAULT.units.items() if k in ("town", "street")]
    for group in DEFAULT.groups:
        assert is_group(group), group


def test_canonical_units_deduplicates_aliases() -> None:
    units = split_units("区发改委牵头，区发展改革委、大数据中心、区大数据中心配合")
    assert DEFAULT.canonical_units(units) == refs("区发展改革委:l 区大数据中心:s")


# ---------------------------------------------------------------------------------------------------------
# Unit grammar: endings, people, labels and what a list leaves out (core/unit_words.toml)
# ---------------------------------------------------------------------------------------------------------

NEW_FORMS = [
    # endings added to the grammar: a space between two such names separates them
    ("财务处 宣传科", "财务处:o 宣传科:o"),
    ("东山村 西岭村", "东山村:o 西岭村:o"),
    ("区建设银行城关支行 区交通集团", "区建设银行城关支行:o 区交通集团:o"),
    ("北港片区 南湾社区", "北港片区:o 南湾社区:o"),
    # people are no units, in a mixed cell or in brackets
    ("区民政局 孙小明", "区民政局:o"),
    ("区民政局（周立）、区水务局", "区民政局:o 区水务局:o"),
    ("副区长钱伟，区水务局", "区水务局:o"),
    ("海关、文联，区水务局", "海关:o 文联:o 区水务局:o"),
    # a whole cell in brackets naming its roles
    ("（区水务局负责）", "区水务局:o"),
    ("（区水务局牵头，区民政局配合）", "区水务局:l 区民政局:s"),
    # labels with 处室/科室/对象, glued to the names before them
    ("责任处室：财务处", "财务处:o"),
    ("牵头处室：财务处配合单位：宣传科", "财务处:l 宣传科:s"),
    ("责任处室、单位：财务处、区水务局", "财务处:o 区水务局:o"),
    ("牵头科室：宣传科责任对象：各村", "宣传科:l 各村:s"),
]


@pytest.mark.parametrize(("cell", "expected"), NEW_FORMS)
def test_split_units_new_forms(cell: str, expected: str) -> None:
    assert compact(split_units(cell)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("孙小明", True),
        ("司马青", True),
        ("副县长吴刚", True),
        ("郑强（副局长）", True),
        ("冯敏同志", True),
        ("区民政局", False),
        ("财务处", False),
        ("各村", False),
        ("全区", False),
        ("高新区", False),
        ("牵头", False),
        ("单位", False),
        ("东山村", False),
        ("中华人民共和国", False),
        # short names of bodies that start like a surname
        ("文联", False),
        ("海关", False),
        ("农行", False),
        ("计生协", False),
    ],
)
def test_is_person_name(text: str, expected: bool) -> None:
    assert is_person_name(text) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("区民政局", True),
        ("宣传科", True),
        ("北港片区", True),
        ("城关支行", True),
        ("党工委", True),
        ("各相关单位", True),
        ("孙小明", False),
        ("加强宣传", False),
        ("会", False),
    ],
)
def test_looks_like_unit(name: str, expected: bool) -> None:
    assert looks_like_unit(name) is expected


@pytest.mark.parametrize(
    ("names", "norms"),
    [
        # the first name sits inside its parent body; the short offices after it leave the parent out
        ("局办公室、财务处、宣传科", "局办公室、局财务处、局宣传科"),
        ("区水务局办公室、规划科", "区水务局办公室、区水务局规划科"),
        ("委机关党委、乡村建设处", "委机关党委、委乡村建设处"),
        # a level prefix left off a department
        ("区商务局、统计局", "区商务局、区统计局"),
        ("县商务局、统计局、各乡镇", "县商务局、县统计局、各乡镇"),
        # a shared ending written only on the last name
        ("北港片区、南湾片区管理局", "北港片区管理局、南湾片区管理局"),
        ("东山镇、西岭镇人民政府", "东山镇人民政府、西岭镇人民政府"),
        # nothing left out
        ("局财务处", "局财务处"),
        ("区商务局、区统计局", "区商务局、区统计局"),
        ("区商务局、北港片区", "区商务局、北港片区"),
        ("各镇、街道办事处", "各镇、街道办事处"),
        ("北港片区、区水务局", "北港片区、区水务局"),
        ("局办公室、区统计局", "局办公室、区统计局"),
    ],
)
def test_unit_norms(names: str, norms: str) -> None:
    assert "、".join(unit_norms(names.split("、"))) == norms


def test_without_person_names_keeps_the_list_well_formed() -> None:
    assert without_person_names("孙小明、区民政局，李华；区水务局 王刚") == "区民政局，区水务局"


def test_named_units_keep_the_name_as_written_and_the_norm() -> None:
    got = [(u.name, u.norm, u.role) for u in named_units("局办公室牵头，财务处、区统计局配合")]
    assert got == [
        ("局办公室", "局办公室", "lead"),
        ("财务处", "局财务处", "support"),
        ("区统计局", "区统计局", "support"),
    ]


@pytest.mark.parametrize(
    ("names", "parent", "norms"),
    [
        # the issuer calls itself 局: its offices take it, bodies with a level or 各 do not
        ("办公室、区旅游服务中心、各经营单位", "局", "局办公室、区旅游服务中心、各经营单位"),
        ("财务处", "局", "局财务处"),
        ("区财政局", "局", "区财政局"),
        # a list that names its own parent keeps it
        ("委办公室、财务处", "局", "委办公室、委财务处"),
        # 办公室 is one word: no parent 办 inside it
        ("办公室、财务处", None, "办公室、财务处"),
    ],
)
def test_unit_norms_with_the_issuer_as_parent(names: str, parent: str | None, norms: str) -> None:
    assert "、".join(unit_norms(names.split("、"), parent)) == norms
