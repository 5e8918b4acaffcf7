"""Task tables: header words, column roles by cell content, rows, sections, merged cells, flattened tables."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest
from conftest import seed_text

from core.tables import (
    ROLE_NAMES,
    ROLES,
    Carried,
    ColumnStats,
    header_columns,
    header_evidence,
    header_map,
    is_deadline_cell,
    is_header_row,
    is_person_cell,
    is_unit_cell,
    map_columns,
    read_table,
    rebuild_flattened_table,
    table_maps,
)


def roles_of(text: str) -> list[str]:
    """The role of each column of the first table in a tab-separated text."""
    reading = read_table(text.split("\n"))
    assert reading is not None
    return [c.role for c in reading.maps[0].columns]


def rows_of(text: str | list[list[str]]) -> list[tuple[str, str, str, str, str]]:
    """(seq, category, content, units as `name:r`, deadline) of each task."""
    reading = read_table(text.split("\n") if isinstance(text, str) else text)
    assert reading is not None
    return [
        (
            t.task.seq,
            t.task.category,
            t.task.content,
            " ".join(f"{u.name}:{u.role[0]}" for u in t.task.units),
            t.task.deadline_text,
        )
        for t in reading.tasks
    ]


# ---------------------------------------------------------------------------------------------------------
# The vocabulary file
# ---------------------------------------------------------------------------------------------------------


def test_vocabulary_has_every_role_and_no_word_twice_as_exact() -> None:
    data = tomllib.loads(resources.files("core").joinpath("table_words.toml").read_text(encoding="utf-8"))
    assert set(data["roles"]) == set(ROLES) == set(ROLE_NAMES)
    seen: dict[str, str] = {}
    for role, words in data["roles"].items():
        for word in words["exact"]:
            assert word not in seen, f"“{word}” 同时出现在 {seen.get(word)} 和 {role}"
            seen[word] = role


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("序号", "seq"),
        ("编 号", "seq"),
        ("攻坚事项", "group"),
        ("重点领域", "group"),
        ("任务名称", "title"),
        ("工作任务", "title"),
        ("具体任务", "content"),
        ("考核评分细则", "content"),
        ("工作要求", "content"),
        ("牵头单位", "lead"),
        ("牵头处室", "lead"),
        ("配合/责任单位", "support"),
        ("协办部门", "support"),
        ("责任单位", "units"),
        ("实施主体", "units"),
        ("责任领导", "leader"),
        ("分管负责人", "leader"),
        ("节点任务", "deadline"),
        ("完成时限", "deadline"),
        ("办理时间", "deadline"),
        ("三季度", "milestone"),
        ("第一阶段", "milestone"),
        ("分值", "score"),
        ("备注", "remark"),
        ("培训地点", "other"),
        ("受训对象", "other"),
        ("工作单位及职务", "other"),
    ],
)
def test_header_word_gives_role(header: str, role: str) -> None:
    heard = header_evidence(header)
    assert max(heard, key=lambda r: heard[r][0]) == role


def test_unknown_header_gives_nothing() -> None:
    assert header_evidence("甲乙丙") == {}
    assert header_evidence("") == {}


# ---------------------------------------------------------------------------------------------------------
# Cell content
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "unit", "person", "deadline"),
    [
        ("区司法局、各街道", True, False, False),
        ("财务处牵头，宣传科配合", True, False, False),
        ("东山村", True, False, False),
        ("孙小明、李华", False, True, False),
        ("副县长吴刚", False, True, False),
        ("6月底前", False, False, True),
        ("2023年5月", False, False, True),
        ("二季度", False, False, True),
        ("全年", False, False, True),
        ("梳理本系统公开事项，编制目录并在网站公布。", False, False, False),
        ("加强宣传，于9月底前完成全部街道的入户走访和问卷回收工作并形成报告", False, False, False),
        ("相关文件", False, False, False),
    ],
)
def test_cell_kinds(cell: str, unit: bool, person: bool, deadline: bool) -> None:
    assert (is_unit_cell(cell), is_person_cell(cell), is_deadline_cell(cell)) == (unit, person, deadline)


def test_column_stats() -> None:
    stats = ColumnStats.of(["区司法局", "", "区民政局", "区民政局"])
    assert (stats.cells, stats.fill, stats.units, stats.repeats) == (4, 0.75, 1.0, pytest.approx(1 / 3))
    assert ColumnStats.of(["1", "2", "3"]).seqs == 1.0
    assert ColumnStats.of(["2.5", "5分"]).numbers == 1.0
    assert ColumnStats.of(["", ""]).fill == 0.0


# ---------------------------------------------------------------------------------------------------------
# Headers and column roles
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["序号", "任务名称", "任务内容", "责任单位", "时间节点"], True),
        (["工作任务", "工作要求", "牵头单位", "配合/责任单位"], True),
        (["攻坚事项", "具体任务", "责任单位", "责任领导", "二季度", "三季度", "四季度"], True),
        # a data row, a blank form and prose are no headers
        (["1", "编制目录", "梳理公开事项", "区司法局", "6月底前"], False),
        (["姓名", "性别", "年龄", "政治面貌", "工作单位及职务", "联系电话"], True),
        (["序号", "任务"], False),
        (["各单位要按照本方案要求认真组织实施", "责任单位", "时限"], False),
    ],
)
def test_is_header_row(cells: list[str], expected: bool) -> None:
    assert is_header_row(cells) is expected


def test_a_blank_form_is_no_task_table() -> None:
    # A roster names people and posts but holds no task column.
    assert header_map(["姓名", "性别", "年龄", "政治面貌", "工作单位及职务", "联系电话"]) is None
    assert read_table(["附件", "姓名\t性别\t年龄\t政治面貌\t工作单位及职务\t联系电话"]) is None


@pytest.mark.parametrize(
    ("cells", "fields"),
    [
        (
            ["序号", "任务名称", "任务内容", "责任单位", "时间节点"],
            {"seq": 0, "category": 1, "content": 2, "units": 3, "deadline": 4},
        ),
        # one task column holds the task itself
        (
            ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
            {"seq": 0, "content": 1, "lead": 2, "support": 3, "deadline": 4},
        ),
        # a header the words cannot map is read in the usual order
        (
            ["序号", "甲", "乙", "丙", "丁"],
            {"seq": 0, "category": 1, "content": 2, "units": 3, "deadline": 4},
        ),
        # the readers' contract: a header starts with 序号
        (["工作任务", "工作要求", "牵头单位", "配合单位"], None),
        (["序号", "姓名", "性别", "职务"], None),
    ],
)
def test_header_columns_for_the_readers(cells: list[str], fields: dict[str, int] | None) -> None:
    assert header_columns(cells) == fields


TWO_UNIT_COLUMNS = (
    "工作任务\t工作要求\t牵头单位\t配合/责任单位\n"
    "提升公开质量\t1.主动公开预算信息，按月更新栏目\t区财政局\t各街道\n"
    "\t2.做好政策解读，配发图解\t区司法局\t区民政局、区水务局\n"
)
QUARTERS = (
    "攻坚事项\t具体任务\t责任单位\t责任领导\t二季度\t三季度\t四季度\n"
    "老城更新\t完成旧小区改造方案\t区住建局\t周立\t完成方案\t开工\t完工\n"
    "\t推进背街小巷整治\t\t郑强\t摸底\t整治\t验收\n"
    "乡村建设\t建设示范村\t区农业农村局、各镇\t冯敏、何平\t选点\t建设\t评估\n"
)
SCORING = (
    "序号\t节点任务\t考核评分细则\t分值\t责任单位\n"
    "1\t6月底前\t未按时报送统计报表的扣2分，内容不全的扣1分\t10\t区统计局\n"
    "2\t9月底前\t未开展自查的不得分\t5\t区审计局\n"
)
TRAINING = (
    "序号\t培训时间\t培训内容\t受训对象\t培训地点\n"
    "1\t2023年4月\t《消防法》\t各村消防队员\t北港片区 会议中心\n"
    "2\t2023年9月\t《防汛条例》\t各村村主干\t北港片区 会议中心\n"
)
UNKNOWN_HEADERS = (
    "序号\t任务名称\t任务内容\t承担\t进度\n"
    "1\t目录\t编制公开目录\t区司法局、各街道\t6月底前\n"
    "2\t专栏\t更新专栏\t区民政局\t全年\n"
    "3\t热线\t优化热线\t区信访局\t年底前\n"
)


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        (TWO_UNIT_COLUMNS, ["title", "content", "lead", "support"]),
        (QUARTERS, ["group", "content", "units", "leader", "milestone", "milestone", "milestone"]),
        (SCORING, ["seq", "deadline", "content", "score", "units"]),
        # trainees and venue are no units, though a venue's name ends like one
        (TRAINING, ["seq", "deadline", "content", "other", "other"]),
        # no header word: the cells tell the units and the deadline column
        (UNKNOWN_HEADERS, ["seq", "title", "content", "units", "deadline"]),
    ],
)
def test_column_roles(text: str, roles: list[str]) -> None:
    assert roles_of(text) == roles


def test_roles_by_content_say_so_with_a_margin() -> None:
    reading = read_table(UNKNOWN_HEADERS.split("\n"))
    assert reading is not None
    units = reading.maps[0].columns[3]
    assert units.reason.startswith("按单元格内容判定")
    assert "单位名称" in units.reason
    assert units.runner_up is not None and units.margin > 0
    lines = reading.maps[0].explain()
    assert lines[3].startswith("第4列“承担” → 责任单位（按单元格内容判定")
    assert "次选" in lines[3]


def test_one_content_and_one_deadline_column_at_most() -> None:
    columns = map_columns(
        ["任务内容", "工作要求", "完成时限", "时间节点"],
        [["编制公开目录并公布", "目录覆盖全部事项并按季度更新", "6月底前", "9月底前"]],
    )
    assert [c.role for c in columns.columns].count("content") == 1
    assert [c.role for c in columns.columns].count("deadline") == 1


def test_a_leader_column_never_gives_units() -> None:
    # Even when its header says 责任 and its cells are people in a mixed list.
    text = "序号\t任务内容\t责任单位\t责任人\n1\t编制公开目录\t区司法局\t孙小明、李华\n"
    assert rows_of(text) == [("1", "", "编制公开目录", "区司法局:o", "")]


# ---------------------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------------------


def test_numbers_inside_the_task_cell() -> None:
    assert rows_of(TWO_UNIT_COLUMNS) == [
        ("1", "提升公开质量", "主动公开预算信息，按月更新栏目", "区财政局:l 各街道:s", ""),
        ("2", "提升公开质量", "做好政策解读，配发图解", "区司法局:l 区民政局:s 区水务局:s", ""),
    ]


def test_quarter_columns_are_milestones_and_leaders_are_kept_apart() -> None:
    reading = read_table(QUARTERS.split("\n"))
    assert reading is not None
    first, second, third = reading.tasks
    assert first.milestones == (("二季度", "完成方案"), ("三季度", "开工"), ("四季度", "完工"))
    assert first.task.deadline_text == "二季度完成方案；三季度开工；四季度完工"
    assert first.leaders == ("周立",)
    assert third.leaders == ("冯敏", "何平")
    assert [u.name for u in third.task.units] == ["区农业农村局", "各镇"]
    # An empty units cell under the merged 攻坚事项 cell: the units above, marked inherited.
    assert (second.task.category, [u.name for u in second.task.units], second.inherited) == (
        "老城更新",
        ["区住建局"],
        True,
    )
    assert not first.inherited and not third.inherited


def test_section_rows_and_a_repeated_header() -> None:
    text = (
        "序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
        "一、公开透明\n"
        "1\t公开目录\t编制公开目录\t区司法局\t6月底前\n"
        "二、便民服务\t\t\t\t\n"
        "2\t热线\t优化热线\t区信访局\t9月底前\n"
        "序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
        "3\t窗口\t规范窗口\t区政务服务办\t全年\n"
    )
    reading = read_table(text.split("\n"))
    assert reading is not None
    assert [(t.task.seq, t.section) for t in reading.tasks] == [
        ("1", "一、公开透明"),
        ("2", "二、便民服务"),
        ("3", "二、便民服务"),
    ]
    assert len(reading.maps) == 1


def test_a_section_row_is_the_category_when_there_is_no_title_column() -> None:
    text = "序号\t工作要求\t责任单位\t完成时限\n（一）档案安全\n1\t开展档案安全检查\t区档案馆\t6月底前\n"
    assert rows_of(text) == [("1", "（一）档案安全", "开展档案安全检查", "区档案馆:o", "6月底前")]


def test_sub_rows_keep_their_path() -> None:
    text = (
        "序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
        "5\t安全检查\t开展安全检查\t区应急局\t全年\n"
        "5-1\t\t检查企业\t区市场监管局\t6月底前\n"
        "5－2\t\t检查学校\t区教育局\t9月底前\n"
        "6\t宣传\t开展宣传月\t区委宣传部\t6月\n"
    )
    assert [r[0] for r in rows_of(text)] == ["5", "5-1", "5-2", "6"]


def test_rows_under_a_merged_number_become_sub_rows() -> None:
    rows = [
        ["序号", "任务名称", "任务内容", "责任单位", "时间节点"],
        ["3", "安全检查", "检查企业", "区应急局", "6月底前"],
        [Carried("3"), Carried("安全检查"), "检查学校", Carried("区应急局"), "9月底前"],
        ["4", "消防", "检查工地", "区住建局", "全年"],
        ["5", Carried("消防"), "检查仓库", "", "全年"],
        ["6", "宣传", "开展宣传月", "", "6月"],
    ]
    reading = read_table(rows)
    assert reading is not None
    got = [(t.task.seq, t.task.category, [u.name for u in t.task.units], t.inherited) for t in reading.tasks]
    assert got == [
        ("3-1", "安全检查", ["区应急局"], False),
        ("3-2", "安全检查", ["区应急局"], True),
        ("4", "消防", ["区住建局"], False),
        ("5", "消防", ["区住建局"], True),
        # an empty units cell in a row of its own: nothing is inherited
        ("6", "宣传", [], False),
    ]


def test_numbers_restarting_under_each_group_get_paths() -> None:
    text = (
        "工作任务\t工作要求\t责任单位\n"
        "档案安全\t1.开展检查\t区档案馆\n"
        "\t2.整改隐患\t区档案馆\n"
        "数字档案\t1.扫描存量档案\t区档案馆\n"
    )
    assert [r[0] for r in rows_of(text)] == ["1-1", "1-2", "2-1"]


def test_notice_before_the_table_and_text_after_it_are_no_tasks() -> None:
    text = "关于印发任务分解表的通知\n各单位：现将任务分解表印发给你们。\n\n" + SCORING + "\n抄送：区委办\n"
    assert [r[0] for r in rows_of(text)] == ["1", "2"]


def test_person_names_in_a_units_cell_are_dropped() -> None:
    text = "序号\t任务内容\t责任单位\t完成时限\n1\t编制公开目录\t区民政局 孙小明\t6月底前\n"
    assert rows_of(text)[0][3] == "区民政局:o"


def test_seed_tables_map_by_header_and_content() -> None:
    for prefix, count in (("000", 99), ("001", 78)):
        reading = read_table(seed_text(prefix).split("\n"))
        assert reading is not None
        assert len(reading.tasks) == count
        for columns in reading.maps:
            assert [c.role for c in columns.columns] == ["seq", "title", "content", "units", "deadline"]
            assert all(c.margin > 1 for c in columns.columns)


# ---------------------------------------------------------------------------------------------------------
# Flattened tables (a web page saved as text runs the cells together)
# ---------------------------------------------------------------------------------------------------------

FLATTENED = [
    # dates glued to the row number, trainees and a venue repeated down their columns, page chrome after
    (
        "附件 培训计划表 序号培训时间培训内容培训对象培训地点12023年4月《消防法》解读各村消防队员北港片区会议中心"
        "22023年9月《防汛条例》宣讲各村消防队员北港片区会议中心 来源：北港片区 附件下载",
        [
            ["序号", "培训时间", "培训内容", "培训对象", "培训地点"],
            ["1", "2023年4月", "《消防法》解读", "各村消防队员", "北港片区会议中心"],
            ["2", "2023年9月", "《防汛条例》宣讲", "各村消防队员", "北港片区会议中心"],
        ],
    ),
    # units read backwards from the row's end, a deadline at the end; `2次` inside a row is no row 2
    (
        "现将任务表印发。序号工作任务责任单位完成时限1编制公开目录，开展2次检查区司法局6月底前"
        "2更新政务专栏区民政局、区水务局全年3优化热线服务区信访局牵头，各街道配合9月底前",
        [
            ["序号", "工作任务", "责任单位", "完成时限"],
            ["1", "编制公开目录，开展2次检查", "区司法局", "6月底前"],
            ["2", "更新政务专栏", "区民政局、区水务局", "全年"],
            ["3", "优化热线服务", "区信访局牵头，各街道配合", "9月底前"],
        ],
    ),
    # a lead and a support column glued together: the first name leads
    (
        "序号工作任务牵头单位配合单位完成时限1编制公开目录区司法局区财政局6月底前2更新政务专栏区民政局各街道、区水务局全年",
        [
            ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
            ["1", "编制公开目录", "区司法局", "区财政局", "6月底前"],
            ["2", "更新政务专栏", "区民政局", "各街道、区水务局", "全年"],
        ],
    ),
]


@pytest.mark.parametrize(("text", "rows"), FLATTENED)
def test_rebuild_flattened_table(text: str, rows: list[list[str]]) -> None:
    assert rebuild_flattened_table(text) == rows


@pytest.mark.parametrize(
    "text",
    [
        "这是一段没有表格的正文，序号从1开始，共3项。",
        # a blank form: a header without a task column
        "附件 花名册 姓名性别年龄政治面貌工作单位及职务联系电话",
        # a header run but no numbered rows after it
        "序号工作任务责任单位完成时限 （空表）",
    ],
)
def test_no_flattened_table(text: str) -> None:
    assert rebuild_flattened_table(text) is None


def test_a_rebuilt_table_reads_as_tasks() -> None:
    rows = rebuild_flattened_table(FLATTENED[1][0])
    assert rows is not None
    assert rows_of(rows) == [
        ("1", "", "编制公开目录，开展2次检查", "区司法局:o", "6月底前"),
        ("2", "", "更新政务专栏", "区民政局:o 区水务局:o", "全年"),
        ("3", "", "优化热线服务", "区信访局:l 各街道:s", "9月底前"),
    ]


def test_a_wrapped_last_cell_is_no_section_row() -> None:
    # The units cell of row 1 ran on to a line of its own (a PDF break); it is not a heading for row 2.
    text = "序号\t工作要求\t责任单位\n1\t开展档案安全检查\t区档案馆、\n区司法局\n2\t整改隐患\t区档案馆\n"
    assert [r[1] for r in rows_of(text)] == ["", ""]


def test_a_two_row_header() -> None:
    text = (
        "序号\t工作任务\t责任单位\t时间节点\t\t\n"
        "\t\t\t一季度\t二季度\t三季度\n"
        "1\t完成普查\t区统计局\t制定方案\t入户登记\t汇总上报\n"
        "2\t更新台账\t区民政局\t\t核对\t\n"
    )
    assert roles_of(text) == ["seq", "content", "units", "milestone", "milestone", "milestone"]
    reading = read_table(text.split("\n"))
    assert reading is not None
    assert reading.tasks[0].milestones == (
        ("一季度", "制定方案"),
        ("二季度", "入户登记"),
        ("三季度", "汇总上报"),
    )
    assert reading.tasks[1].task.deadline_text == "二季度核对"


def test_a_continuation_line_of_short_cells_is_no_second_header_row() -> None:
    text = "序号\t任务内容\t责任单位\t完成时限\n1\t编制公开目录并按季度更新\t区司法局\t\n\t\t区民政局\t全年\n"
    assert rows_of(text) == [("1", "", "编制公开目录并按季度更新", "区司法局:o 区民政局:o", "全年")]


def test_a_section_numbered_in_the_seq_column() -> None:
    text = (
        "序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
        "一\t公开透明\t\t\t\n"
        "1\t公开目录\t编制公开目录\t区司法局\t6月底前\n"
        "二、\t便民服务\t\t\t\n"
        "2\t热线\t优化热线\t区信访局\t9月底前\n"
    )
    reading = read_table(text.split("\n"))
    assert reading is not None
    assert [(t.task.seq, t.section) for t in reading.tasks] == [("1", "一、公开透明"), ("2", "二、便民服务")]


def test_table_maps_of_a_document() -> None:
    tabbed = table_maps("通知\n" + SCORING)
    assert [[c.role for c in m.columns] for m in tabbed] == [["seq", "deadline", "content", "score", "units"]]
    flattened = table_maps(FLATTENED[0][0])
    assert [c.role for c in flattened[0].columns] == ["seq", "deadline", "content", "other", "other"]
    assert table_maps("一、总体要求\n（一）加强领导。\n") == []


def test_group_and_title_columns() -> None:
    text = (
        "重点领域\t任务名称\t具体任务\t责任单位\n"
        "民生\t就业\t开展招聘月活动\t区人社局\n"
        "\t\t发放稳岗补贴\t区人社局\n"
        "生态\t\t整治河道\t区水务局\n"
    )
    reading = read_table(text.split("\n"))
    assert reading is not None
    got = [(t.group, t.task.category, t.task.content) for t in reading.tasks]
    assert got == [
        ("民生", "就业", "开展招聘月活动"),
        ("民生", "就业", "发放稳岗补贴"),
        ("生态", "生态", "整治河道"),
    ]


def test_a_new_group_inherits_nothing() -> None:
    text = (
        "重点领域\t任务名称\t具体任务\t责任单位\n民生\t就业\t开展招聘月活动\t区人社局\n生态\t\t整治河道\t\n"
    )
    reading = read_table(text.split("\n"))
    assert reading is not None
    last = reading.tasks[-1]
    assert (last.task.units, last.inherited) == ([], False)
