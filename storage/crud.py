"""Every read and write the application makes, as functions over a Session."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from core.models import Plan
from core.pipeline import PreparedTask, status_of
from storage.digest import route_of, route_reaches
from storage.models import (
    AssignmentRow,
    CompletionRow,
    PlanRow,
    SubscriptionRow,
    TaskRow,
    UnitRow,
    step_dates,
)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: the plan's id and whether it was already there."""

    plan_id: int
    created: bool
    task_count: int
    unit_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnitOnTask:
    """A unit's part in a stored task."""

    name: str
    role: str
    status: str
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class TaskView:
    """A stored task with its plan and units, for listing and export."""

    id: int
    plan_id: int
    plan_title: str
    seq: str
    category: str
    content: str
    deadline_text: str
    due: date | None
    kind: str
    recurrence: str | None
    event: str | None
    workdays: int | None
    flags: tuple[str, ...]
    rules: tuple[str, ...]
    units: tuple[UnitOnTask, ...]
    # active, pending (待确认: read with low confidence, no reminders) or dropped (a person said no task).
    review: str = "active"
    confidence: float = 1.0
    doubts: tuple[str, ...] = ()
    milestones: tuple[dict[str, str], ...] = ()

    @property
    def status(self) -> str:
        """done when every unit is done, partly_done when some are, else open."""
        done = sum(u.status == "done" for u in self.units)
        if self.units and done == len(self.units):
            return "done"
        # A group unit some of whose members are done is progress too.
        return "partly_done" if any(u.status != "open" for u in self.units) else "open"


def milestones_json(item: PreparedTask) -> list[dict[str, str]]:
    """A prepared task's dated steps as stored (TaskRow.milestones)."""
    return [{"text": m.text, "due": m.due.isoformat(), "what": m.what} for m in item.milestones]


def find_plan_by_hash(session: Session, digest: str) -> PlanRow | None:
    """The plan imported from a document with this content hash, if any."""
    return session.exec(select(PlanRow).where(PlanRow.content_hash == digest)).first()


def get_or_create_units(
    session: Session, names: Iterable[str], *, kind_of: Callable[[str], str], is_group: Callable[[str], bool]
) -> dict[str, UnitRow]:
    """Unit rows by name, creating the missing ones with their directory kind."""
    wanted = list(dict.fromkeys(names))
    found = {u.name: u for u in session.exec(select(UnitRow).where(col(UnitRow.name).in_(wanted)))}
    for name in wanted:
        if name not in found:
            row = UnitRow(name=name, kind=kind_of(name), is_group=is_group(name))
            session.add(row)
            found[name] = row
    session.flush()
    return found


def import_plan(
    session: Session,
    plan: Plan,
    prepared: Sequence[PreparedTask],
    *,
    source_name: str,
    digest: str,
    now: datetime,
    canonical: Callable[[str], str],
    kind_of: Callable[[str], str],
    is_group: Callable[[str], bool],
) -> ImportResult:
    """Store a plan with its tasks and assignments in the caller's transaction; a known hash changes nothing."""
    existing = find_plan_by_hash(session, digest)
    if existing is not None and existing.id is not None:
        count = len(session.exec(select(TaskRow.id).where(TaskRow.plan_id == existing.id)).all())
        return ImportResult(existing.id, False, count, ())
    plan_row = PlanRow(
        title=plan.title,
        issuer=plan.issuer,
        year=plan.year,
        issued=plan.issued,
        layout=plan.layout,
        source_name=source_name,
        content_hash=digest,
        imported_at=now,
    )
    session.add(plan_row)
    session.flush()
    assert plan_row.id is not None
    all_names = [canonical(u.name) for p in prepared for u in p.task.units]
    units = get_or_create_units(session, all_names, kind_of=kind_of, is_group=is_group)
    task_rows = [
        TaskRow(
            plan_id=plan_row.id,
            position=position,
            seq=item.task.seq,
            category=item.task.category,
            content=item.task.content,
            deadline_text=item.task.deadline_text,
            due=item.deadline.due,
            kind=item.deadline.kind,
            recurrence=item.deadline.recurrence,
            event=item.deadline.event,
            workdays=item.deadline.workdays,
            flags=list(item.deadline.flags),
            rules=list(item.rules),
            confidence=item.task.confidence,
            doubts=list(item.task.doubts),
            status=status_of(item.task),
            milestones=milestones_json(item),
        )
        for position, item in enumerate(prepared, start=1)
    ]
    # One flush for all tasks: SQLAlchemy batches the INSERTs and still hands back every new id.
    session.add_all(task_rows)
    session.flush()
    for task_row, item in zip(task_rows, prepared, strict=True):
        assert task_row.id is not None
        seen: set[int] = set()
        for upos, ref in enumerate(item.task.units, start=1):
            unit = units[canonical(ref.name)]
            assert unit.id is not None
            # Aliases can make one unit appear twice on a task; its first role wins.
            if unit.id in seen:
                continue
            seen.add(unit.id)
            session.add(AssignmentRow(task_id=task_row.id, unit_id=unit.id, position=upos, role=ref.role))
    session.flush()
    return ImportResult(plan_row.id, True, len(prepared), tuple(dict.fromkeys(all_names)))


