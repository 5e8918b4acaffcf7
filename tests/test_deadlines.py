"""Deadline engine: phrases found in prose, their resolution, review reasons and typed dates."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import seed_text
from hypothesis import given
from hypothesis import strategies as st

from core.deadlines import (
    cn_to_int,
    extract_phrases,
    next_occurrence,
    parse_user_date,
    resolve,
    review_reason,
    suggested_date,
)
from core.models import Deadline

D = date
KINDS = {"fixed", "ongoing", "recurring", "event_relative", "unresolved"}
FLAGS = {"ambiguous", "needs_issue_date", "before_issue_date", "unresolved"}
PUDONG_ISSUED = D(2022, 3, 21)
JIADING_ISSUED = D(2023, 4, 20)


def check(d: Deadline, kind: str, due: date | None, flags: tuple[str, ...] = (), **extra: object) -> None:
    """Compare the fields that matter; extra names recurrence, event or workdays."""
    assert (d.kind, d.due, d.flags) == (kind, due, flags)
    for name, value in extra.items():
        assert getattr(d, name) == value, name


# The conventions table of issue 3, row by row: (text, year, issued, kind, due, flags, extra fields).
CONVENTIONS = [
    ("10月底前", 2022, None, "fixed", D(2022, 10, 31), (), {}),
    ("10月底", 2022, None, "fixed", D(2022, 10, 31), (), {}),
    ("于10月底前", 2022, None, "fixed", D(2022, 10, 31), (), {}),
    ("10月", 2022, None, "fixed", D(2022, 10, 31), (), {}),
    ("十月", 2022, None, "fixed", D(2022, 10, 31), (), {}),
    ("十二月", 2022, None, "fixed", D(2022, 12, 31), (), {}),
    ("2月底前", 2024, None, "fixed", D(2024, 2, 29), (), {}),
    ("3月31日前", 2022, None, "fixed", D(2022, 3, 31), (), {}),
    ("于3月31日前", 2022, None, "fixed", D(2022, 3, 31), (), {}),
    ("2022年3月31日前", 2022, None, "fixed", D(2022, 3, 31), (), {}),
    ("2023年6月1日前", 2022, None, "fixed", D(2023, 6, 1), (), {}),
    ("十月三十一日前", 2022, None, "fixed", D(2022, 10, 31), (), {}),
    ("年底前", 2022, None, "fixed", D(2022, 12, 31), (), {}),
    ("12月底前", 2022, None, "fixed", D(2022, 12, 31), (), {}),
    ("2022年底前", 2022, None, "fixed", D(2022, 12, 31), (), {}),
    ("全年", 2022, None, "ongoing", D(2022, 12, 31), (), {}),
    ("年内", 2022, None, "ongoing", D(2022, 12, 31), (), {}),
    ("持续", 2022, None, "ongoing", D(2022, 12, 31), (), {}),
    ("长期", 2022, None, "ongoing", D(2022, 12, 31), (), {}),
    ("常态化", 2022, None, "ongoing", D(2022, 12, 31), (), {}),
    ("", 2022, None, "ongoing", D(2022, 12, 31), (), {}),
    ("  ", 2023, None, "ongoing", D(2023, 12, 31), (), {}),
    ("上半年", 2022, None, "fixed", D(2022, 6, 30), (), {}),
    ("年中", 2022, None, "fixed", D(2022, 6, 30), ("ambiguous",), {}),
    ("一季度末", 2022, None, "fixed", D(2022, 3, 31), (), {}),
    ("第三季度末前", 2022, None, "fixed", D(2022, 9, 30), (), {}),
    ("二季度", 2022, None, "fixed", D(2022, 6, 30), (), {}),
    ("前三季度", 2022, None, "fixed", D(2022, 9, 30), (), {}),
    ("三季度前", 2022, None, "fixed", D(2022, 9, 30), ("ambiguous",), {}),
    ("4季度前", 2022, None, "fixed", D(2022, 12, 31), ("ambiguous",), {}),
    ("次年一季度", 2022, None, "fixed", D(2023, 3, 31), (), {}),
    ("次年1月31日前", 2022, None, "fixed", D(2023, 1, 31), (), {}),
    ("本文印发后30日", 2022, D(2022, 3, 18), "fixed", D(2022, 4, 17), (), {"event": "印发"}),
    ("印发后30日内", 2022, D(2022, 3, 18), "fixed", D(2022, 4, 17), (), {}),
    ("本文印发后30日", 2022, None, "unresolved", None, ("needs_issue_date",), {}),
    ("印发后10个工作日内", 2022, D(2022, 9, 29), "fixed", D(2022, 10, 18), (), {"workdays": 10}),
    ("国庆节前", 2022, None, "fixed", D(2022, 9, 30), (), {}),
    ("国庆节前", 2022, D(2022, 3, 18), "fixed", D(2022, 9, 30), (), {}),
    ("国庆节前", 2023, None, "fixed", D(2023, 9, 28), (), {}),  # 中秋 joins 国庆 from 09-29
    ("春节前", 2022, D(2022, 3, 18), "fixed", D(2023, 1, 20), (), {}),
    ("春节前", 2022, None, "fixed", D(2022, 1, 30), (), {}),
    ("元旦前", 2023, D(2023, 4, 20), "fixed", D(2023, 12, 29), (), {}),
    ("端午节前", 2022, None, "fixed", D(2022, 6, 2), (), {}),
    ("中秋前", 2022, None, "fixed", D(2022, 9, 9), (), {}),
    ("按季度", 2022, PUDONG_ISSUED, "recurring", D(2022, 3, 31), (), {"recurrence": "quarterly"}),
    ("每季度", 2022, D(2022, 4, 1), "recurring", D(2022, 6, 30), (), {"recurrence": "quarterly"}),
    ("每季度", 2022, None, "recurring", D(2022, 3, 31), (), {"recurrence": "quarterly"}),
    ("每季度", 2022, D(2022, 12, 31), "recurring", D(2022, 12, 31), (), {"recurrence": "quarterly"}),
    ("每月", 2022, PUDONG_ISSUED, "recurring", D(2022, 3, 31), (), {"recurrence": "monthly"}),
    ("每月不少于1次", 2022, None, "recurring", D(2022, 1, 31), (), {"recurrence": "monthly"}),
    # A day of the month is kept: 每月10日前 is the 10th of every month, not its last day.
    ("每月10日前", 2022, PUDONG_ISSUED, "recurring", D(2022, 4, 10), (), {"recurrence": "monthly"}),
    ("每月5号", 2022, None, "recurring", D(2022, 1, 5), (), {"recurrence": "monthly"}),
    ("每月十五日前", 2022, D(2022, 12, 20), "recurring", D(2023, 1, 15), (), {"recurrence": "monthly"}),
    ("2周至少更新1次", 2022, PUDONG_ISSUED, "recurring", D(2022, 4, 4), (), {"recurrence": "biweekly"}),
    ("每两周", 2022, None, "recurring", D(2022, 1, 15), (), {"recurrence": "biweekly"}),
    ("每年8月", 2023, JIADING_ISSUED, "recurring", D(2023, 8, 31), (), {"recurrence": "yearly"}),
    ("每年8月", 2023, D(2023, 9, 1), "recurring", D(2024, 8, 31), (), {"recurrence": "yearly"}),
    ("每年", 2022, None, "recurring", D(2022, 12, 31), (), {"recurrence": "yearly"}),
    ("每年十月", 2022, None, "recurring", D(2022, 10, 31), (), {"recurrence": "yearly"}),
    (
        "决策出台后10个工作日内",
        2022,
        None,
        "event_relative",
        None,
        (),
        {"workdays": 10, "event": "决策出台后"},
    ),
    ("留言后5个工作日内", 2022, None, "event_relative", None, (), {"workdays": 5, "event": "留言后"}),
    ("申请后三个工作日内", 2022, None, "event_relative", None, (), {"workdays": 3, "event": "申请后"}),
    ("1月底前", 2022, PUDONG_ISSUED, "fixed", D(2022, 1, 31), ("before_issue_date",), {}),
    ("3月21日前", 2022, PUDONG_ISSUED, "fixed", D(2022, 3, 21), (), {}),  # 前 is inclusive
    # Not in the conventions table; chosen here (see the report on issue 3).
    ("下半年", 2022, None, "fixed", D(2022, 12, 31), (), {}),
    ("10月中旬前", 2022, None, "fixed", D(2022, 10, 20), (), {}),
    ("10月上旬", 2022, None, "fixed", D(2022, 10, 10), (), {}),
    ("10月下旬", 2022, None, "fixed", D(2022, 10, 31), (), {}),
    ("2022-11-15前", 2022, None, "fixed", D(2022, 11, 15), (), {}),
    ("2022.11.15", 2022, None, "fixed", D(2022, 11, 15), (), {}),
    ("每半年", 2022, D(2022, 7, 2), "recurring", D(2022, 12, 31), (), {"recurrence": "halfyearly"}),
    ("每周", 2022, PUDONG_ISSUED, "recurring", D(2022, 3, 28), (), {"recurrence": "weekly"}),
    ("次年底前", 2022, None, "fixed", D(2023, 12, 31), (), {}),
    ("2023年内", 2022, None, "ongoing", D(2023, 12, 31), (), {}),
    ("待定", 2022, None, "unresolved", None, ("unresolved",), {}),
    ("国庆节后", 2022, None, "unresolved", None, ("unresolved",), {}),
    ("年初", 2022, None, "unresolved", None, ("unresolved",), {}),
    ("2022年", 2022, None, "unresolved", None, ("unresolved",), {}),
    ("视情况", 2022, None, "unresolved", None, ("unresolved",), {}),
    ("2月30日前", 2022, None, "unresolved", None, ("unresolved",), {}),
    # A year far from the plan's is kept but flagged: more likely a typo than a plan for decades.
    ("2092年3月底前", 2022, None, "fixed", D(2092, 3, 31), ("implausible_year",), {}),
    ("2020年6月30日前", 2022, None, "fixed", D(2020, 6, 30), ("implausible_year",), {}),
    ("2023年6月底前", 2022, None, "fixed", D(2023, 6, 30), (), {}),
    # A start is not a deadline: the work goes on from then, through its year.
    ("3月1日起", 2022, None, "ongoing", D(2022, 12, 31), (), {}),
    ("2021年3月开始", 2021, None, "ongoing", D(2021, 12, 31), (), {}),
    ("2021年3月并长期坚持", 2021, None, "ongoing", D(2021, 12, 31), (), {}),
    # A window of months is due at the end of its last month, whatever dash joins them.
    ("2021年4－5月", 2021, None, "fixed", D(2021, 5, 31), (), {}),
    ("2021年3-7月", 2021, None, "fixed", D(2021, 7, 31), (), {}),
    ("1—4月", 2022, None, "fixed", D(2022, 4, 30), (), {}),
    ("4月1日-4月30日", 2021, None, "fixed", D(2021, 4, 30), (), {}),
    ("3月5日—4月7日", 2022, None, "fixed", D(2022, 4, 7), (), {}),
    # An observance day written month.day in quotes.
    ("开展“12.4”国家宪法日学法活动", 2022, None, "fixed", D(2022, 12, 4), (), {}),
    # Months after an event; a cell's 每日 and 定期 recur (定期 leaves the interval open).
    ("资金下达2月内", 2022, None, "event_relative", None, (), {"event": "资金下达后"}),
    ("验收后3个月内", 2022, None, "event_relative", None, (), {"event": "验收后"}),
    ("每日", 2022, D(2022, 3, 1), "recurring", D(2022, 3, 1), (), {"recurrence": "daily"}),
    ("定期", 2022, None, "recurring", D(2022, 12, 31), (), {"recurrence": "periodic"}),
    # Hours after an event.
    ("投诉发生后的24小时内", 2021, None, "event_relative", None, (), {"event": "投诉发生后"}),
    ("每3周", 2022, None, "unresolved", None, ("unresolved",), {}),
]


@pytest.mark.parametrize(("text", "year", "issued", "kind", "due", "flags", "extra"), CONVENTIONS)
def test_conventions(
    text: str, year: int, issued: date | None, kind: str, due: date | None, flags: tuple, extra: dict
) -> None:
    check(resolve(text, year=year, issued=issued), kind, due, flags, **extra)


# Every distinct phrase the five seeds contain, with the seed's year and issue date (000, 003 and 004 print no
# issue date; 001 was issued 2022-03-21; 002 on 2023-04-20). Hand-checked against the conventions.
SEED_CONTEXT = {"000": (2022, None), "001": (2022, PUDONG_ISSUED), "002": (2023, JIADING_ISSUED)}
SEED_CONTEXT |= {"003": (2022, None), "004": (2022, None)}
ER = "event_relative"
SEED_PHRASES: dict[str, list[tuple[str, str, date | None, tuple[str, ...], dict]]] = {
    "000": [
        ("全年", "ongoing", D(2022, 12, 31), (), {}),
        ("11月底前", "fixed", D(2022, 11, 30), (), {}),
        ("10月底前", "fixed", D(2022, 10, 31), (), {}),
        ("9月底前", "fixed", D(2022, 9, 30), (), {}),
        ("8月底前", "fixed", D(2022, 8, 31), (), {}),
        ("7月底前", "fixed", D(2022, 7, 31), (), {}),
        ("6月底前", "fixed", D(2022, 6, 30), (), {}),
        ("3月底前", "fixed", D(2022, 3, 31), (), {}),
        ("本文印发后30日", "unresolved", None, ("needs_issue_date",), {}),
        ("本工作要点印发后30日内", "unresolved", None, ("needs_issue_date",), {}),
        ("按季度", "recurring", D(2022, 3, 31), (), {"recurrence": "quarterly"}),
        ("每季度", "recurring", D(2022, 3, 31), (), {"recurrence": "quarterly"}),
        ("每月", "recurring", D(2022, 1, 31), (), {"recurrence": "monthly"}),
        ("2周至少更新1次", "recurring", D(2022, 1, 15), (), {"recurrence": "biweekly"}),
        ("年内", "ongoing", D(2022, 12, 31), (), {}),
        ("于年底前", "fixed", D(2022, 12, 31), (), {}),
        ("3个工作日以内", ER, None, (), {"workdays": 3, "event": None}),
        ("3个工作日内", ER, None, (), {"workdays": 3}),
        ("5个工作日内", ER, None, (), {"workdays": 5}),
        ("不超过5个工作日", ER, None, (), {"workdays": 5}),
        ("1个工作日内", ER, None, (), {"workdays": 1}),
        ("于3月31日前", "fixed", D(2022, 3, 31), (), {}),
        ("决策出台后10个工作日内", ER, None, (), {"workdays": 10, "event": "决策出台后"}),
        ("8月", "fixed", D(2022, 8, 31), (), {}),
        ("于次年一季度", "fixed", D(2023, 3, 31), (), {}),
    ],
    "001": [
        ("2022年3月18日", "fixed", D(2022, 3, 18), ("before_issue_date",), {}),
        ("2022年3月21日", "fixed", D(2022, 3, 21), (), {}),
        ("全年", "ongoing", D(2022, 12, 31), (), {}),
        ("年内", "ongoing", D(2022, 12, 31), (), {}),
        ("于年内", "ongoing", D(2022, 12, 31), (), {}),
        ("不超过5个工作日", ER, None, (), {"workdays": 5}),
        ("1个工作日内", ER, None, (), {"workdays": 1}),
        ("于3月31日前", "fixed", D(2022, 3, 31), (), {}),
        ("决策文件出台后的10个工作日内", ER, None, (), {"workdays": 10, "event": "决策文件出台后"}),
        ("于十月底前", "fixed", D(2022, 10, 31), (), {}),
        ("按季度", "recurring", D(2022, 3, 31), (), {"recurrence": "quarterly"}),
        ("3个工作日以内", ER, None, (), {"workdays": 3}),
        ("3个工作日内", ER, None, (), {"workdays": 3}),
        ("于次年一季度", "fixed", D(2023, 3, 31), (), {}),
        ("1月底前", "fixed", D(2022, 1, 31), ("before_issue_date",), {}),
        ("3月底前", "fixed", D(2022, 3, 31), (), {}),
        ("10月底前", "fixed", D(2022, 10, 31), (), {}),
        ("6月底前", "fixed", D(2022, 6, 30), (), {}),
        ("8月份", "fixed", D(2022, 8, 31), (), {}),
        ("8月", "fixed", D(2022, 8, 31), (), {}),
        ("11月底前", "fixed", D(2022, 11, 30), (), {}),
        ("于年底前", "fixed", D(2022, 12, 31), (), {}),
    ],
    "002": [
        ("2023年4月20日", "fixed", D(2023, 4, 20), (), {}),
        ("年内", "ongoing", D(2023, 12, 31), (), {}),
        ("于3月31日前", "fixed", D(2023, 3, 31), ("before_issue_date",), {}),
        ("决策出台后的10 个工作日内", ER, None, (), {"workdays": 10, "event": "决策出台后"}),
        ("每年8月", "recurring", D(2023, 8, 31), (), {"recurrence": "yearly"}),
        ("每年", "recurring", D(2023, 12, 31), (), {"recurrence": "yearly"}),
    ],
    "003": [
        ("年内", "ongoing", D(2022, 12, 31), (), {}),
        ("于年内", "ongoing", D(2022, 12, 31), (), {}),
        ("不超过5个工作日", ER, None, (), {"workdays": 5}),
        ("不得超过5个工作日", ER, None, (), {"workdays": 5}),
        ("1个工作日内", ER, None, (), {"workdays": 1}),
        ("决策文件出台后的10个工作日内", ER, None, (), {"workdays": 10, "event": "决策文件出台后"}),
        ("8月", "fixed", D(2022, 8, 31), (), {}),
        ("于年底前", "fixed", D(2022, 12, 31), (), {}),
    ],
    "004": [
        ("全年", "ongoing", D(2022, 12, 31), (), {}),
        ("12月底前", "fixed", D(2022, 12, 31), (), {}),
        ("三季度前", "fixed", D(2022, 9, 30), ("ambiguous",), {}),
        ("9月底前", "fixed", D(2022, 9, 30), (), {}),
        ("1个工作日", ER, None, (), {"workdays": 1}),
        ("2022年底前", "fixed", D(2022, 12, 31), (), {}),
        ("每年", "recurring", D(2022, 12, 31), (), {"recurrence": "yearly"}),
    ],
}
SEED_ROWS = [(seed, *row) for seed, rows in SEED_PHRASES.items() for row in rows]


@pytest.mark.parametrize(("seed", "text", "kind", "due", "flags", "extra"), SEED_ROWS)
def test_seed_phrases(seed: str, text: str, kind: str, due: date | None, flags: tuple, extra: dict) -> None:
    year, issued = SEED_CONTEXT[seed]
    check(resolve(text, year=year, issued=issued), kind, due, flags, **extra)


@pytest.mark.parametrize("seed", sorted(SEED_PHRASES))
def test_every_phrase_in_a_seed_is_labelled(seed: str) -> None:
    found = set(extract_phrases(seed_text(seed)))
    assert found == {row[0] for row in SEED_PHRASES[seed]}


def test_prose_seed_phrases_in_order() -> None:
    assert extract_phrases(seed_text("003")) == [
        "年内",
        "不超过5个工作日",
        "不得超过5个工作日",
        "1个工作日内",
        "决策文件出台后的10个工作日内",
        "8月",
        "于年内",
        "于年底前",
        "年内",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("决策单位编制目录，于3月31日前向社会公开。", ["于3月31日前"]),
        ("每年8月集中组织开展线下开放活动", ["每年8月"]),
        ("确保2周至少更新1次，提高信息原创比例", ["2周至少更新1次"]),
        ("在本工作要点印发后30日内制定本单位年度计划", ["本工作要点印发后30日内"]),
        ("国庆节前完成；春节前再报一次", ["国庆节前", "春节前"]),
        ("按季度公开进展，年度考核结果于次年一季度公开", ["按季度", "于次年一季度"]),
        ("于十月底前全面完成", ["于十月底前"]),
        ("在2022年底前以村为单位公开", ["2022年底前"]),
        ("答复期限不超过5个工作日，简单问题在1个工作日内完成答复", ["不超过5个工作日", "1个工作日内"]),
        # Words that only look like dates.
        ("12345市民服务热线", []),
        ("落实2023年中央经济工作会议精神", []),
        ("3个月内完成", []),
        ("政府开放月活动", []),
        ("2023年度重大行政决策事项目录", []),
        ("持续完善、常态化推进", []),  # everyday verbs in prose; only a deadline cell reads them
        ("3月1日起施行", []),
        ("定期开展检查，每日巡查", []),  # adverbs in prose; only a deadline cell reads them
        ("资金下达2月内完成拨付", ["资金下达2月内"]),
        # A span stays one phrase, so it is due at its end; starts and quoted observance days are found.
        ("自查阶段（4月1日-4月30日）。全区各行业协会", ["4月1日-4月30日"]),
        ("活动时间：2021年4－5月牵头处室：局办公室", ["2021年4－5月"]),
        ("活动时间：2021年3月开始牵头处室", ["2021年3月开始"]),
        ("开展“12.4”国家宪法日机关干部学法活动", ["“12.4”"]),
        # Not dates: a past year as a base, a telephone number, sizes.
        ("在2020年工作基础上，持续推进", []),
        ("投诉举报电话0591-24336542、23137769", []),
        ("推进44.1KW以上渔业船舶安全生产标准化建设，建筑高度49.74m", []),
        ("", []),
    ],
)
def test_extract_phrases(text: str, expected: list[str]) -> None:
    assert extract_phrases(text) == expected


def test_several_phrases_earliest_fixed_date_decides() -> None:
    text = "年内；于3月31日前；决策出台后的10 个工作日内；10月底前"
    d = resolve(text, year=2023, issued=JIADING_ISSUED)
    check(d, "fixed", D(2023, 3, 31), ("before_issue_date",))
    assert d.text == text
    assert d.span == (3, 10)
    assert [(o.text, o.kind, o.due) for o in d.others] == [
        ("年内", "ongoing", D(2023, 12, 31)),
        ("决策出台后的10 个工作日内", "event_relative", None),
        ("10月底前", "fixed", D(2023, 10, 31)),
    ]


@pytest.mark.parametrize(
    ("text", "kind", "due"),
    [
        ("每年8月；年内", "recurring", D(2023, 8, 31)),  # a rule beats "all year"
        ("年内；本文印发后30日", "unresolved", None),  # a missing issue date must not hide behind 年内
        ("5个工作日内；全年", "event_relative", None),
        ("全年 持续", "ongoing", D(2023, 12, 31)),
        # A span is due at its end; a list of dates still takes its earliest.
        ("3月至6月", "fixed", D(2023, 6, 30)),
        ("9月—12月底", "fixed", D(2023, 12, 31)),
        ("2023年3月-6月", "fixed", D(2023, 6, 30)),
        ("3月1日至3月31日", "fixed", D(2023, 3, 31)),
        ("10月至次年3月", "fixed", D(2024, 3, 31)),
        ("6月底、12月底", "fixed", D(2023, 6, 30)),
        ("3月底前；6月底前", "fixed", D(2023, 3, 31)),
    ],
)
def test_which_phrase_decides(text: str, kind: str, due: date | None) -> None:
    d = resolve(text, year=2023)
    assert (d.kind, d.due) == (kind, due)


def test_unknown_calendar_year_is_flagged_not_raised() -> None:
    check(resolve("国庆节前", year=2030), "unresolved", None, ("unresolved",))


@given(st.text(), st.integers(min_value=2004, max_value=2040), st.none() | st.dates())
def test_resolve_never_raises(text: str, year: int, issued: date | None) -> None:
    d = resolve(text, year=year, issued=issued)
    assert d.kind in KINDS
    assert set(d.flags) <= FLAGS
    assert d.text == text


@given(
    st.lists(st.sampled_from([r[0] for r in CONVENTIONS] + ["，", "；", "完成", "8", "月", "前"])).map(
        "".join
    )
)
def test_resolve_never_raises_on_phrase_soup(text: str) -> None:
    d = resolve(text, year=2022, issued=PUDONG_ISSUED)
    assert d.kind in KINDS
    assert (d.due is None) == (d.kind in ("event_relative", "unresolved"))


@pytest.mark.parametrize(
    ("text", "year", "issued", "reason_part", "suggested"),
    [
        ("全年", 2022, None, None, None),
        ("10月底前", 2022, PUDONG_ISSUED, None, None),
        ("5个工作日内", 2022, None, None, None),
        ("每季度", 2022, None, None, None),
        ("年中", 2022, None, "含义不明确", D(2022, 6, 30)),
        ("三季度前", 2022, None, "季度开始之前", D(2022, 9, 30)),
        ("1月底前", 2022, PUDONG_ISSUED, "早于文件印发日期", D(2023, 1, 31)),
        ("本文印发后30日", 2022, None, "印发日期", None),
        ("待定", 2022, None, "无法识别期限“待定”", None),
        ("国庆节前", 2030, None, "节假日安排未知", None),
        ("3月底前；年中", 2022, None, "“年中”含义不明确", None),  # a flagged phrase among the others
    ],
)
def test_review_reason_and_suggested_date(
    text: str, year: int, issued: date | None, reason_part: str | None, suggested: date | None
) -> None:
    d = resolve(text, year=year, issued=issued)
    reason = review_reason(d)
    if reason_part is None:
        assert reason is None
    else:
        assert reason is not None and reason_part in reason
    assert suggested_date(d) == suggested


TODAY = D(2022, 10, 12)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-10-31", D(2022, 10, 31)),
        ("2022年10月31日", D(2022, 10, 31)),
        ("2022/11/1", D(2022, 11, 1)),
        ("２０２２－１１－０１", D(2022, 11, 1)),
        ("10月31日", D(2022, 10, 31)),
        ("十月三十一日", D(2022, 10, 31)),
        ("10-31", D(2022, 10, 31)),
        ("3月1日", D(2023, 3, 1)),  # already past this year: next year's
        ("截止10月31日", D(2022, 10, 31)),
        ("10月31日前", D(2022, 10, 31)),
        ("下周五", D(2022, 10, 21)),
        ("下星期一", D(2022, 10, 17)),
        ("周五", D(2022, 10, 14)),
        ("周一", D(2022, 10, 17)),  # bare weekday already past: the coming one
        ("本周一", D(2022, 10, 10)),
        ("今天", TODAY),
        ("明天", D(2022, 10, 13)),
        ("后天", D(2022, 10, 14)),
        ("3天后", D(2022, 10, 15)),
        ("两周后", D(2022, 10, 26)),
        ("10月底", D(2022, 10, 31)),
        ("年底", D(2022, 12, 31)),
        ("不知道", None),
        ("", None),
        ("2月30日", None),
    ],
)
def test_parse_user_date(text: str, expected: date | None) -> None:
    assert parse_user_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("8", 8),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("三十一", 31),
        ("两", 2),
        ("一百零五", 105),
        ("二〇二三", 2023),  # a year is read digit by digit
        ("二○二二", 2022),
    ],
)
def test_cn_to_int(token: str, value: int) -> None:
    assert cn_to_int(token) == value


@pytest.mark.parametrize(
    ("recurrence", "due", "today", "expected"),
    [
        ("quarterly", date(2022, 3, 31), date(2022, 3, 31), date(2022, 3, 31)),  # not passed yet
        ("quarterly", date(2022, 3, 31), date(2022, 4, 1), date(2022, 6, 30)),
        ("quarterly", date(2022, 3, 31), date(2023, 1, 5), date(2023, 3, 31)),
        ("monthly", date(2022, 1, 31), date(2022, 3, 1), date(2022, 3, 31)),
        ("monthly", date(2022, 4, 10), date(2022, 4, 11), date(2022, 5, 10)),  # 每月10日前 keeps the 10th
        ("monthly", date(2022, 4, 10), date(2022, 12, 11), date(2023, 1, 10)),
        ("monthly", date(2022, 1, 30), date(2022, 2, 1), date(2022, 2, 28)),  # a shorter month: its last day
        ("halfyearly", date(2022, 6, 30), date(2022, 7, 1), date(2022, 12, 31)),
        ("weekly", date(2022, 3, 7), date(2022, 3, 15), date(2022, 3, 21)),
        ("biweekly", date(2022, 3, 7), date(2022, 3, 21), date(2022, 3, 21)),
        ("biweekly", date(2022, 3, 7), date(2022, 3, 22), date(2022, 4, 4)),
        ("yearly", date(2022, 8, 31), date(2022, 9, 1), date(2023, 8, 31)),
        ("yearly", date(2022, 2, 28), date(2023, 3, 1), date(2024, 2, 29)),  # month end stays month end
        ("yearly", date(2022, 3, 15), date(2022, 3, 16), date(2023, 3, 15)),
        ("fortnightly-ish", date(2022, 3, 7), date(2022, 5, 1), date(2022, 3, 7)),  # unknown rule: no guess
    ],
)
def test_next_occurrence(recurrence: str, due: date, today: date, expected: date) -> None:
    assert next_occurrence(recurrence, due, today) == expected
