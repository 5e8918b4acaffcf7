"""The general outline reader (core/outline.py): numbering, evidence, and which items are tasks.

Every row is written in the project's own words; each names the general phenomenon it pins down.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from core.models import Role, UnitRef
from core.outline import accept_markers, build_tree, outline_tasks, plan_words, read_node, scan_markers

WORDS_FILE = Path(__file__).resolve().parent.parent / "core" / "plan_words.toml"


def accepted_labels(text: str) -> list[str]:
    return [m.label for m, _ in accept_markers(text, scan_markers(text))]


# ---------------------------------------------------------------------------------------------------------
# Numbering: a marker counts only where its sequence goes on
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # One item per line, two levels.
        (
            "一、总体安排\n1.建立台账。\n2.按月通报。\n二、保障\n1.配齐人员。",
            ["一、", "1.", "2.", "二、", "1."],
        ),
        # Run together (a web page saved as text): the same markers, found by their sequence.
        (
            "一、总体安排1.建立台账。2.按月通报。二、保障1.配齐人员。2.落实经费。",
            ["一、", "1.", "2.", "二、", "1.", "2."],
        ),
        # `3.5G` is item 3 when item 3 is due; a decimal or a quoted date is no item.
        ("1.修路。2.建站，高度49.74m。3.5G网络覆盖。", ["1.", "2.", "3."]),
        ("1.宣传。2.开展“12.4”宪法日活动。3.总结。", ["1.", "2.", "3."]),
        # A lone `一、` inside a word (统一、规范) opens nothing when no `二、` follows it.
        ("要统一、规范口径。\n一、任务\n1.甲。\n2.乙。\n二、要求", ["一、", "1.", "2.", "二、"]),
        # `1.6月完成` (item 1, June) needs its 2 before it counts; so does `12345热线`.
        ("请于1.6月完成，拨打12345热线。", []),
        # Numbering that runs on across sections (4 after 3 under a new heading).
        (
            "（一）宣传\n1.甲。\n2.乙。\n3.丙。\n（二）培训\n4.丁。\n5.戊。",
            ["（一）", "1.", "2.", "3.", "（二）", "4.", "5."],
        ),
        # Numbering that starts again at （一） without a heading of its own.
        ("（一）甲。\n（二）乙。\n（一）丙。\n（二）丁。", ["（一）", "（二）", "（一）", "（二）"]),
        # Every marker kind: （1） ① 一是 第X条.
        ("1.总体（1）甲（2）乙2.分项①丙②丁", ["1.", "（1）", "（2）", "2.", "①", "②"]),
        ("工作中，一是加强领导，二是压实责任。", ["一是", "二是"]),
        ("第一条 适用范围。\n第二条 职责。", ["第一条", "第二条"]),
    ],
)
def test_markers_count_only_where_the_sequence_goes_on(text: str, labels: list[str]) -> None:
    assert accepted_labels(text) == labels


def test_an_attachment_starts_a_new_outline() -> None:
    text = "一、任务\n1.甲。责任单位：区A局\n2.乙。责任单位：区B局\n附件：登记表\n1.姓名____\n2.电话____"
    roots = build_tree(text)
    assert [r.marker.label for r in roots] == ["一、", "1.", "2."]
    assert [t.task.seq for t in outline_tasks(text, audience="各单位")] == ["一1", "一2"]


# ---------------------------------------------------------------------------------------------------------
# Evidence: unit labels in every form, inline roles, sentence subjects
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "units", "how"),
    [
        # A label glued to the item; the shared prefix the list left off the later names is restored.
        (
            "普法宣传责任单位：局机关党委、法规处，区农业中心",
            [("局机关党委", "owner"), ("局法规处", "owner"), ("区农业中心", "owner")],
            "label",
        ),
        # Labels run together: 牵头处室 leads, the other slot supports.
        (
            "开展征文。活动时间：4－5月牵头处室：局办公室责任对象：局各处室，各区属国企",
            [("局办公室", "lead"), ("局各处室", "support"), ("各区属国企", "support")],
            "label",
        ),
        (
            "做好防汛。责任处室、单位：景管处、区服务中心",
            [("景管处", "owner"), ("区服务中心", "owner")],
            "label",
        ),
        ("编制目录（责任单位：区司法局）", [("区司法局", "owner")], "label"),
        (
            "做好对台文章由党群工作处牵头，经济发展处、社会事业处配合，推动融合。",
            [("党群工作处", "lead"), ("经济发展处", "support"), ("社会事业处", "support")],
            "inline",
        ),
        ("建立调解机制（区司法局负责）。", [("区司法局", "owner")], "inline"),
        # The subject of the task's sentence is its owner.
        ("减免收费。全区各行业协会商会在充分考虑……", [("全区各行业协会商会", "owner")], "subject"),
        ("实施阶段（5—8月）农业农村处要积极争取支持。", [("农业农村处", "owner")], "subject"),
        ("巩固阶段：4月8日—4月21日，各村居冲刺攻坚。", [("各村居", "owner")], "subject"),
        # Not owners: a superior body, a prepositional phrase, an assisted body.
        ("报送信息。日前，省社管局在平台设立专栏。", [], ""),
        ("对落实不力的单位将予以扣分。", [], ""),
        ("会同区市场监督管理局等部门开展抽查。", [], ""),
    ],
)
def test_evidence_of_an_item(text: str, units: list[tuple[str, Role]], how: str) -> None:
    reading = read_node(text)
    assert reading.units == [UnitRef(n, r) for n, r in units]
    assert reading.how == how


def test_a_label_is_cut_from_the_content() -> None:
    reading = read_node("开展农机安全宣传。责任单位：局农业处，区农业中心")
    assert reading.content == "开展农机安全宣传。"


# ---------------------------------------------------------------------------------------------------------
# Which items are tasks
# ---------------------------------------------------------------------------------------------------------


def tasks_of(text: str) -> list[tuple[str, list[str], str]]:
    return [
        (t.task.seq, [u.name for u in t.task.units], t.task.deadline_text)
        for t in outline_tasks(text, audience="各单位")
    ]


@pytest.mark.parametrize("heading", plan_words().not_tasks)
def test_items_under_a_non_task_heading_are_no_tasks(heading: str) -> None:
    text = f"一、{heading}\n1.加强领导，落实责任。责任单位：区A局\n二、主要任务\n1.开展培训。责任单位：区B局"
    assert tasks_of(text) == [("二1", ["区B局"], "")]


@pytest.mark.parametrize("heading", plan_words().requirements)
def test_requirement_items_are_tasks_only_when_dated_or_labelled(heading: str) -> None:
    text = f"一、{heading}\n（一）提高认识。各单位要高度重视。\n（二）及时报送。各单位于6月30日前报送材料。"
    assert tasks_of(text) == [("一（二）", ["各单位"], "于6月30日前")]


def test_items_with_an_action_verb_are_tasks_for_the_audience() -> None:
    text = (
        "一、主要任务\n1.加强宣传。通过专栏宣传。\n2.开展培训。组织业务培训。\n3.旅行社相关业务：非法经营。"
    )
    assert tasks_of(text) == [("一1", ["各单位"], ""), ("一2", ["各单位"], "")]


def test_sub_points_closed_by_one_label_are_one_task() -> None:
    text = "1.完善工作机制（1）优化分工。（2）发挥作用。（3）建立考评。责任单位：区A办\n2.推进改革。责任单位：区B办"
    assert tasks_of(text) == [("1", ["区A办"], ""), ("2", ["区B办"], "")]


def test_a_heading_names_units_its_items_name_their_own() -> None:
    # The heading's 由X牵头 is not copied into items that carry a label of their own.
    text = "（一）做好旅游文章由区文旅局牵头，推进项目。\n1.建设景区。责任处室：规划处\n2.完善设施。责任处室：建设处"
    assert tasks_of(text) == [("（一）1", ["规划处"], ""), ("（一）2", ["建设处"], "")]


def test_items_without_units_inherit_their_headings_and_say_so() -> None:
    text = "（一）加强宣传（责任单位：区宣传部）\n1.开展宣传周活动。\n2.制作宣传手册。"
    found = outline_tasks(text, audience="各单位")
    assert [(t.task.seq, [u.name for u in t.task.units], t.inherited) for t in found] == [
        ("（一）1", ["区宣传部"], True),
        ("（一）2", ["区宣传部"], True),
    ]


def test_a_later_paragraph_with_its_own_units_is_a_task_of_its_own() -> None:
    text = (
        "（一）推进集中发布。完善文件库。（责任单位：区司法局）\n开展集成发布试点。（责任单位：区政府办公室）"
    )
    assert tasks_of(text) == [("（一）", ["区司法局"], ""), ("（一）-1", ["区政府办公室"], "")]


def test_form_fields_are_no_tasks() -> None:
    text = "附件\n1.减轻企业负担金额______（万元）\n2.惠及_____（个）企业"
    assert tasks_of(text) == []


# ---------------------------------------------------------------------------------------------------------
# The vocabulary file
# ---------------------------------------------------------------------------------------------------------


def test_vocabulary_lists_are_filled_and_without_repeats() -> None:
    data = tomllib.loads(WORDS_FILE.read_text(encoding="utf-8"))
    for section, lists in data.items():
        for name, words in lists.items():
            assert words, f"[{section}] {name} 为空"
            assert len(words) == len(set(words)), f"[{section}] {name} 有重复的词"
