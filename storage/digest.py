"""The digest query: every open, dated item that reaches the units chats follow, in three SELECTs.

Group names in plans (各单位, 区政府各部门, 各街镇 …) reach concrete units through routes: a mapping from a
group name to a set of entries, each entry a unit kind ('department', 'town', 'street', 'other'), '*' for
every kind, or a concrete unit's name (a group rule that lists a unit by name). The caller passes the
routes (config [routing] over the directory's defaults); a stored group name missing from them falls back to
the built-in directory's rule for that name, so no group task silently reaches nobody.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import chain
from typing import Any
from typing import cast as typed

from sqlalchemy import Date, Integer, String, cast, null, union_all
from sqlalchemy import select as sa_select  # typed for selects of many columns
from sqlmodel import Session, col, select

from core.digest import DigestItem, headline
from core.oversight import current_step
from core.units import UnitDirectory
from storage.models import (
    ONCE,
    AssignmentRow,
    CompletionRow,
    PlanRow,
    ProgressNoteRow,
    SubscriptionRow,
    TaskRow,
    UnitRow,
    step_dates,
)

Routes = Mapping[str, frozenset[str]]
UnitInfo = tuple[str, str, bool]  # name, kind, is_group
ACTIVE = "active"


@lru_cache(maxsize=1)
def _builtin_directory() -> UnitDirectory:
    return UnitDirectory.default()


def directory_route(directory: UnitDirectory, name: str) -> frozenset[str] | None:
    """A group name's route from a unit directory (its kinds and listed units); None when not a group."""
    kinds = directory.group_kinds(name)
    if kinds is None:
        return None
    return kinds | directory.group_members(name)


def group_routes_for(
    s: Session, directory: UnitDirectory, overrides: Mapping[str, Iterable[str]] | None = None
) -> dict[str, frozenset[str]]:
    """Routes for every stored group name: overrides (config) first, else the directory's rule."""
    out: dict[str, frozenset[str]] = {}
    for name in s.exec(select(UnitRow.name).where(col(UnitRow.is_group).is_(True))):
        route = directory_route(directory, name)
        if route is not None:
            out[name] = route
    for name, entries in (overrides or {}).items():
        out[name] = frozenset(entries)
    return out


def route_of(name: str, is_group: bool, routes: Routes) -> frozenset[str] | None:
    """The entries a stored unit name reaches as a group, or None when it is a concrete unit."""
    if name in routes:
        return routes[name]
    if not is_group:
        return None
    return directory_route(_builtin_directory(), name) or frozenset()


def route_reaches(route: frozenset[str], *, kind: str, name: str) -> bool:
    """Whether a group route reaches a concrete unit of this kind and name."""
    return "*" in route or kind in route or name in route


def _reached_units(group_route: frozenset[str], units: Mapping[int, UnitInfo]) -> list[int]:
    """The concrete units (id → name, kind, is_group) a group route reaches."""
    return [
        uid
        for uid, (name, kind, is_group) in units.items()
        if not is_group and route_reaches(group_route, kind=kind, name=name)
    ]


def items_by_unit(
    s: Session, *, group_routes: Routes, unit_ids: Collection[int]
) -> dict[int, list[DigestItem]]:
    """Open dated items per unit id, soonest first, whether anybody follows the units or not (--unit)."""
    query = select(UnitRow.id, UnitRow.name, UnitRow.kind, UnitRow.is_group).where(
        col(UnitRow.id).in_(list(unit_ids))
    )
    units = {uid: (name, kind, is_group) for uid, name, kind, is_group in s.exec(query) if uid is not None}
    return _open_items_of(s, units, group_routes)[0]


