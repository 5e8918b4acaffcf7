"""The per-year holiday index answers exactly as reading the calendar day by day did, and is built only once."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from core import workdays
from core.workdays import (
    HOLIDAY_NAMES,
    UnknownYearError,
    WorkCalendar,
    holiday_name,
    holiday_start,
    is_workday,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OVERRIDE_TEXT = (FIXTURES / "holidays_override.toml").read_text(encoding="utf-8")
FIRST, LAST = date(2004, 1, 1), date(2026, 12, 31)  # the years chinese_calendar 1.11 knows
ALL_DAYS = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
ENGLISH = {english: chinese for chinese, english in HOLIDAY_NAMES.items()}


def raw_name(day: date) -> str | None:
    """The holiday a day is off for, straight from chinese_calendar."""
    is_off, name = chinese_calendar.get_holiday_detail(day)
    return ENGLISH.get(name, name) if is_off and name else None


@functools.cache
def raw_tables() -> tuple[dict[date, str | None], dict[date, bool]]:
    """Every known day's holiday name and workday flag, read from chinese_calendar once per test run."""
    return {d: raw_name(d) for d in ALL_DAYS}, {d: chinese_calendar.is_workday(d) for d in ALL_DAYS}


def reference_start(wanted: str, after: date, horizon: int = 400) -> date | None:
    """The day-by-day search the index replaced: first day named wanted whose day before is not, then back
    over the days off joined to it; a day of an unknown year in the way raises."""
    raw_names, raw_workday = raw_tables()

    def name(day: date) -> str | None:
        if day not in raw_names:
            raise UnknownYearError(day.year)
        return raw_names[day]

    previous = raw_names.get(after)
    day = after + timedelta(days=1)
    for _ in range(horizon):
        current = name(day)
        if current == wanted and previous != wanted:
            while day - timedelta(days=1) in raw_workday and not raw_workday[day - timedelta(days=1)]:
                day -= timedelta(days=1)
            return day
        previous = current
        day += timedelta(days=1)
    return None


@pytest.mark.slow  # 23 years read day by day from chinese_calendar: about 1 s
def test_every_day_reads_as_chinese_calendar_says() -> None:
    raw_names, raw_workday = raw_tables()
    assert [holiday_name(d) for d in ALL_DAYS] == [raw_names[d] for d in ALL_DAYS]
    assert [is_workday(d) for d in ALL_DAYS] == [raw_workday[d] for d in ALL_DAYS]


def _search_days() -> list[date]:
    """Every 9th day, and every day within 4 days of a holiday's first or last day (where the edges are)."""
    raw_names, _ = raw_tables()
    days = set(ALL_DAYS[::9])
    for day, name in raw_names.items():
        if name is not None and (
            raw_names.get(day - timedelta(days=1)) != name or raw_names.get(day + timedelta(days=1)) != name
        ):
            days.update(day + timedelta(days=k) for k in range(-4, 5))
    return sorted(d for d in days if FIRST <= d <= LAST)


@pytest.mark.slow  # about 0.4 s per holiday
@pytest.mark.parametrize("wanted", list(HOLIDAY_NAMES))
def test_holiday_start_matches_the_day_by_day_search(wanted: str) -> None:
    days = _search_days()
    assert len(days) > 900
    for after in days:
        try:
            expected: date | type[UnknownYearError] | None = reference_start(wanted, after)
        except UnknownYearError:
            expected = UnknownYearError
        try:
            got: date | type[UnknownYearError] | None = holiday_start(wanted, after)
        except UnknownYearError:
            got = UnknownYearError
        assert got == expected, (wanted, after)


@pytest.mark.parametrize(
    ("name", "after", "horizon", "expected"),
    [
        ("国庆节", date(2023, 9, 28), 400, date(2023, 9, 29)),  # 中秋 on 09-29 leads into 国庆
        ("国庆节", date(2023, 9, 29), 400, date(2023, 9, 29)),  # inside 中秋: the joined break still counts
        ("国庆节", date(2023, 9, 30), 400, date(2024, 10, 1)),  # already in 国庆: the next one
        ("国庆节", date(2022, 1, 1), 273, date(2022, 10, 1)),  # 10-01 is the 273rd day after: just in reach
        ("国庆节", date(2022, 1, 1), 272, None),
        ("国庆节", date(2022, 1, 1), 0, None),
    ],
)
def test_holiday_start_edges(name: str, after: date, horizon: int, expected: date | None) -> None:
    assert holiday_start(name, after, horizon_days=horizon) == expected


def test_unknown_year_in_reach_raises_only_when_the_holiday_comes_later() -> None:
    assert holiday_start("春节", date(2025, 12, 31)) == date(2026, 2, 15)
    with pytest.raises(UnknownYearError) as info:
        holiday_start("春节", date(2026, 3, 1))
    assert info.value.year == 2027
    assert holiday_start("春节", date(2026, 3, 1), horizon_days=300) is None  # 2026-12-26: not in 2027


def test_override_has_its_own_index() -> None:
    override = WorkCalendar.from_toml(OVERRIDE_TEXT)
    assert holiday_start("国庆节", date(2031, 1, 1), override) == date(2031, 10, 1)
    assert holiday_start("春节", date(2030, 12, 31), override) == date(2031, 1, 22)
    assert is_workday(date(2031, 10, 11), override)  # a make-up Saturday
    with pytest.raises(UnknownYearError):  # the override does not leak into chinese_calendar's index
        holiday_start("国庆节", date(2031, 1, 1))
    with pytest.raises(UnknownYearError):
        is_workday(date(2031, 10, 11))
    # A second override with a different arrangement for the same year answers from its own file.
    moved = WorkCalendar.from_toml(
        OVERRIDE_TEXT.replace("2031-10-01\nend = 2031-10-07", "2031-10-02\nend = 2031-10-08")
    )
    assert holiday_start("国庆节", date(2031, 1, 1), moved) == date(2031, 10, 2)
    assert holiday_start("国庆节", date(2031, 1, 1), override) == date(2031, 10, 1)


def test_index_is_built_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    holiday_start("国庆节", date(2022, 1, 1))  # builds 2022 (and 2021 for the day before 01-01)
    holiday_start("春节", date(2022, 6, 1))  # and 2023
    calls = 0
    real = chinese_calendar.get_holiday_detail

    def counting(day: date) -> tuple[bool, str | None]:
        nonlocal calls
        calls += 1
        return real(day)

    monkeypatch.setattr(workdays.chinese_calendar, "get_holiday_detail", counting)
    for offset in range(300):
        after = date(2022, 1, 1) + timedelta(days=offset)
        for name in ("国庆节", "春节", "元旦", "劳动节"):
            holiday_start(name, after)
        is_workday(after)
        holiday_name(after)
    assert calls == 0
