"""Plans as wholes: store a new or amended version (diffed against the stored one), deadlines a person sets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlmodel import Session, col, delete, func, select

from core.deadlines import review_reason, suggested_date
from core.models import Deadline, Plan, Task, UnitRef, as_flag, as_kind, as_role
from core.pipeline import PreparedTask, status_of
from core.plandiff import PlanDiff, diff_plans
from storage import crud
from storage.crud import milestones_json
from storage.models import AssignmentRow, CompletionRow, ExtensionRow, PlanRow, TaskRow, UnitRow

StoreKind = Literal["created", "unchanged", "replaced"]
Canonical = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Comparison:
    """How a read plan relates to what is stored: new, identical to a stored plan, or a version of one."""

    kind: StoreKind
    plan_id: int | None = None
    imported_at: datetime | None = None
    diff: PlanDiff | None = None
    old_ids: tuple[int, ...] = ()
    old_tasks: tuple[Task, ...] = ()
    new_tasks: tuple[Task, ...] = ()


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What storing did; for a replacement, the diff applied and how completions fared."""

    kind: StoreKind
    plan_id: int
    task_count: int
    unit_names: tuple[str, ...] = ()
    diff: PlanDiff | None = None
    old_ids: tuple[int, ...] = ()
    old_tasks: tuple[Task, ...] = ()
    new_tasks: tuple[Task, ...] = ()
    kept_done: int = 0  # tasks whose completions were kept
    reopened: tuple[int, ...] = ()  # task ids whose completions were cleared because their wording changed
    removed_ids: tuple[int, ...] = field(default=())


def canonical_task(task: Task, canonical: Canonical) -> Task:
    """The task with its units under their canonical names, each unit once (its first role), as stored."""
    units: dict[str, UnitRef] = {}
    for ref in task.units:
        units.setdefault(canonical(ref.name), UnitRef(canonical(ref.name), ref.role))
    return Task(task.seq, task.category, task.content, list(units.values()), task.deadline_text)


def same_plan(s: Session, *, title: str, year: int | None) -> PlanRow | None:
    """The newest stored plan with this title and year: the one an amended version replaces."""
    query = select(PlanRow).where(PlanRow.title == title)
    query = query.where(col(PlanRow.year).is_(None) if year is None else PlanRow.year == year)
    return s.exec(query.order_by(col(PlanRow.id).desc())).first()


def stored_tasks(s: Session, plan_id: int) -> list[tuple[TaskRow, Task]]:
    """A plan's task rows in order, each with the core Task it was stored from (two SELECTs)."""
    rows = list(s.exec(select(TaskRow).where(TaskRow.plan_id == plan_id).order_by(col(TaskRow.position))))
    units: dict[int, list[UnitRef]] = {}
    assigned = s.exec(
        select(AssignmentRow.task_id, AssignmentRow.role, UnitRow.name)
        .join(UnitRow, col(UnitRow.id) == col(AssignmentRow.unit_id))
        .join(TaskRow, col(TaskRow.id) == col(AssignmentRow.task_id))
        .where(TaskRow.plan_id == plan_id)
        .order_by(col(AssignmentRow.task_id), col(AssignmentRow.position))
    )
    for task_id, role, name in assigned:
        units.setdefault(task_id, []).append(UnitRef(name, as_role(role)))
    return [(r, Task(r.seq, r.category, r.content, units.get(r.id or 0, []), r.deadline_text)) for r in rows]


def compare(s: Session, plan: Plan, digest: str, *, canonical: Canonical) -> Comparison:
    """Whether storing plan would create, change nothing (same text), or replace a plan of its title and year."""
    known = crud.find_plan_by_hash(s, digest)
    if known is not None:
        return Comparison("unchanged", known.id, known.imported_at)
    existing = same_plan(s, title=plan.title, year=plan.year)
    if existing is None or existing.id is None:
        return Comparison("created")
    old = stored_tasks(s, existing.id)
    old_tasks = tuple(t for _, t in old)
    new_tasks = tuple(canonical_task(t, canonical) for t in plan.tasks)
    return Comparison(
        "replaced",
        existing.id,
        existing.imported_at,
        diff_plans(old_tasks, new_tasks),
        tuple(r.id or 0 for r, _ in old),
        old_tasks,
        new_tasks,
    )


