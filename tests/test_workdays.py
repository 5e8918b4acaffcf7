"""Workdays on the official Chinese calendar and the override file for years it does not know."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.workdays import (
    UnknownYearError,
    WorkCalendar,
    add_workdays,
    holiday_name,
    holiday_start,
    is_workday,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OVERRIDE = WorkCalendar.from_toml((FIXTURES / "holidays_override.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2022, 10, 8), True),  # Saturday, make-up workday after 国庆
        (date(2022, 10, 9), True),  # Sunday, make-up workday
        (date(2022, 10, 3), False),  # Monday in the 国庆 break
        (date(2022, 10, 10), True),
        (date(2022, 10, 15), False),  # ordinary Saturday
        (date(2023, 1, 28), True),  # Saturday, make-up workday after 春节
        (date(2023, 1, 23), False),  # Monday in the 春节 break
        (date(2023, 9, 29), False),  # 中秋 joined to 国庆
    ],
)
def test_is_workday(day: date, expected: bool) -> None:
    assert is_workday(day) is expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2022, 9, 29), 5, date(2022, 10, 11)),  # 9-30, 10-08, 10-09, 10-10, 10-11
        (date(2022, 9, 29), 1, date(2022, 9, 30)),
        (date(2022, 9, 30), 1, date(2022, 10, 8)),
        (date(2022, 10, 11), -5, date(2022, 9, 29)),
        (date(2022, 3, 18), 0, date(2022, 3, 18)),
        (date(2022, 3, 18), 10, date(2022, 4, 1)),
        (date(2023, 4, 20), 10, date(2023, 5, 6)),  # 劳动节 2023-04-29..05-03, 05-06 is a make-up Saturday
    ],
)
def test_add_workdays(start: date, n: int, expected: date) -> None:
    assert add_workdays(start, n) == expected


def test_unknown_year_fails_loudly_with_a_chinese_message() -> None:
    with pytest.raises(UnknownYearError) as info:
        add_workdays(date(2031, 3, 2), 3)
    message = str(info.value)
    assert info.value.year == 2031
    assert "2031 年" in message
    assert "覆盖文件" in message
    assert "[2031]" in message
    assert isinstance(info.value, ValueError)


def test_unknown_year_is_workday_raises() -> None:
    with pytest.raises(UnknownYearError):
        is_workday(date(2099, 1, 5))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2031, 1, 1), False),  # 元旦 on a Wednesday
        (date(2031, 1, 19), True),  # make-up Sunday
        (date(2031, 1, 24), False),  # in 春节
        (date(2031, 1, 29), True),
        (date(2031, 3, 1), False),  # plain Saturday
        (date(2031, 3, 3), True),
        (date(2031, 10, 11), True),
    ],
)
def test_override_decides_its_year(day: date, expected: bool) -> None:
    assert is_workday(day, OVERRIDE) is expected


def test_add_workdays_over_override_holidays() -> None:
    # 2031-09-30 Tue → next workdays: 10-08 Wed, 10-09, 10-10, 10-11 (make-up Saturday), 10-13 Mon.
    assert add_workdays(date(2031, 9, 30), 5, OVERRIDE) == date(2031, 10, 13)


def test_override_does_not_change_known_years() -> None:
    assert add_workdays(date(2022, 9, 29), 5, OVERRIDE) == date(2022, 10, 11)


@pytest.mark.parametrize(
    ("name", "after", "calendar", "expected"),
    [
        ("国庆节", date(2022, 1, 1), None, date(2022, 10, 1)),
        ("国庆", date(2023, 1, 1), None, date(2023, 9, 29)),  # 中秋 and 国庆 joined in 2023
        ("春节", date(2022, 3, 18), None, date(2023, 1, 21)),
        ("春节", date(2022, 1, 1), None, date(2022, 1, 31)),
        ("元旦", date(2023, 6, 1), None, date(2023, 12, 30)),
        ("五一", date(2022, 1, 1), None, date(2022, 4, 30)),
        ("端午", date(2022, 1, 1), None, date(2022, 6, 3)),
        ("国庆节", date(2031, 1, 1), OVERRIDE, date(2031, 10, 1)),
        ("春节", date(2030, 12, 31), OVERRIDE, date(2031, 1, 22)),
        ("植树节", date(2022, 1, 1), None, None),
    ],
)
def test_holiday_start(name: str, after: date, calendar: WorkCalendar | None, expected: date | None) -> None:
    assert holiday_start(name, after, calendar) == expected


def test_holiday_start_in_unknown_year_raises() -> None:
    with pytest.raises(UnknownYearError):
        holiday_start("国庆节", date(2030, 1, 1))


def test_holiday_name_ignores_make_up_workdays() -> None:
    # chinese_calendar names 2022-10-08 after 国庆 although people work that day.
    assert holiday_name(date(2022, 10, 8)) is None
    assert holiday_name(date(2022, 10, 3)) == "国庆节"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[2031\n", "TOML"),
        ("[abc]\nmakeup_workdays = []\n", "年份"),
        ('[2031]\n[[2031.holidays]]\nname = "春节"\nstart = 2031-01-28\nend = 2031-01-22\n', "早于"),
        ('[2031]\nmakeup_workdays = ["2031-13-01"]\n', "格式"),
        ("[2031]\nmakeup_workdays = [2035-01-01]\n", "2031 年前后"),
    ],
)
def test_bad_override_files_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar.from_toml(text)


def test_override_accepts_iso_strings_and_single_dates() -> None:
    calendar = WorkCalendar.from_toml(
        '[2032]\nmakeup_workdays = ["2032-02-07"]\n[[2032.holidays]]\nname = "国庆"\ndate = "2032-10-01"\n'
    )
    assert calendar.holidays == {date(2032, 10, 1): "国庆节"}
    assert calendar.workdays == {date(2032, 2, 7)}
    assert calendar.years == {2032}
