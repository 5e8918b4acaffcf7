"""core.plandiff: pairing two versions of a plan's tasks (written for these tests, not from the seeds)."""

from __future__ import annotations

import pytest

from core.models import Task, UnitRef
from core.plandiff import diff_lines, diff_plans, diff_summary, normalise, similarity


def t(
    seq: str, content: str, unit: str = "区教育局", deadline: str = "6月底前", category: str = "公开"
) -> Task:
    return Task(
        seq=seq, category=category, content=content, units=[UnitRef(unit, "lead")], deadline_text=deadline
    )


BASE = [
    t("1", "更新开放平台的数据目录说明"),
    t("2", "公布本年度数据开放预算安排", unit="区财政局"),
    t("3", "组织一次开放数据使用培训", deadline="9月底前"),
    t("4", "编写数据开放年度总结", unit="区政府办公室", category="总结"),
]


def shape(old: list[Task], new: list[Task]) -> tuple:
    """(pairs as (old, new, fields), added, removed) — the whole answer, for exact comparison."""
    d = diff_plans(old, new)
    return tuple((p.old, p.new, p.fields) for p in d.pairs), d.added, d.removed


@pytest.mark.parametrize(
    ("name", "new", "expected"),
    [
        (
            "identical",
            BASE,
            (((0, 0, ()), (1, 1, ()), (2, 2, ()), (3, 3, ())), (), ()),
        ),
        (
            "deadline changed",
            [BASE[0], BASE[1], t("3", "组织一次开放数据使用培训", deadline="10月底前"), BASE[3]],
            (((0, 0, ()), (1, 1, ()), (2, 2, ("deadline",)), (3, 3, ())), (), ()),
        ),
        (
            "unit changed",
            [BASE[0], t("2", "公布本年度数据开放预算安排", unit="区审计局"), BASE[2], BASE[3]],
            (((0, 0, ()), (1, 1, ("units",)), (2, 2, ()), (3, 3, ())), (), ()),
        ),
        (
            "reworded in place",
            [BASE[0], BASE[1], t("3", "组织两次开放数据使用培训并总结", deadline="9月底前"), BASE[3]],
            (((0, 0, ()), (1, 1, ()), (2, 2, ("content",)), (3, 3, ())), (), ()),
        ),
        (
            "inserted in the middle renumbers the rest",
            [
                BASE[0],
                t("2", "建立政务数据质量检查通报制度", unit="区大数据中心"),
                t("3", "公布本年度数据开放预算安排", unit="区财政局"),
                t("4", "组织一次开放数据使用培训", deadline="9月底前"),
                t("5", "编写数据开放年度总结", unit="区政府办公室", category="总结"),
            ],
            (((0, 0, ()), (1, 2, ("seq",)), (2, 3, ("seq",)), (3, 4, ("seq",))), (1,), ()),
        ),
        (
            "removed from the middle",
            [
                BASE[0],
                t("2", "组织一次开放数据使用培训", deadline="9月底前"),
                t("3", BASE[3].content, "区政府办公室", category="总结"),
            ],
            (((0, 0, ()), (2, 1, ("seq",)), (3, 2, ("seq",))), (), (1,)),
        ),
        (
            "replaced outright: same number, unrelated content",
            [BASE[0], BASE[1], t("3", "清理过期失效的规范性文件目录", deadline="9月底前"), BASE[3]],
            (((0, 0, ()), (1, 1, ()), (3, 3, ())), (2,), (2,)),
        ),
        (
            "moved and reworded: found by similarity elsewhere",
            [t("1", "编写数据开放工作年度总结", unit="区政府办公室", category="总结"), *BASE[:3]],
            (((3, 0, ("content", "seq")), (0, 1, ()), (1, 2, ()), (2, 3, ())), (), ()),
        ),
        (
            "punctuation and spaces are no change",
            [t("1", "更新开放平台的 数据目录说明。"), *BASE[1:]],
            (((0, 0, ()), (1, 1, ()), (2, 2, ()), (3, 3, ())), (), ()),
        ),
        ("everything removed", [], ((), (), (0, 1, 2, 3))),
    ],
)
def test_diff_plans(name: str, new: list[Task], expected: tuple) -> None:
    assert shape(BASE, new) == expected, name


def test_duplicate_contents_pair_by_place() -> None:
    old = [t("1", "报送季度进展"), t("2", "报送季度进展", category="总结")]
    new = [t("2", "报送季度进展", category="总结"), t("1", "报送季度进展")]
    # Same wording twice, order swapped: each goes to the one with its 序号 and heading, not by position.
    assert shape(old, new) == (((1, 0, ()), (0, 1, ())), (), ())


def test_from_nothing_everything_is_added() -> None:
    assert shape([], BASE) == ((), (0, 1, 2, 3), ())


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("更新开放平台的数据目录说明", "更新开放平台的数据目录说明。", 1.0, 1.0),
        ("组织一次开放数据使用培训", "组织两次开放数据使用培训并总结", 0.5, 0.9),
        ("组织一次开放数据使用培训", "清理过期失效的规范性文件目录", 0.0, 0.3),
        ("", "", 1.0, 1.0),
    ],
)
def test_similarity(a: str, b: str, low: float, high: float) -> None:
    assert low <= similarity(a, b) <= high


@pytest.mark.parametrize(("text", "expected"), [("Ａ、 b，c。\n", "Abc"), ("第（一）条", "第一条")])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_lines_for_people() -> None:
    new = [
        t("1", "更新开放平台的数据目录说明", deadline="5月底前"),
        BASE[1],
        t("3", "清理过期失效的规范性文件目录"),
        BASE[3],
    ]
    d = diff_plans(BASE, new)
    assert diff_summary(d) == "新增 1 项，删除 1 项，修改 1 项，未变 2 项。"
    assert diff_lines(d, BASE, new, old_ids=[11, 12, 13, 14]) == [
        "新增 1 项，删除 1 项，修改 1 项，未变 2 项。",
        "＋ 新增 序号3 清理过期失效的规范性文件目录",
        "－ 删除 #13 组织一次开放数据使用培训",
        "～ 修改 #11 更新开放平台的数据目录说明（时间节点：6月底前 → 5月底前）",
    ]


def test_lines_are_capped() -> None:
    new = [*BASE, *(t(str(n), f"第{n}项新增的专项检查工作{'甲乙丙丁'[n % 4]}") for n in range(5, 20))]
    lines = diff_lines(diff_plans(BASE, new), BASE, new, limit=3)
    assert lines[1:] == [
        "＋ 新增 序号5 第5项新增的专项检查工作乙",
        "＋ 新增 序号6 第6项新增的专项检查工作丙",
        "＋ 新增 序号7 第7项新增的专项检查工作丁",
        "＋ 新增 ……另有 12 项",
    ]
