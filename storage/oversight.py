"""Oversight storage: progress notes, extension requests and their history, 催办 records, and the 台账 rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlmodel import Session, col, select, update

from core.digest import DigestItem
from core.oversight import (
    DEFAULT_THRESHOLDS,
    Thresholds,
    colour_of,
    current_occurrence,
    current_step,
    occurrences,
)
from storage.crud import list_tasks
from storage.digest import Routes, items_by_unit
from storage.models import (
    ONCE,
    AssignmentRow,
    CompletionRow,
    ExtensionRow,
    PlanRow,
    ProgressNoteRow,
    SubscriptionRow,
    TaskRow,
    UnitRow,
    UrgeRow,
    step_dates,
)

PENDING, APPROVED, DENIED = "pending", "approved", "denied"
STATUS_CN = {"done": "已完成", "partly_done": "部分完成", "open": "未完成"}


# ------------------------------------------------------------------------------------------------ progress


def add_progress(
    s: Session,
    *,
    task_id: int,
    unit_id: int,
    text: str,
    author_id: int | None,
    author_name: str | None,
    now: datetime,
) -> ProgressNoteRow:
    """Store a progress note of unit_id on task_id (written on now's day)."""
    row = ProgressNoteRow(
        task_id=task_id,
        unit_id=unit_id,
        text=text,
        author_id=author_id,
        author_name=author_name,
        created_at=now,
        day=now.date(),
    )
    s.add(row)
    s.flush()
    return row


def latest_progress(
    s: Session, task_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], ProgressNoteRow]:
    """The latest note per (task, unit), optionally only for some tasks."""
    query = select(ProgressNoteRow).order_by(col(ProgressNoteRow.id))
    if task_ids is not None:
        query = query.where(col(ProgressNoteRow.task_id).in_(list(task_ids)))
    return {(n.task_id, n.unit_id): n for n in s.exec(query)}


# ----------------------------------------------------------------------------------------------- extensions


def request_extension(
    s: Session,
    *,
    task_id: int,
    unit_id: int,
    chat_id: int,
    new_due: date,
    reason: str,
    user_id: int | None,
    user_name: str | None,
    now: datetime,
) -> ExtensionRow | None:
    """A pending request to move task_id's due date to new_due; None when the task has no due date."""
    task = s.get(TaskRow, task_id)
    if task is None or task.due is None:
        return None
    row = ExtensionRow(
        task_id=task_id,
        unit_id=unit_id,
        chat_id=chat_id,
        old_due=task.due,
        new_due=new_due,
        reason=reason,
        requested_by=user_id,
        requested_by_name=user_name,
        requested_at=now,
    )
    s.add(row)
    s.flush()
    return row


def decide_extension(
    s: Session, ext_id: int, *, approve: bool, admin_id: int, admin_name: str | None, now: datetime
) -> ExtensionRow | None:
    """Approve (the task's due date moves) or deny a pending request; None when it is not pending any more."""
    # The status changes by a conditional UPDATE: of two admins pressing at once exactly one decides, and a
    # denial can never meet a due date another admin's approval has already moved.
    decided = s.exec(
        update(ExtensionRow)
        .where(col(ExtensionRow.id) == ext_id, col(ExtensionRow.status) == PENDING)
        .values(
            status=APPROVED if approve else DENIED,
            decided_by=admin_id,
            decided_by_name=admin_name,
            decided_at=now,
        )
    )
    if not decided.rowcount:
        return None
    row = s.exec(
        select(ExtensionRow).where(ExtensionRow.id == ext_id).execution_options(populate_existing=True)
    ).one()
    if approve:
        task = s.get(TaskRow, row.task_id)
        if task is not None:
            # The history keeps the date actually replaced, in case another extension moved it meanwhile.
            row.old_due = task.due or row.old_due
            task.due = row.new_due
            s.add_all([task, row])
            s.flush()
    return row


def give_reason(s: Session, ext_id: int, *, reason: str) -> ExtensionRow | None:
    """Keep why a refused extension was refused; None when there is no such refused request."""
    row = s.get(ExtensionRow, ext_id)
    if row is None or row.status != DENIED:
        return None
    row.decision_reason = reason
    s.add(row)
    s.flush()
    return row


def extension_history(s: Session, task_id: int) -> list[ExtensionRow]:
    """Every request on a task, oldest first (approved ones are the due date's history)."""
    return list(
        s.exec(select(ExtensionRow).where(ExtensionRow.task_id == task_id).order_by(col(ExtensionRow.id)))
    )