def _assign(s: Session, task_id: int, task: Task, units: dict[str, UnitRow]) -> None:
    for position, ref in enumerate(task.units, start=1):
        unit_id = units[ref.name].id
        assert unit_id is not None
        s.add(AssignmentRow(task_id=task_id, unit_id=unit_id, position=position, role=ref.role))


def _set_deadline(row: TaskRow, item: PreparedTask) -> None:
    d = item.deadline
    row.due, row.kind, row.recurrence, row.event, row.workdays = (
        d.due,
        d.kind,
        d.recurrence,
        d.event,
        d.workdays,
    )
    row.flags, row.rules = list(d.flags), list(item.rules)
    row.milestones = milestones_json(item)
    row.due_set_by = row.due_set_by_name = row.due_set_at = None


def store_plan(
    s: Session,
    plan: Plan,
    prepared: Sequence[PreparedTask],
    *,
    source_name: str,
    digest: str,
    now: datetime,
    canonical: Canonical,
    kind_of: Callable[[str], str],
    is_group: Callable[[str], bool],
) -> StoreResult:
    """Store plan in the caller's transaction: new, nothing (same text known), or as the new version of the
    stored plan with its title and year.

    A new version keeps the stored task rows of paired tasks (their ids, which people know as #12, stay), so
    completions, notes and sent messages stay attached. Completions are cleared only where the task's wording
    changed (the unit should look at it again); a new deadline or new units keep them. A due date a person set
    (/setdue) or an approved extension moved stays while the deadline text is unchanged. Removed tasks are deleted with everything hanging on them.
    """
    found = compare(s, plan, digest, canonical=canonical)
    if found.kind == "unchanged":
        assert found.plan_id is not None
        count = len(s.exec(select(TaskRow.id).where(TaskRow.plan_id == found.plan_id)).all())
        return StoreResult("unchanged", found.plan_id, count)
    if found.kind == "created":
        result = crud.import_plan(
            s,
            plan,
            prepared,
            source_name=source_name,
            digest=digest,
            now=now,
            canonical=canonical,
            kind_of=kind_of,
            is_group=is_group,
        )
        return StoreResult("created", result.plan_id, result.task_count, result.unit_names)
    assert found.plan_id is not None and found.diff is not None
    diff, new_tasks = found.diff, found.new_tasks
    plan_row = s.get(PlanRow, found.plan_id)
    assert plan_row is not None
    plan_row.issuer, plan_row.issued, plan_row.layout = plan.issuer, plan.issued, plan.layout
    plan_row.source_name, plan_row.content_hash, plan_row.imported_at = source_name, digest, now
    rows = {r.id: r for r, _ in stored_tasks(s, found.plan_id)}
    removed_ids = tuple(found.old_ids[o] for o in diff.removed)
    if removed_ids:
        s.execute(delete(TaskRow).where(col(TaskRow.id).in_(removed_ids)))
    names = [u.name for t in new_tasks for u in t.units]
    units = crud.get_or_create_units(s, names, kind_of=kind_of, is_group=is_group)
    done_ids = set(
        s.exec(select(CompletionRow.task_id).where(col(CompletionRow.task_id).in_(found.old_ids))).all()
    )
    # An approved extension (storage.oversight) moved the due date: like a date a person set, it stays.
    extended = set(
        s.exec(
            select(ExtensionRow.task_id).where(
                col(ExtensionRow.task_id).in_(found.old_ids), ExtensionRow.status == "approved"
            )
        ).all()
    )
    reopened: list[int] = []
    kept_done = 0
    for pair in diff.pairs:
        row = rows[found.old_ids[pair.old]]
        assert row.id is not None
        task, item = new_tasks[pair.new], prepared[pair.new]
        row.position, row.seq, row.category = pair.new + 1, task.seq, task.category
        row.content, row.deadline_text = task.content, task.deadline_text
        row.confidence, row.doubts = item.task.confidence, list(item.task.doubts)
        if ("content" in pair.fields or "units" in pair.fields) and row.status != "dropped":
            # Read anew: a person's earlier confirmation was for other words or other units.
            row.status, row.status_by, row.status_by_name, row.status_at = (
                status_of(item.task),
                None,
                None,
                None,
            )
        if "deadline" in pair.fields or (row.due_set_by is None and row.id not in extended):
            _set_deadline(row, item)
        else:
            row.rules = list(item.rules)
        if "units" in pair.fields:
            s.execute(delete(AssignmentRow).where(col(AssignmentRow.task_id) == row.id))
            _assign(s, row.id, task, units)
        if row.id in done_ids:
            if pair.content_changed:
                s.execute(delete(CompletionRow).where(col(CompletionRow.task_id) == row.id))
                reopened.append(row.id)
            else:
                kept_done += 1
        s.add(row)
    for n in diff.added:
        item = prepared[n]
        row = TaskRow(
            plan_id=found.plan_id,
            position=n + 1,
            seq=new_tasks[n].seq,
            category=new_tasks[n].category,
            content=new_tasks[n].content,
            deadline_text=new_tasks[n].deadline_text,
            confidence=item.task.confidence,
            doubts=list(item.task.doubts),
            status=status_of(item.task),
        )
        _set_deadline(row, item)
        s.add(row)
        s.flush()
        assert row.id is not None
        _assign(s, row.id, new_tasks[n], units)
    s.add(plan_row)
    s.flush()
    return StoreResult(
        "replaced",
        found.plan_id,
        len(new_tasks),
        tuple(dict.fromkeys(names)),
        diff,
        found.old_ids,
        found.old_tasks,
        new_tasks,
        kept_done,
        tuple(reopened),
        removed_ids,
    )


