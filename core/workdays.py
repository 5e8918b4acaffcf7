"""Workdays on the official Chinese calendar (调休 included), plus overrides for newly announced years."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

# Chinese names used in plans and in override files, mapped to chinese_calendar's holiday names.
HOLIDAY_NAMES: dict[str, str] = {
    "元旦": chinese_calendar.Holiday.new_years_day.value,
    "春节": chinese_calendar.Holiday.spring_festival.value,
    "清明节": chinese_calendar.Holiday.tomb_sweeping_day.value,
    "劳动节": chinese_calendar.Holiday.labour_day.value,
    "端午节": chinese_calendar.Holiday.dragon_boat_festival.value,
    "中秋节": chinese_calendar.Holiday.mid_autumn_festival.value,
    "国庆节": chinese_calendar.Holiday.national_day.value,
}
_ALIASES = {"国庆": "国庆节", "清明": "清明节", "五一": "劳动节", "端午": "端午节", "中秋": "中秋节"}
_ENGLISH_TO_CHINESE = {english: chinese for chinese, english in HOLIDAY_NAMES.items()}

OVERRIDE_EXAMPLE = """\
[{year}]
makeup_workdays = [{year}-01-19]

[[{year}.holidays]]
name = "春节"
start = {year}-01-22
end = {year}-01-28
"""


class UnknownYearError(ValueError):
    """A year for which neither chinese_calendar nor the override file has the holiday arrangement."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"没有 {year} 年的法定节假日安排，无法计算工作日。"
            f"请在节假日覆盖文件（config.toml 中指定的 TOML 文件）中加入 [{year}] 一节，"
            f"写明当年的放假日期（holidays）和调休上班日（makeup_workdays），例如（日期仅为格式示意）：\n"
            f"{OVERRIDE_EXAMPLE.format(year=year)}"
            "或升级 chinese-calendar 软件包。"
        )


def canonical_holiday(name: str) -> str:
    """The Chinese holiday name used internally ("国庆" → "国庆节"); unknown names are returned as given."""
    name = name.strip()
    return _ALIASES.get(name, name)


@dataclass(frozen=True, slots=True)
class _YearDays:
    """One year of the calendar read once: per day of the year, whether people work and the holiday's name."""

    first: int  # ordinal of 1 January
    workday: tuple[bool, ...]
    names: tuple[str | None, ...]


@dataclass(slots=True)
class _Index:
    """Per-year tables behind the lookups, built on first use; one for chinese_calendar, one per override."""

    days: dict[int, _YearDays] = field(default_factory=dict)
    # holiday → (first day named after it, first day of the whole break) for each break starting that year
    breaks: dict[int, dict[str, tuple[tuple[date, date], ...]]] = field(default_factory=dict)


@dataclass(slots=True)
class WorkCalendar:
    """Holiday arrangements added by hand for years chinese_calendar does not know (or corrects).

    Read-only once built (from_toml): its per-year index is built from it on first use and kept.
    """

    holidays: dict[date, str] = field(default_factory=dict)
    workdays: set[date] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    _index: _Index = field(default_factory=_Index, init=False, repr=False, compare=False)

    @classmethod
    def from_toml(cls, text: str) -> WorkCalendar:
        """Read an override file: per year, `holidays` (name, start, end) and `makeup_workdays`."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"节假日覆盖文件不是合法的 TOML：{exc}") from exc
        calendar = cls()
        for key, section in data.items():
            if not (isinstance(key, str) and key.isdigit() and len(key) == 4 and isinstance(section, dict)):
                raise ValueError(f"节假日覆盖文件中的“{key}”不是年份一节，应写成 [2031] 这样的四位年份")
            year = int(key)
            calendar.years.add(year)
            for entry in section.get("holidays", []):
                name = canonical_holiday(str(entry.get("name", "")))
                start = _as_date(entry.get("start", entry.get("date")), year)
                end = _as_date(entry.get("end", start), year)
                if end < start:
                    raise ValueError(f"节假日覆盖文件中 {name} 的结束日期 {end} 早于开始日期 {start}")
                for offset in range((end - start).days + 1):
                    calendar.holidays[start + timedelta(days=offset)] = name
            workdays = (
                section["makeup_workdays"] if "makeup_workdays" in section else section.get("workdays", [])
            )
            for value in workdays:
                calendar.workdays.add(_as_date(value, year))
        return calendar

    def covers(self, day: date) -> bool:
        """Whether this override decides the given day's year."""
        return day.year in self.years


