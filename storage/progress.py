"""Completions: a concrete unit has done its part of a task (also when the task names a group it belongs to)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, delete, select

from core.deadlines import next_occurrence
from core.oversight import current_step
from storage.digest import Routes, route_of, route_reaches
from storage.models import ONCE, AssignmentRow, CompletionRow, SubscriptionRow, TaskRow, UnitRow, step_dates
from storage.upsert import insert_ignore


def mark_done(
    s: Session,
    *,
    task_id: int,
    unit_id: int,
    user_id: int | None,
    user_name: str | None,
    note: str | None,
    now: datetime,
    occurrence: date | None = None,
) -> bool:
    """Record that unit_id did task_id; False (and nothing changes) when it was already recorded.

    A recurring duty is marked for one occurrence: the given one, else the one current on now's day, so
    marking this quarter's report done leaves next quarter's open (and a second press is harmless).
    """
    if occurrence is None:
        occurrence = occurrence_on(s, task_id, now.date(), unit_id=unit_id)
    row = {
        "task_id": task_id,
        "unit_id": unit_id,
        "done_at": now,
        "done_by": user_id,
        "done_by_name": user_name,
        "note": note,
        "occurrence": occurrence,
    }
    return insert_ignore(s, CompletionRow, [row], ("task_id", "unit_id", "occurrence")) == 1


def occurrence_on(s: Session, task_id: int, day: date, *, unit_id: int | None = None) -> date:
    """The occurrence a completion of task_id on day is for: ONCE for a one-off task; for a task with dated
    steps, the first step unit_id has not done (its date); for a recurring duty, the one current on day."""
    task = s.get(TaskRow, task_id)
    if task is None:
        return ONCE
    if task.milestones:
        done: set[date] = set()
        if unit_id is not None:
            done = set(
                s.exec(
                    select(col(CompletionRow.occurrence)).where(
                        CompletionRow.task_id == task_id, CompletionRow.unit_id == unit_id
                    )
                )
            )
        steps = step_dates(task.milestones)
        at = current_step(steps, done)
        return steps[-1] if at is None else steps[at]
    if task.kind != "recurring" or not task.recurrence or task.due is None:
        return ONCE
    return next_occurrence(task.recurrence, task.due, day)


def undo(s: Session, *, task_id: int, unit_id: int) -> bool:
    """Remove unit_id's latest completion of task_id (a recurring duty's latest mark); False when none."""
    latest = completion(s, task_id=task_id, unit_id=unit_id)
    if latest is None:
        return False
    result = s.exec(delete(CompletionRow).where(col(CompletionRow.id) == latest.id))
    return bool(result.rowcount)


def completion(s: Session, *, task_id: int, unit_id: int) -> CompletionRow | None:
    """unit_id's latest completion of task_id, if recorded."""
    return s.exec(
        select(CompletionRow)
        .where(CompletionRow.task_id == task_id, CompletionRow.unit_id == unit_id)
        .order_by(col(CompletionRow.id).desc())
    ).first()


def _task_reaches(s: Session, task_id: int, units: list[UnitRow], group_routes: Routes) -> list[UnitRow]:
    """Those of units the task is assigned to, directly or through a group route (one SELECT)."""
    if not units:
        return []
    assigned = s.exec(
        select(UnitRow.id, UnitRow.name, UnitRow.is_group)
        .join(AssignmentRow, col(AssignmentRow.unit_id) == col(UnitRow.id))
        .where(AssignmentRow.task_id == task_id)
    ).all()
    direct = {uid for uid, _, _ in assigned}
    routes = [
        r for _, name, is_group in assigned if (r := route_of(name, is_group, group_routes)) is not None
    ]
    return [
        u
        for u in units
        if u.id in direct
        or (not u.is_group and any(route_reaches(r, kind=u.kind, name=u.name) for r in routes))
    ]


def units_of_chat_for_task(
    s: Session, *, chat_id: int, task_id: int, group_routes: Routes | None = None
) -> list[UnitRow]:
    """The chat's actively followed units that task_id reaches, in subscription order (two SELECTs)."""
    units = list(
        s.exec(
            select(UnitRow)
            .join(SubscriptionRow, col(SubscriptionRow.unit_id) == col(UnitRow.id))
            .where(SubscriptionRow.chat_id == chat_id, SubscriptionRow.status == "active")
            .order_by(col(SubscriptionRow.id))
        )
    )
    return _task_reaches(s, task_id, units, group_routes or {})


def may_mark(
    s: Session, *, chat_id: int, task_id: int, unit_id: int, group_routes: Routes | None = None
) -> bool:
    """Whether the chat follows unit_id (approved, active) and task_id reaches that unit.

    Without group_routes, stored group names use the built-in directory's rules; pass the configured routes
    so the check agrees with the digests.
    """
    unit = s.exec(
        select(UnitRow)
        .join(SubscriptionRow, col(SubscriptionRow.unit_id) == col(UnitRow.id))
        .where(
            SubscriptionRow.chat_id == chat_id,
            SubscriptionRow.unit_id == unit_id,
            SubscriptionRow.status == "active",
        )
    ).first()
    return unit is not None and bool(_task_reaches(s, task_id, [unit], group_routes or {}))


def is_done(s: Session, *, task_id: int, unit_id: int, day: date) -> bool:
    """Whether unit_id has done task_id as it stands on day (this occurrence, or this dated step)."""
    # For dated steps that is the first step not done, or the last one when all are: done exactly when all are.
    occurrence = occurrence_on(s, task_id, day, unit_id=unit_id)
    return (
        s.exec(
            select(CompletionRow.id).where(
                CompletionRow.task_id == task_id,
                CompletionRow.unit_id == unit_id,
                CompletionRow.occurrence == occurrence,
            )
        ).first()
        is not None
    )
