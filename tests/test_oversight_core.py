"""core.oversight: colours over a run of days, occurrences across a year, escalation recipients, check-ins."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from core.digest import DigestItem, item_line, select_digest
from core.oversight import (
    Thresholds,
    checkin_period,
    colour_of,
    current_occurrence,
    escalation_targets,
    group_by_unit,
    occurrences,
    overdue_days,
)

DUE = date(2026, 3, 31)  # a Tuesday
QUARTER_ENDS = [3, 6, 9, 12]


def test_colour_over_a_run_of_days_without_progress() -> None:
    got = {d: colour_of(DUE, d) for d in (DUE - timedelta(days=n) for n in range(-3, 10))}
    expected = {
        date(2026, 3, 22): None,  # 9 days ahead: outside the 7-day window
        date(2026, 3, 23): None,
        date(2026, 3, 24): "blue",  # 7 days ahead
        date(2026, 3, 27): "blue",  # 4 days ahead
        date(2026, 3, 28): "yellow",  # 3 days ahead, no note
        date(2026, 3, 31): "yellow",  # due today
        date(2026, 4, 1): "red",  # overdue
        date(2026, 4, 3): "red",
    }
    for day, colour in expected.items():
        assert got[day] == colour, day


@pytest.mark.parametrize(
    ("today", "note_on", "thresholds", "expected"),
    [
        (date(2026, 3, 29), date(2026, 3, 29), Thresholds(), "blue"),  # fresh note turns yellow blue
        (date(2026, 3, 29), date(2026, 3, 22), Thresholds(), "blue"),  # 7 days old: still fresh
        (date(2026, 3, 29), date(2026, 3, 21), Thresholds(), "yellow"),  # 8 days old: stale
        (date(2026, 3, 29), date(2026, 3, 27), Thresholds(fresh_days=1), "yellow"),
        (date(2026, 3, 29), date(2026, 3, 30), Thresholds(), "yellow"),  # a note from the future is ignored
        (date(2026, 4, 2), date(2026, 4, 2), Thresholds(), "red"),  # progress does not excuse overdue
        (date(2026, 3, 26), None, Thresholds(yellow_days=5), "yellow"),
        (date(2026, 3, 20), None, Thresholds(window_days=14), "blue"),
    ],
)
def test_colour_with_progress_and_thresholds(
    today: date, note_on: date | None, thresholds: Thresholds, expected: str
) -> None:
    assert colour_of(DUE, today, last_progress=note_on, thresholds=thresholds) == expected


@pytest.mark.parametrize(
    ("recurrence", "first", "year", "expected"),
    [
        (
            "quarterly",
            date(2026, 3, 31),
            2026,
            [date(2026, m, d) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))],
        ),
        ("quarterly", date(2026, 6, 30), 2026, [date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]),
        (
            "quarterly",
            date(2025, 12, 31),
            2026,
            [date(2026, m, d) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))],
        ),
        ("halfyearly", date(2026, 6, 30), 2026, [date(2026, 6, 30), date(2026, 12, 31)]),
        ("yearly", date(2026, 8, 31), 2026, [date(2026, 8, 31)]),
        ("yearly", date(2026, 8, 31), 2027, [date(2027, 8, 31)]),
        ("quarterly", date(2026, 3, 31), 2025, []),
        ("unknown-rule", date(2026, 5, 1), 2026, [date(2026, 5, 1)]),
    ],
)
def test_occurrences_in_a_year(recurrence: str, first: date, year: int, expected: list[date]) -> None:
    assert occurrences(recurrence, first, year) == expected


def test_monthly_and_biweekly_occurrences_across_a_year() -> None:
    monthly = occurrences("monthly", date(2026, 1, 31), 2026)
    assert len(monthly) == 12 and monthly[1] == date(2026, 2, 28) and monthly[-1] == date(2026, 12, 31)
    biweekly = occurrences("biweekly", date(2026, 1, 14), 2026)
    assert biweekly[0] == date(2026, 1, 14) and len(biweekly) == 26
    assert all((b - a).days == 14 for a, b in itertools.pairwise(biweekly))
    assert biweekly[-1] == date(2026, 12, 30)
    weekly = occurrences("weekly", date(2026, 1, 7), 2026)
    assert len(weekly) == 52 and {d.weekday() for d in weekly} == {2}


@pytest.mark.parametrize(
    ("today", "done", "expected"),
    [
        (date(2026, 3, 20), (), date(2026, 3, 31)),
        (date(2026, 3, 20), (date(2026, 3, 31),), date(2026, 6, 30)),  # done now: next quarter shows
        (date(2026, 3, 20), (date(2026, 3, 31), date(2026, 6, 30)), date(2026, 9, 30)),
        (date(2026, 4, 1), (date(2026, 3, 31),), date(2026, 6, 30)),
        (date(2026, 4, 1), (), date(2026, 6, 30)),  # a missed quarter rolls on, it does not stay overdue
        (date(2026, 7, 15), (date(2026, 3, 31),), date(2026, 9, 30)),  # an old mark does not skip this one
    ],
)
def test_current_occurrence(today: date, done: tuple[date, ...], expected: date) -> None:
    assert current_occurrence("quarterly", date(2026, 3, 31), today, done) == expected


def item(task: int, unit: int, due: date, **kw: object) -> DigestItem:
    fields: dict = {
        "task_id": task,
        "unit_id": unit,
        "unit": f"单位{unit}",
        "role": "lead",
        "seq": str(task),
        "content": f"事项{task}",
        "due": due,
        "plan_title": "测试要点",
        "kind": "fixed",
        "recurrence": None,
    }
    fields.update(kw)
    return DigestItem(**fields)


def test_digest_shows_the_next_occurrence_once_the_current_is_done() -> None:
    quarterly = item(1, 7, date(2026, 3, 31), kind="recurring", recurrence="quarterly")
    today = date(2026, 3, 27)
    assert [i.due for i in select_digest([quarterly], today=today).upcoming] == [date(2026, 3, 31)]
    done = item(1, 7, date(2026, 3, 31), kind="recurring", recurrence="quarterly", done_occurrences=(DUE,))
    d = select_digest([done], today=today)
    assert d.is_empty and d.later_count == 1


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, "#3 🟡黄 事项3 — 单位7（牵头）· 截止 3月31日 周二 · 还有2天"),
        (
            {"progress": "已完成初稿，待审核", "progress_on": date(2026, 3, 28)},
            "#3 🔵蓝 事项3 — 单位7（牵头）· 截止 3月31日 周二 · 还有2天 · 进度（3月28日）：已完成初稿，待审核",
        ),
    ],
)
def test_item_line_shows_colour_and_progress(kw: dict, expected: str) -> None:
    assert item_line(item(3, 7, DUE, **kw), today=date(2026, 3, 29)) == expected
    assert "🟡" not in item_line(item(3, 7, DUE, **kw), today=date(2026, 3, 29), thresholds=None)


def test_escalation_goes_to_lead_units_of_other_units_red_items() -> None:
    red = [
        item(1, 10, date(2026, 3, 20)),  # 10 leads task 1 itself: not told of its own item
        item(1, 11, date(2026, 3, 20)),  # support unit 11 late on task 1: lead 10 hears
        item(2, 12, date(2026, 3, 18)),  # task 2 led by 10 and 13
        item(3, 14, date(2026, 3, 19)),  # task 3 has no lead
    ]
    leads = {1: {10}, 2: {13, 10}}
    got = escalation_targets(red, leads)
    assert {lead: [(i.task_id, i.unit_id) for i in items] for lead, items in got.items()} == {
        10: [(2, 12), (1, 11)],
        13: [(2, 12)],
    }


def test_group_by_unit_orders_units_by_count_then_name() -> None:
    items = [item(1, 2, date(2026, 3, 2)), item(2, 1, date(2026, 3, 5)), item(3, 1, date(2026, 3, 1))]
    grouped = group_by_unit(items)
    assert list(grouped) == ["单位1", "单位2"]
    assert [i.task_id for i in grouped["单位1"]] == [3, 2]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 24), None),
        (date(2026, 3, 25), date(2026, 3, 31)),  # last 7 days of March
        (date(2026, 3, 31), date(2026, 3, 31)),
        (date(2026, 4, 28), None),  # April is no check-in month
        (date(2026, 6, 24), date(2026, 6, 30)),
        (date(2026, 6, 23), None),
        (date(2026, 12, 25), date(2026, 12, 31)),
        (date(2028, 2, 29), None),
    ],
)
def test_checkin_period(today: date, expected: date | None) -> None:
    assert checkin_period(today, months=QUARTER_ENDS, days=7) == expected


def test_checkin_period_other_months_and_overdue_days() -> None:
    assert checkin_period(date(2028, 2, 23), months=[2], days=7) == date(2028, 2, 29)
    assert checkin_period(date(2028, 2, 22), months=[2], days=7) is None
    assert (
        overdue_days(DUE, date(2026, 4, 3)),
        overdue_days(DUE, DUE),
        overdue_days(DUE, date(2026, 3, 1)),
    ) == (
        3,
        0,
        0,
    )