def _open_items_of(
    s: Session, units: Mapping[int, UnitInfo], group_routes: Routes, listed_until: date | None = None
) -> tuple[dict[int, list[DigestItem]], dict[int, int]]:
    """Open dated items for each of units, in two SELECTs: assignments, then the units' completions and notes.

    A one-off task a unit has completed is left out. A recurring duty stays in with the occurrences the unit
    has done (core.digest shows the first one not done from the current occurrence on).
    With listed_until, an item without a recurrence that is due after that day is counted for its unit
    instead of listed (the second dict: unit → such items); without it, every item is listed.
    """
    out: dict[int, list[DigestItem]] = {uid: [] for uid in units}
    later: dict[int, int] = dict.fromkeys(units, 0)
    if not units:
        return out, later
    wanted = list(units)
    # Assignments to the units themselves or to any group; ordered so each unit's list comes out sorted.
    assignments = (
        sa_select(
            col(AssignmentRow.task_id),
            col(AssignmentRow.unit_id),
            col(AssignmentRow.role),
            col(UnitRow.name),
            col(UnitRow.is_group),
            col(TaskRow.seq),
            col(TaskRow.content),
            col(TaskRow.category),
            col(TaskRow.due),
            col(TaskRow.kind),
            col(TaskRow.recurrence),
            col(PlanRow.title),
            # As text: most tasks have no dated steps ("[]"), and a task's steps are decoded once, not per row.
            cast(TaskRow.milestones, String),
        )
        .join(UnitRow, col(UnitRow.id) == col(AssignmentRow.unit_id))
        .join(TaskRow, col(TaskRow.id) == col(AssignmentRow.task_id))
        .join(PlanRow, col(PlanRow.id) == col(TaskRow.plan_id))
        .where(col(TaskRow.due).is_not(None))
        .where(col(TaskRow.status) == "active", col(PlanRow.status) == "active")
        .where(
            col(AssignmentRow.unit_id).in_(wanted)
            | col(UnitRow.is_group).is_(True)
            | col(UnitRow.name).in_(list(group_routes))
        )
        .order_by(col(TaskRow.due), col(AssignmentRow.task_id), col(AssignmentRow.position))
    )
    done, occurrences, notes = _marks_of(s, wanted)
    names = {uid: info[0] for uid, info in units.items()}
    route_cache: dict[int, list[int]] = {}
    # Rows come grouped by task, so duplicates (a unit named directly and through a group, or through two
    # groups) are settled per task in a small dict instead of one entry per item kept for the whole run.
    # A group reaching hundreds of units makes an item for each: that loop is kept lean (marks per task),
    # and a task due after listed_until only adds the units it reaches to a set.
    current_task: int | None = None
    current: dict[int, tuple[bool, DigestItem]] = {}
    counted: set[int] = set()  # units the current task reaches that count it as due later
    task_done: Collection[int] = ()
    task_occurrences: Mapping[int, set[date]] = {}
    task_notes: Mapping[int, tuple[int, str, date]] = {}
    steps: list[dict[str, str]] | None = None
    step_days: tuple[date, ...] = ()
    task_later = False

    def flush() -> None:
        for uid, (_, item) in current.items():
            out[uid].append(item)
        current.clear()
        if counted:
            counted.difference_update(task_done)
            for uid in counted:
                later[uid] += 1
            counted.clear()

    # Core execution, in batches: the ORM would build every row before the first one is read.
    # Rows of 13 columns have no precise static type across SQLAlchemy/mypy versions: say it once here.
    rows = typed(
        Iterable[tuple[Any, ...]],
        chain.from_iterable(s.connection().execute(assignments).partitions(5_000)),
    )
    for (
        task_id,
        a_unit,
        role,
        a_name,
        a_is_group,
        seq,
        task_content,
        category,
        due,
        kind,
        recurrence,
        title,
        raw_steps,
    ) in rows:
        if due is None:  # the WHERE leaves none out; this tells the type checker
            continue
        if task_id != current_task:
            flush()
            current_task = task_id
            task_done = done.get(task_id, ())
            task_occurrences = occurrences.get(task_id, {})
            task_notes = notes.get(task_id, {})
            content = headline(category, task_content)
            steps = json.loads(raw_steps) if raw_steps and raw_steps != "[]" else None
            step_days = step_dates(steps) if steps else ()
            task_later = listed_until is not None and not recurrence and not steps and due > listed_until
        reached = route_cache.get(a_unit)
        if reached is None:
            route = route_of(a_name, a_is_group, group_routes)
            reached = [] if route is None else _reached_units(route, units)
            if a_unit in units:
                reached = [a_unit, *reached]  # the unit itself (a chat may even follow a group name)
            route_cache[a_unit] = reached
        if task_later:
            counted.update(reached)
            continue
        for uid in reached:
            direct = uid == a_unit
            # Named directly beats reached through a group; otherwise the first assignment wins.
            if uid in current and (current[uid][0] or not direct):
                continue
            if uid in task_done:
                continue
            occurred = task_occurrences.get(uid)
            note = task_notes.get(uid)
            if not (occurred or note or steps):
                item = DigestItem(task_id, uid, names[uid], role, seq, content, due, title, kind, recurrence)
                current[uid] = (direct, item)
                continue
            done_days = tuple(sorted(occurred)) if occurred else ()
            item_due, step = due, None
            if steps:
                # Dated steps: the first one this unit has not done is the one reminded; none left, done.
                at = current_step(step_days, done_days)
                if at is None:
                    continue
                item_due = step_days[at]
                if listed_until is not None and not recurrence and item_due > listed_until:
                    counted.add(uid)
                    continue
                step = f"第{at + 1}/{len(steps)}步：{steps[at]['what']}"
            item = DigestItem(
                task_id,
                uid,
                names[uid],
                role,
                seq,
                content,
                item_due,
                title,
                kind,
                recurrence,
                done_days,
                note[1] if note else None,
                note[2] if note else None,
                step,
            )
            current[uid] = (direct, item)
    flush()
    return out, later