# ------------------------------------------------------------------------------------------------ review


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A stored task whose deadline needs a person: why, and a date to offer when there is one."""

    task_id: int
    plan_title: str
    seq: str
    content: str
    deadline_text: str
    due: date | None
    reason: str
    suggested: date | None
    # 待确认: the task itself (not only its deadline) waits for a person to confirm, edit or drop it.
    pending: bool = False
    units: tuple[str, ...] = ()


def deadline_of(row: TaskRow) -> Deadline:
    """The stored deadline of a task as the core's Deadline (without the phrase span and the others)."""
    return Deadline(
        text=row.deadline_text,
        kind=as_kind(row.kind),
        due=row.due,
        recurrence=row.recurrence,
        event=row.event,
        workdays=row.workdays,
        flags=tuple(as_flag(f) for f in row.flags),
    )


def review_items(s: Session, *, plan_id: int | None = None) -> list[ReviewItem]:
    """Tasks with review flags, in plan order, each with its reason and suggested date."""
    query = select(TaskRow, PlanRow.title).join(PlanRow, col(PlanRow.id) == col(TaskRow.plan_id))
    if plan_id is not None:
        query = query.where(TaskRow.plan_id == plan_id)
    query = query.where(TaskRow.status != "dropped")
    rows = list(s.exec(query.order_by(col(TaskRow.plan_id), col(TaskRow.position))))
    pending_ids = [r.id for r, _ in rows if r.status == "pending"]
    names: dict[int, list[str]] = {}
    if pending_ids:
        assigned = s.exec(
            select(AssignmentRow.task_id, UnitRow.name)
            .join(UnitRow, col(UnitRow.id) == col(AssignmentRow.unit_id))
            .where(col(AssignmentRow.task_id).in_(pending_ids))
            .order_by(col(AssignmentRow.task_id), col(AssignmentRow.position))
        )
        for task_id, name in assigned:
            names.setdefault(task_id, []).append(name)
    items = []
    for row, title in rows:
        pending = row.status == "pending"
        if not row.flags and not pending:
            continue
        d = deadline_of(row)
        reasons = [f"待确认：{'；'.join(row.doubts) or '读取把握不大'}"] if pending else []
        if row.flags:
            reasons.append(review_reason(d) or "请人工确认截止日期")
        items.append(
            ReviewItem(
                task_id=row.id or 0,
                plan_title=title,
                seq=row.seq,
                content=row.content,
                deadline_text=row.deadline_text,
                due=row.due,
                reason="；".join(reasons),
                suggested=suggested_date(d),
                pending=pending,
                units=tuple(names.get(row.id or 0, ())),
            )
        )
    return items