# ------------------------------------------------------------------------------------------------ 催办


def record_urge(
    s: Session,
    *,
    task_id: int,
    unit_id: int,
    admin_id: int,
    admin_name: str | None,
    chats: int,
    now: datetime,
) -> UrgeRow:
    """Record that an admin urged unit_id on task_id and how many chats were told."""
    row = UrgeRow(
        task_id=task_id,
        unit_id=unit_id,
        admin_id=admin_id,
        admin_name=admin_name,
        chats=chats,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return row


def urged_on(s: Session, *, task_id: int, unit_id: int, day: date, tz: tzinfo) -> bool:
    """Whether unit_id was already urged on task_id on day (the office's calendar day in tz)."""
    rows = s.exec(select(UrgeRow.created_at).where(UrgeRow.task_id == task_id, UrgeRow.unit_id == unit_id))
    return any(as_aware(at).astimezone(tz).date() == day for at in rows)


def as_aware(at: datetime) -> datetime:
    """A stored time as an aware one (SQLite gives it back naive, in UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def urges(s: Session, *, task_id: int | None = None) -> list[UrgeRow]:
    """Recorded 催办, oldest first."""
    query = select(UrgeRow).order_by(col(UrgeRow.id))
    if task_id is not None:
        query = query.where(UrgeRow.task_id == task_id)
    return list(s.exec(query))


def chats_of_unit(s: Session, unit_id: int) -> list[int]:
    """Chats with an active subscription to the unit."""
    return list(
        s.exec(
            select(SubscriptionRow.chat_id)
            .where(SubscriptionRow.unit_id == unit_id, SubscriptionRow.status == "active")
            .order_by(col(SubscriptionRow.id))
        )
    )


def chats_by_unit(s: Session, unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """Unit id → chats actively following it."""
    out: dict[int, list[int]] = defaultdict(list)
    query = (
        select(SubscriptionRow.unit_id, SubscriptionRow.chat_id)
        .where(col(SubscriptionRow.unit_id).in_(list(unit_ids)), SubscriptionRow.status == "active")
        .order_by(col(SubscriptionRow.id))
    )
    for unit_id, chat_id in s.exec(query):
        out[unit_id].append(chat_id)
    return dict(out)


def lead_units(s: Session, task_ids: Iterable[int]) -> dict[int, set[int]]:
    """Task id → its concrete lead (牵头) units."""
    out: dict[int, set[int]] = defaultdict(set)
    query = (
        select(AssignmentRow.task_id, AssignmentRow.unit_id)
        .join(UnitRow, col(UnitRow.id) == col(AssignmentRow.unit_id))
        .where(col(AssignmentRow.task_id).in_(list(task_ids)), AssignmentRow.role == "lead")
        .where(col(UnitRow.is_group).is_(False))
    )
    for task_id, unit_id in s.exec(query):
        out[task_id].add(unit_id)
    return dict(out)


def all_open_items(s: Session, *, group_routes: Routes) -> dict[int, list[DigestItem]]:
    """Open dated items of every concrete unit, followed or not (the admins' view)."""
    unit_ids = list(s.exec(select(UnitRow.id).where(col(UnitRow.is_group).is_(False))))
    return items_by_unit(s, group_routes=group_routes, unit_ids=[u for u in unit_ids if u is not None])


def ongoing_items(s: Session, *, group_routes: Routes) -> dict[int, list[DigestItem]]:
    """Open year-long (全年) items per concrete unit: the ones a quarterly check-in asks about."""
    return {
        uid: [i for i in items if i.kind == "ongoing"]
        for uid, items in all_open_items(s, group_routes=group_routes).items()
    }


# ------------------------------------------------------------------------------------------------- 台账


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One task × unit line of the 台账."""

    plan_id: int
    plan_title: str
    task_id: int
    seq: str
    category: str
    content: str
    unit: str
    role: str
    due: date | None
    colour: str | None
    status: str  # done | partly_done | open
    done_at: datetime | None
    done_by: str | None
    progress: str | None
    progress_on: date | None
    overdue_days: int
    recurrence: str | None
    occurrences_done: int | None = None  # recurring duties: occurrences done this year …
    occurrences_total: int | None = None  # … out of those in the year


def ledger_rows(
    s: Session,
    *,
    today: date,
    group_routes: Routes,
    plan_id: int | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> list[LedgerRow]:
    """The 台账: every task × named unit of the plan(s), in plan order, as of today."""
    # Tasks waiting for a person (待确认) or dropped are not part of the 台账 yet; archived plans only when
    # asked for by their id (their record is kept).
    archived = (
        set() if plan_id is not None else set(s.exec(select(PlanRow.id).where(PlanRow.status == "archived")))
    )
    views = [
        v
        for v in list_tasks(s, plan_id=plan_id, group_routes=group_routes)
        if v.review == "active" and v.plan_id not in archived
    ]
    task_ids = [v.id for v in views]
    unit_ids = {u.name: (u.id, u.is_group) for u in s.exec(select(UnitRow))}
    completions: dict[tuple[int, int], list[CompletionRow]] = defaultdict(list)
    for c in s.exec(select(CompletionRow).where(col(CompletionRow.task_id).in_(task_ids))):
        completions[(c.task_id, c.unit_id)].append(c)
    notes = latest_progress(s, task_ids)
    task_notes: dict[int, ProgressNoteRow] = {}
    for (task_id, _), latest in notes.items():
        held = task_notes.get(task_id)
        # Stored rows always have ids; the model declares them optional for rows not yet inserted.
        if held is None or (held.id or 0) < (latest.id or 0):
            task_notes[task_id] = latest
    rows: list[LedgerRow] = []
    for v in views:
        for u in v.units:
            uid, is_group = unit_ids.get(u.name, (None, False))
            marks = completions.get((v.id, uid or -1), [])
            note = notes.get((v.id, uid or -1))
            if note is None and is_group and u.status != "done":
                note = task_notes.get(v.id)  # a group's row shows its members' latest note
            due, status, done_at = v.due, u.status, u.done_at
            done_by = None
            n_done = n_total = None
            if v.milestones:
                # Dated steps: the row shows the first step not done; done once every step is.
                steps = step_dates(list(v.milestones))
                done_days = {c.occurrence for c in marks}
                at = current_step(steps, done_days)
                n_total, n_done = len(steps), len(done_days & set(steps))
                if at is None and marks:
                    last = max(marks, key=lambda c: c.done_at)
                    status, done_at, done_by = "done", last.done_at, last.done_by_name
                else:
                    due, status, done_at = steps[at or 0], "open", None
            elif v.kind == "recurring" and v.recurrence and v.due is not None:
                done_days = {c.occurrence for c in marks if c.occurrence != ONCE}
                due = current_occurrence(v.recurrence, v.due, today)
                in_year = occurrences(v.recurrence, v.due, today.year)
                n_total, n_done = len(in_year), len(done_days & set(in_year))
                this = [c for c in marks if c.occurrence == due]
                if this:
                    status, done_at, done_by = "done", this[0].done_at, this[0].done_by_name
                elif marks:
                    status, done_at = "open", None  # earlier occurrences done, this one not yet
            elif marks:
                done_by = max(marks, key=lambda c: c.done_at).done_by_name
            colour = None
            days_over = 0
            if status != "done" and due is not None:
                colour = colour_of(
                    due, today, last_progress=note.day if note else None, thresholds=thresholds
                )
                days_over = max((today - due).days, 0)
            rows.append(
                LedgerRow(
                    plan_id=v.plan_id,
                    plan_title=v.plan_title,
                    task_id=v.id,
                    seq=v.seq,
                    category=v.category,
                    content=v.content,
                    unit=u.name,
                    role=u.role,
                    due=due,
                    colour=colour,
                    status=status,
                    done_at=done_at,
                    done_by=done_by,
                    progress=note.text if note else None,
                    progress_on=note.day if note else None,
                    overdue_days=days_over,
                    recurrence=v.recurrence,
                    occurrences_done=n_done,
                    occurrences_total=n_total,
                )
            )
    return rows


@dataclass(frozen=True, slots=True)
class UnitSummary:
    """One unit's figures in the summary sheet and the chart."""

    unit: str
    total: int
    done: int
    open: int
    red: int
    yellow: int

    @property
    def rate(self) -> float:
        """Share of items done (0 when the unit has none)."""
        return self.done / self.total if self.total else 0.0


def summarize(rows: Iterable[LedgerRow]) -> list[UnitSummary]:
    """Per unit: items, done, open, red and yellow; most overdue first, then most yellow, most open, name."""
    counts: Mapping[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for r in rows:
        c = counts[r.unit]
        c[0] += 1
        c[1] += r.status == "done"
        c[2] += r.status != "done"
        c[3] += r.colour == "red"
        c[4] += r.colour == "yellow"
    out = [UnitSummary(unit, *c) for unit, c in counts.items()]
    return sorted(out, key=lambda u: (-u.red, -u.yellow, -u.open, u.unit))