def _marks_of(
    s: Session, unit_ids: list[int]
) -> tuple[dict[int, set[int]], dict[int, dict[int, set[date]]], dict[int, dict[int, tuple[int, str, date]]]]:
    """Completions and progress notes of the units in one SELECT (UNION ALL), each by task, then by unit.

    Returns the units that have done each one-off task, the occurrences each unit has done of recurring
    ones, and the latest note per task and unit as (id, text, day).
    """
    completions = sa_select(
        col(CompletionRow.task_id),
        col(CompletionRow.unit_id),
        col(CompletionRow.occurrence),
        cast(null(), String).label("text"),
        cast(null(), Date).label("day"),
        cast(null(), Integer).label("note_id"),
    ).where(col(CompletionRow.unit_id).in_(unit_ids))
    notes_query = sa_select(
        col(ProgressNoteRow.task_id),
        col(ProgressNoteRow.unit_id),
        cast(null(), Date),
        col(ProgressNoteRow.text),
        col(ProgressNoteRow.day),
        col(ProgressNoteRow.id),
    ).where(col(ProgressNoteRow.unit_id).in_(unit_ids))
    done: dict[int, set[int]] = defaultdict(set)
    occurrences: dict[int, dict[int, set[date]]] = defaultdict(lambda: defaultdict(set))
    notes: dict[int, dict[int, tuple[int, str, date]]] = defaultdict(dict)
    note_rows = typed(
        Iterable[tuple[int, int, date | None, str | None, date | None, int | None]],
        s.execute(union_all(completions, notes_query)),
    )
    for task_id, unit_id, occurrence, text, day, note_id in note_rows:
        if note_id is not None:
            task_notes = notes[task_id]
            if unit_id not in task_notes or task_notes[unit_id][0] < note_id:
                task_notes[unit_id] = (note_id, text or "", _day(day))
        elif _day(occurrence) == ONCE:
            done[task_id].add(unit_id)
        else:
            occurrences[task_id][unit_id].add(_day(occurrence))
    return dict(done), {t: dict(per_unit) for t, per_unit in occurrences.items()}, dict(notes)


def _day(value: object) -> date:
    """A date from a UNION column (SQLite may hand back text where the column type is lost)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True, slots=True)
class FollowedUnits:
    """What digests are composed from: the units each chat follows, and each such unit's open items."""

    chat_units: dict[int, list[int]]  # chat → unit ids, in subscription order
    unit_names: dict[int, str]
    items: dict[int, list[DigestItem]]  # unit → its open dated items, soonest first
    later: dict[int, int]  # unit → items without a recurrence due after listed_until: counted, not listed


def followed_units(
    s: Session,
    *,
    chat_ids: Collection[int] | None = None,
    group_routes: Routes,
    listed_until: date | None = None,
) -> FollowedUnits:
    """The units each chat with an active subscription follows, and each such unit's open dated items.

    Three SELECTs in all: subscriptions with their units, assignments, completions. Many chats follow the
    same units, so each unit's items are listed once (core.digest.compose_digests composes from this).
    With listed_until (the last day a digest lists), an item without a recurrence due after it is only
    counted: most items are, and a digest shows them as a number.
    """
    subs = (
        sa_select(
            col(SubscriptionRow.chat_id),
            col(UnitRow.id),
            col(UnitRow.name),
            col(UnitRow.kind),
            col(UnitRow.is_group),
        )
        .join(UnitRow, col(UnitRow.id) == col(SubscriptionRow.unit_id))
        .where(col(SubscriptionRow.status) == ACTIVE)
        .order_by(col(SubscriptionRow.chat_id), col(SubscriptionRow.id))
    )
    if chat_ids is not None:
        subs = subs.where(col(SubscriptionRow.chat_id).in_(list(chat_ids)))
    chat_units: dict[int, list[int]] = defaultdict(list)
    units: dict[int, UnitInfo] = {}
    for chat_id, uid, name, kind, is_group in typed(
        Iterable[tuple[int, int, str, str, bool]], s.execute(subs)
    ):
        chat_units[chat_id].append(uid)
        units[uid] = (name, kind, is_group)
    items, later = _open_items_of(s, units, group_routes, listed_until)
    return FollowedUnits(dict(chat_units), {uid: info[0] for uid, info in units.items()}, items, later)


def open_items(
    s: Session, *, chat_ids: Collection[int] | None = None, group_routes: Routes
) -> dict[int, list[DigestItem]]:
    """Every chat with an active subscription → the open dated items reaching its units, soonest first.

    Three SELECTs in all (see followed_units).
    """
    followed = followed_units(s, chat_ids=chat_ids, group_routes=group_routes)
    chat_units, per_unit = followed.chat_units, followed.items
    out: dict[int, list[DigestItem]] = {}
    for chat_id, unit_list in chat_units.items():
        if len(unit_list) == 1:
            out[chat_id] = list(per_unit[unit_list[0]])
        else:
            merged = [i for uid in unit_list for i in per_unit[uid]]
            merged.sort(key=lambda i: (i.due, i.task_id, i.unit_id))
            out[chat_id] = merged
    return out