def task_exists(session: Session, task_id: int) -> bool:
    """Whether a task with this id is stored."""
    return session.get(TaskRow, task_id) is not None


def plan_exists(session: Session, plan_id: int) -> bool:
    """Whether a plan with this id is stored."""
    return session.get(PlanRow, plan_id) is not None


def list_plans(session: Session) -> list[PlanRow]:
    """Every plan, oldest import first."""
    return list(session.exec(select(PlanRow).order_by(col(PlanRow.id))))


def list_units(session: Session) -> list[tuple[UnitRow, int]]:
    """Every unit with the number of tasks it is named on, by name."""
    rows = session.exec(select(UnitRow).order_by(col(UnitRow.name))).all()
    counts: dict[int, int] = defaultdict(int)
    for unit_id in session.exec(select(AssignmentRow.unit_id)):
        counts[unit_id] += 1
    return [(u, counts[u.id or 0]) for u in rows]


def list_tasks(
    session: Session,
    *,
    plan_id: int | None = None,
    unit: str | None = None,
    group_routes: Mapping[str, frozenset[str]] | None = None,
) -> list[TaskView]:
    """Stored tasks in plan order with their units; filtered by plan and by a unit: the tasks naming it or
    a group that reaches it (各单位, 区政府各部门 …), the same ones the unit's chat sees in /tasks.

    Each unit's status comes from completions. A concrete unit is 'done' (with done_at) once it has
    completed the task. A group unit (各单位 …) stands for its members: the concrete units its route reaches
    (group_routes, else the built-in directory's rule) that have an active subscription or have completed
    the task. It is 'done' when there are members and all of them have completed it (done_at: the last
    completion), 'partly_done' when some have, else 'open' (also when nobody it reaches is subscribed).
    """
    task_ids = select(TaskRow.id)
    if plan_id is not None:
        task_ids = task_ids.where(TaskRow.plan_id == plan_id)
    if unit is not None:
        names = [unit]
        found = session.exec(select(UnitRow).where(UnitRow.name == unit)).first()
        if found is not None and not found.is_group:
            for group in session.exec(select(UnitRow.name).where(col(UnitRow.is_group).is_(True))):
                route = route_of(group, True, group_routes or {})
                if route is not None and route_reaches(route, kind=found.kind, name=found.name):
                    names.append(group)
        with_unit = (
            select(AssignmentRow.task_id)
            .join(UnitRow, col(UnitRow.id) == col(AssignmentRow.unit_id))
            .where(col(UnitRow.name).in_(names))
        )
        task_ids = task_ids.where(col(TaskRow.id).in_(with_unit))
    query = (
        select(TaskRow, PlanRow.title)
        .join(PlanRow, col(PlanRow.id) == col(TaskRow.plan_id))
        .where(col(TaskRow.id).in_(task_ids))
        .order_by(col(TaskRow.plan_id), col(TaskRow.position))
    )
    # One query each for units, completions and (only with groups) subscribers, all filtered by the same
    # subquery: a fixed number of round trips however many tasks match.
    assignment_query = (
        select(AssignmentRow, UnitRow.name, UnitRow.is_group)
        .join(UnitRow, col(UnitRow.id) == col(AssignmentRow.unit_id))
        .where(col(AssignmentRow.task_id).in_(task_ids))
        .order_by(col(AssignmentRow.task_id), col(AssignmentRow.position))
    )
    completion_query = (
        select(  # type: ignore[call-overload]  # sqlmodel's select is typed for at most 4 columns
            CompletionRow.task_id,
            CompletionRow.unit_id,
            CompletionRow.done_at,
            UnitRow.name,
            UnitRow.kind,
            CompletionRow.occurrence,
        )
        .join(UnitRow, col(UnitRow.id) == col(CompletionRow.unit_id))
        .where(col(CompletionRow.task_id).in_(task_ids))
        .order_by(col(CompletionRow.done_at))
    )
    routes = group_routes or {}
    tasks = session.exec(query).all()
    steps = {t.id: set(step_dates(t.milestones)) for t, _ in tasks if t.milestones}
    assignments = session.exec(assignment_query).all()
    completions: dict[int, dict[int, tuple[datetime, str, str]]] = defaultdict(dict)
    steps_done: dict[tuple[int, int], set[date]] = defaultdict(set)  # tasks with dated steps only
    for task_id, unit_id, done_at, name, kind, occurrence in session.exec(completion_query):
        if task_id in steps:
            # A task with dated steps is done by a unit only once every step is.
            done_steps = steps_done[(task_id, unit_id)]
            done_steps.add(occurrence)
            if not steps[task_id] <= done_steps:
                continue
        completions[task_id][unit_id] = (done_at, name, kind)
    group_route = {a.unit_id: route_of(name, is_group, routes) for a, name, is_group in assignments}
    subscribers: list[tuple[int | None, str, str]] = []  # UnitRow.id is declared optional
    if any(r is not None for r in group_route.values()):
        subscribers = list(
            session.exec(
                select(UnitRow.id, UnitRow.name, UnitRow.kind)
                .where(
                    col(UnitRow.id).in_(
                        select(SubscriptionRow.unit_id).where(SubscriptionRow.status == "active")
                    )
                )
                .where(col(UnitRow.is_group).is_(False))
            )
        )
    units: dict[int, list[UnitOnTask]] = defaultdict(list)
    for a, name, _ in assignments:
        done = completions.get(a.task_id, {})
        route = group_route[a.unit_id]
        if route is None:
            hit = done.get(a.unit_id)
            status, done_at = ("done", hit[0]) if hit else ("open", None)
        else:
            members = {uid for uid, n, k in subscribers if route_reaches(route, kind=k, name=n)}
            finished = {uid for uid, (_, n, k) in done.items() if route_reaches(route, kind=k, name=n)}
            members |= finished
            if members and finished == members:
                status, done_at = "done", max(done[uid][0] for uid in finished)
            else:
                status, done_at = ("partly_done" if finished else "open"), None
        units[a.task_id].append(UnitOnTask(name=name, role=a.role, status=status, done_at=done_at))
    return [
        TaskView(
            id=t.id or 0,
            plan_id=t.plan_id,
            plan_title=title,
            seq=t.seq,
            category=t.category,
            content=t.content,
            deadline_text=t.deadline_text,
            due=t.due,
            kind=t.kind,
            recurrence=t.recurrence,
            event=t.event,
            workdays=t.workdays,
            flags=tuple(t.flags),
            rules=tuple(t.rules),
            units=tuple(units[t.id or 0]),
            review=t.status,
            confidence=t.confidence,
            doubts=tuple(t.doubts),
            milestones=tuple(t.milestones),
        )
        for t, title in tasks
    ]