def _as_date(value: object, year: int) -> date:
    """A TOML date or an ISO string, checked to lie in the section's year."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"节假日覆盖文件 [{year}] 中的日期“{value}”格式不对，应为 YYYY-MM-DD") from exc
    if not isinstance(value, date):
        raise ValueError(f"节假日覆盖文件 [{year}] 中缺少日期或日期格式不对：{value!r}")
    # A holiday may spill into a neighbouring year (元旦 often starts on 12-30); further is a typo.
    if abs(value.year - year) > 1:
        raise ValueError(f"节假日覆盖文件 [{year}] 中的日期 {value} 不在 {year} 年前后")
    return value


def holiday_name(day: date, calendar: WorkCalendar | None = None) -> str | None:
    """The Chinese name of the statutory holiday the day is off for, or None."""
    table = _year_days(day.year, calendar)
    return table.names[day.toordinal() - table.first]


def is_workday(day: date, calendar: WorkCalendar | None = None) -> bool:
    """Whether people work that day: weekdays except holidays, plus make-up workdays (调休)."""
    table = _year_days(day.year, calendar)
    return table.workday[day.toordinal() - table.first]


def add_workdays(day: date, n: int, calendar: WorkCalendar | None = None) -> date:
    """The n-th workday after day (n > 0), before it (n < 0), or day itself (n == 0)."""
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    current = day
    while remaining:
        current += step
        if is_workday(current, calendar):
            remaining -= 1
    return current


def holiday_start(
    name: str, after: date, calendar: WorkCalendar | None = None, *, horizon_days: int = 400
) -> date | None:
    """First day of the next holiday period called name starting after the given day.

    The period is the whole announced break: days off joined to the named holiday (weekends, or a
    neighbouring holiday as with 中秋 and 国庆 in 2023) count as part of it. A break counts when its first
    day named after the holiday lies within horizon_days after the given day; a year the calendar does not
    know raises UnknownYearError when the search reaches it before finding the holiday.
    """
    wanted = canonical_holiday(name)
    if wanted not in HOLIDAY_NAMES or horizon_days < 1:
        return None
    first = after + timedelta(days=1)
    last = after + timedelta(days=horizon_days)
    for year in range(first.year, last.year + 1):
        for named, start in _year_breaks(year, calendar).get(wanted, ()):
            if named > last:
                return None
            if named >= first:
                return start
    return None


# --- the per-year index ----------------------------------------------------------------------------------


def _index_of(calendar: WorkCalendar | None) -> _Index:
    """The index that belongs to the calendar (chinese_calendar's own without an override)."""
    return _BUILTIN_INDEX if calendar is None else calendar._index


_BUILTIN_INDEX = _Index()


def _year_days(year: int, calendar: WorkCalendar | None) -> _YearDays:
    """The year's day table, built once; UnknownYearError for a year neither source knows."""
    index = _index_of(calendar)
    table = index.days.get(year)
    if table is None:
        first = date(year, 1, 1)
        days = [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]
        if calendar is not None and calendar.covers(first):
            workday = tuple(_read_is_workday(d, calendar) for d in days)
            names = tuple(_read_holiday_name(d, calendar) for d in days)
        else:
            workday, names = _builtin_year(days)
        table = _YearDays(first=first.toordinal(), workday=workday, names=names)
        index.days[year] = table
    return table


def _builtin_year(days: list[date]) -> tuple[tuple[bool, ...], tuple[str | None, ...]]:
    """A year of chinese_calendar's tables, read as get_holiday_detail reads them (it re-checks the year
    against its whole table on every call, which is what made a day-by-day search slow)."""
    _read_holiday_name(days[0], None)  # UnknownYearError for a year the package does not know
    off_days, make_up = chinese_calendar.holidays, chinese_calendar.workdays
    workday: list[bool] = []
    names: list[str | None] = []
    for day in days:
        if day in make_up:  # a make-up workday (调休), named after its holiday
            workday.append(True)
            names.append(None)
        elif day in off_days:
            workday.append(False)
            names.append(_ENGLISH_TO_CHINESE.get(off_days[day], off_days[day]))
        else:
            workday.append(day.weekday() < 5)
            names.append(None)
    return tuple(workday), tuple(names)


def _year_breaks(year: int, calendar: WorkCalendar | None) -> dict[str, tuple[tuple[date, date], ...]]:
    """For each holiday, the breaks that start in the year: its first day named after the holiday, and the
    first day of the whole break (days off running straight into it), in date order; built once."""
    index = _index_of(calendar)
    breaks = index.breaks.get(year)
    if breaks is None:
        table = _year_days(year, calendar)
        try:
            previous = holiday_name(date(year - 1, 12, 31), calendar)
        except UnknownYearError:  # the day before a search may lie in an unknown year; the search may not
            previous = None
        found: dict[str, list[tuple[date, date]]] = {}
        for offset, current in enumerate(table.names):
            if current is not None and current != previous:
                named = date.fromordinal(table.first + offset)
                found.setdefault(current, []).append((named, _start_of_break(named, calendar)))
            previous = current
        breaks = {name: tuple(days) for name, days in found.items()}
        index.breaks[year] = breaks
    return breaks


def _start_of_break(day: date, calendar: WorkCalendar | None) -> date:
    """Walk back over the days off that run straight into day."""
    while True:
        before = day - timedelta(days=1)
        try:
            if is_workday(before, calendar):
                return day
        except UnknownYearError:
            return day
        day = before


def _read_holiday_name(day: date, calendar: WorkCalendar | None) -> str | None:
    """holiday_name() read from the sources, one day at a time (the index is built from this)."""
    if calendar is not None and calendar.covers(day):
        return calendar.holidays.get(day)
    try:
        is_off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError as exc:
        raise UnknownYearError(day.year) from exc
    # chinese_calendar also names make-up workdays after their holiday; only days off count here.
    if not is_off or name is None:
        return None
    return _ENGLISH_TO_CHINESE.get(name, name)


def _read_is_workday(day: date, calendar: WorkCalendar) -> bool:
    """is_workday() of a day the override calendar covers (years it does not cover use _builtin_year)."""
    if day in calendar.workdays:
        return True
    if day in calendar.holidays:
        return False
    return day.weekday() < 5


def known_years(calendar: WorkCalendar | None = None) -> Iterable[int]:
    """Years whose arrangement is known, from chinese_calendar and the override."""
    built_in = {d.year for d in chinese_calendar.holidays}
    return sorted(built_in | (calendar.years if calendar else set()))