def decide_task(
    s: Session, task_id: int, *, confirm: bool, by: int | None, by_name: str | None, now: datetime
) -> TaskRow | None:
    """A person confirms a task read with doubt (it starts reminding) or drops it (kept, never reminded)."""
    row = s.get(TaskRow, task_id)
    if row is None:
        return None
    row.status = "active" if confirm else "dropped"
    row.status_by, row.status_by_name, row.status_at = by, by_name, now
    s.add(row)
    s.flush()
    return row


def set_units(
    s: Session,
    task_id: int,
    units: Sequence[UnitRef],
    *,
    kind_of: Callable[[str], str],
    is_group: Callable[[str], bool],
    by: int | None,
    by_name: str | None,
    now: datetime,
) -> TaskRow | None:
    """A person gives a task its units: they replace the ones read, and the task counts as confirmed."""
    row = s.get(TaskRow, task_id)
    if row is None or row.id is None:
        return None
    s.execute(delete(AssignmentRow).where(col(AssignmentRow.task_id) == row.id))
    rows = crud.get_or_create_units(s, [u.name for u in units], kind_of=kind_of, is_group=is_group)
    _assign(s, row.id, Task(row.seq, row.category, row.content, list(units), row.deadline_text), rows)
    return decide_task(s, task_id, confirm=True, by=by, by_name=by_name, now=now)


def deadline_state(s: Session, task_id: int) -> tuple[bool, date | None] | None:
    """Whether a task's deadline still needs a person, and its due date; None when there is no such task."""
    row = s.exec(select(TaskRow.flags, col(TaskRow.due)).where(TaskRow.id == task_id)).first()
    return None if row is None else (bool(row[0]), row[1])


def plan_year_and_recurrence(s: Session, task_id: int) -> tuple[int | None, str | None] | None:
    """The year of the task's plan and the task's recurrence, or None when there is no such task."""
    row = s.exec(
        select(PlanRow.year, TaskRow.recurrence)
        .join(PlanRow, col(PlanRow.id) == col(TaskRow.plan_id))
        .where(TaskRow.id == task_id)
    ).first()
    return None if row is None else (row[0], row[1])


def set_due(
    s: Session, task_id: int, *, due: date, by: int | None, by_name: str | None, now: datetime
) -> TaskRow | None:
    """A person sets a task's due date: it becomes fixed, its review flags go, who and when are kept."""
    row = s.get(TaskRow, task_id)
    if row is None:
        return None
    row.due, row.kind, row.recurrence, row.event, row.workdays = due, "fixed", None, None, None
    row.flags = []
    row.due_set_by, row.due_set_by_name, row.due_set_at = by, by_name, now
    s.add(row)
    s.flush()
    return row


# ------------------------------------------------------------------------------------------------ life cycle


def plan_title_and_size(s: Session, plan_id: int) -> tuple[str, int] | None:
    """A plan's title and number of tasks; None when there is no such plan."""
    row = s.get(PlanRow, plan_id)
    if row is None:
        return None
    count = s.exec(select(func.count()).select_from(TaskRow).where(col(TaskRow.plan_id) == plan_id)).one()
    return row.title, count


def archive_plan(s: Session, plan_id: int, *, by_name: str | None, now: datetime) -> PlanRow | None:
    """Archive a plan: it keeps its tasks, marks and notes (the record), and sends no more reminders."""
    return _set_plan_status(s, plan_id, "archived", by_name=by_name, at=now)


def restore_plan(s: Session, plan_id: int) -> PlanRow | None:
    """Make an archived plan active again (its reminders resume)."""
    return _set_plan_status(s, plan_id, "active", by_name=None, at=None)


def _set_plan_status(
    s: Session, plan_id: int, status: str, *, by_name: str | None, at: datetime | None
) -> PlanRow | None:
    """Set a plan's status with who archived it and when; None when there is no such plan."""
    row = s.get(PlanRow, plan_id)
    if row is None:
        return None
    row.status, row.archived_at, row.archived_by_name = status, at, by_name
    s.add(row)
    s.flush()
    return row


def delete_plan(s: Session, plan_id: int) -> int | None:
    """Delete a plan with its tasks and everything on them (marks, notes, extensions); how many tasks went."""
    row = s.get(PlanRow, plan_id)
    if row is None:
        return None
    count = s.exec(delete(TaskRow).where(col(TaskRow.plan_id) == plan_id)).rowcount
    s.delete(row)
    s.flush()
    return count
