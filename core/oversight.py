"""Oversight rules (三色督办): an item's colour, a recurring duty's occurrences, escalation and check-in dates.

Pure: dates come in, ``today`` is passed in, nothing here reads the clock or the database.

Colours of an open item on a day:
- 红 (red): overdue.
- 黄 (yellow): due within ``yellow_days`` (today included) and no fresh progress note — a note written within
  ``fresh_days`` before today counts as fresh, so a yellow item with fresh progress turns blue.
- 蓝 (blue): due within the reminder window (``window_days``), or yellow-range with fresh progress.
- None: due later than the window; not yet in reminders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol, TypeVar

from core.deadlines import month_end, next_occurrence

Colour = Literal["red", "yellow", "blue"]
COLOUR_CN: dict[str, str] = {"red": "红", "yellow": "黄", "blue": "蓝"}
COLOUR_EMOJI: dict[str, str] = {"red": "🔴", "yellow": "🟡", "blue": "🔵"}
# A recurring rule whose next date never moves (an unknown rule) would loop; no real year needs more.
MAX_OCCURRENCES = 400


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When an item turns blue, yellow and red (config [oversight])."""

    window_days: int = 7
    yellow_days: int = 3
    fresh_days: int = 7


DEFAULT_THRESHOLDS = Thresholds()


def is_fresh(last_progress: date | None, today: date, fresh_days: int) -> bool:
    """Whether a progress note written on last_progress still counts on today."""
    return last_progress is not None and 0 <= (today - last_progress).days <= fresh_days


def colour_of(
    due: date, today: date, *, last_progress: date | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Colour | None:
    """The item's colour on today (None: due after the reminder window)."""
    left = (due - today).days
    if left < 0:
        return "red"
    if left <= thresholds.yellow_days:
        return "blue" if is_fresh(last_progress, today, thresholds.fresh_days) else "yellow"
    if left <= thresholds.window_days:
        return "blue"
    return None


def colour_text(colour: str | None) -> str:
    """🔴红 / 🟡黄 / 🔵蓝, empty for no colour."""
    return f"{COLOUR_EMOJI[colour]}{COLOUR_CN[colour]}" if colour else ""


# ------------------------------------------------------------------------------------------ occurrences


def following(recurrence: str, occurrence: date) -> date | None:
    """The occurrence after this one; None when the rule does not move (unknown rule)."""
    nxt = next_occurrence(recurrence, occurrence, occurrence + timedelta(days=1))
    return nxt if nxt > occurrence else None


def occurrences(recurrence: str, first_due: date, year: int) -> list[date]:
    """Every occurrence of a recurring duty in a calendar year, none before its first due date."""
    start = max(first_due, date(year, 1, 1))
    current: date | None = next_occurrence(recurrence, first_due, start)
    out: list[date] = []
    while current is not None and current.year == year and len(out) < MAX_OCCURRENCES:
        if current >= first_due:
            out.append(current)
        current = following(recurrence, current)
    return out


def current_occurrence(recurrence: str, first_due: date, today: date, done: Collection[date] = ()) -> date:
    """The occurrence reminders show on today: the current one, or the next ones while those are done."""
    current = next_occurrence(recurrence, first_due, today)
    for _ in range(MAX_OCCURRENCES):
        if current not in done:
            return current
        nxt = following(recurrence, current)
        if nxt is None:
            return current
        current = nxt
    return current


def current_step(steps: Sequence[date], done: Collection[date] = ()) -> int | None:
    """Which of a task's dated steps reminders show: the first one not done (its index), None when all are."""
    return next((i for i, day in enumerate(steps) if day not in done), None)


# ------------------------------------------------------------------------------------------- escalation


class OpenItem(Protocol):
    """What escalation needs of an item (core.digest.DigestItem fits)."""

    @property
    def task_id(self) -> int: ...
    @property
    def unit_id(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def due(self) -> date: ...


T = TypeVar("T", bound=OpenItem)


def escalation_targets(red_items: Iterable[T], leads: Mapping[int, Collection[int]]) -> dict[int, list[T]]:
    """Lead unit id → the red items of its tasks that belong to other units (the lead hears of their delay).

    leads maps a task id to its lead (牵头) unit ids. A unit is not told twice of its own item.
    """
    out: dict[int, list[T]] = defaultdict(list)
    seen: set[tuple[int, int, int]] = set()
    for item in red_items:
        for lead in sorted(leads.get(item.task_id, ())):
            key = (lead, item.task_id, item.unit_id)
            if lead != item.unit_id and key not in seen:
                seen.add(key)
                out[lead].append(item)
    return {lead: sorted(items, key=lambda i: (i.due, i.task_id, i.unit_id)) for lead, items in out.items()}


def group_by_unit(items: Iterable[T]) -> dict[str, list[T]]:
    """Unit name → its items, units in name order, each list soonest first (the admins' overdue summary)."""
    out: dict[str, list[T]] = defaultdict(list)
    for item in items:
        out[item.unit].append(item)
    return {
        unit: sorted(out[unit], key=lambda i: (i.due, i.task_id))
        for unit in sorted(out, key=lambda u: (-len(out[u]), u))
    }


# ------------------------------------------------------------------------------------------- check-ins


def checkin_period(today: date, *, months: Collection[int], days: int) -> date | None:
    """The period end (last day of a check-in month) when today falls in its last `days` days, else None.

    The default [oversight] asks in the last week (7 days) of March, June, September and December.
    """
    if today.month not in months or days <= 0:
        return None
    end = month_end(today.year, today.month)
    return end if (end - today).days < days else None


def overdue_days(due: date, today: date) -> int:
    """Days past due (0 when not overdue)."""
    return max((today - due).days, 0)
