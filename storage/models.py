"""SQLModel tables: plans, tasks, units, assignments (task × unit × role), and the bot's subscriptions,
completions, delivery ledger and sent items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class PlanRow(SQLModel, table=True):
    """An imported work plan."""

    __tablename__ = "plan"

    id: int | None = Field(default=None, primary_key=True)
    title: str
    issuer: str | None = None
    year: int | None = None
    issued: date | None = None
    layout: str
    source_name: str
    content_hash: str = Field(unique=True, index=True)
    imported_at: datetime
    # active, or archived (last year's plan: kept with its history, never reminded); who and when.
    status: str = Field(default="active", index=True, sa_column_kwargs={"server_default": "active"})
    archived_at: datetime | None = None
    archived_by_name: str | None = None


class UnitRow(SQLModel, table=True):
    """A unit or a group of units named in plans or in the directory."""

    __tablename__ = "unit"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    kind: str = "other"
    is_group: bool = False


class TaskRow(SQLModel, table=True):
    """One task of a plan with its resolved deadline."""

    __tablename__ = "task"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    position: int
    seq: str
    category: str
    content: str
    deadline_text: str
    due: date | None = Field(default=None, index=True)
    kind: str = "unresolved"
    recurrence: str | None = None
    event: str | None = None
    workdays: int | None = None
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rules: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Who set the due date by hand (/setdue or a /review button) and when; a re-import with the same
    # deadline text keeps such a date.
    due_set_by: int | None = Field(default=None, sa_type=BigInteger)
    due_set_by_name: str | None = None
    due_set_at: datetime | None = None
    # How sure the reader was (core Task.confidence) and why not surer. A task read below
    # core.models.REVIEW_BELOW is "pending" (待确认: no reminders) until a person confirms ("active") or
    # drops it ("dropped": kept for the record, never reminded); who decided and when are kept.
    confidence: float = Field(default=1.0, sa_column_kwargs={"server_default": "1.0"})
    doubts: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    status: str = Field(default="active", index=True, sa_column_kwargs={"server_default": "active"})
    # Dated steps ([{"text", "due": ISO date, "what"}], in date order) when the task names several; each is
    # reminded on its own and marked done on its own (a completion's occurrence is the step's date).
    milestones: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    status_by: int | None = Field(default=None, sa_type=BigInteger)
    status_by_name: str | None = None
    status_at: datetime | None = None


def step_dates(milestones: list[dict[str, str]]) -> tuple[date, ...]:
    """The dates of a task's stored dated steps (TaskRow.milestones), in order."""
    return tuple(date.fromisoformat(m["due"]) for m in milestones)


class AssignmentRow(SQLModel, table=True):
    """A unit's part in a task, with its role."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("task_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    position: int
    role: str


class SubscriptionRow(SQLModel, table=True):
    """A chat following a unit: pending until an admin approves (approval mode), active, or inactive."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("chat_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    user_id: int | None = Field(default=None, sa_type=BigInteger)
    user_name: str | None = None
    status: str = Field(default="active", index=True)
    created_at: datetime
    decided_by: int | None = Field(default=None, sa_type=BigInteger)


# The occurrence of a one-off task's completion: a recurring duty's completions carry their occurrence's due
# date instead, so doing this quarter's report leaves next quarter's open.
ONCE = date(1, 1, 1)


class CompletionRow(SQLModel, table=True):
    """A concrete unit's part of a task done; for a group assignment, one row per member unit."""

    __tablename__ = "completion"
    __table_args__ = (UniqueConstraint("task_id", "unit_id", "occurrence", name="uq_completion_occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    done_at: datetime
    done_by: int | None = Field(default=None, sa_type=BigInteger)
    done_by_name: str | None = None
    note: str | None = None
    occurrence: date = Field(default=ONCE, sa_column_kwargs={"server_default": ONCE.isoformat()})


class DeliveryRow(SQLModel, table=True):
    """The delivery ledger: one row per (chat, day, kind), claimed before sending and completed after."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("chat_id", "day", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    day: date = Field(index=True)
    kind: str = "digest"
    status: str = "claimed"
    attempts: int = 1
    last_error: str | None = None
    claimed_at: datetime
    sent_at: datetime | None = None
    message_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Last sign of life of the sender holding the claim (claim, each HTTP attempt, each part sent): a claim
    # silent for longer than [digest] claim_timeout_seconds belongs to a dead process and may be taken over.
    active_at: datetime | None = None
    # How often a claim was taken over while an HTTP attempt was in flight (the message may have gone out).
    doubtful: int = 0


class SentItemRow(SQLModel, table=True):
    """Which (task, unit) items a bot message carries, so a reply or a ✅ press on it can be mapped."""

    __tablename__ = "sent_item"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", "task_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int = Field(sa_type=BigInteger)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id")


class LeaseRow(SQLModel, table=True):
    """A named lease (e.g. the leader of several bot instances): who holds it and until when."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True)
    holder: str
    acquired_at: datetime
    expires_at: datetime


class ProgressNoteRow(SQLModel, table=True):
    """A unit's progress note on a task (进度：…); the latest one shows in digests, /tasks and the report."""

    __tablename__ = "progress_note"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    text: str
    author_id: int | None = Field(default=None, sa_type=BigInteger)
    author_name: str | None = None
    created_at: datetime
    # The office's calendar day it was written on (created_at comes back in UTC): colours compare days.
    day: date


class ExtensionRow(SQLModel, table=True):
    """A request to move a task's due date: pending until an admin decides; approved ones are the history."""

    __tablename__ = "extension"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id")
    chat_id: int = Field(sa_type=BigInteger)
    old_due: date
    new_due: date
    reason: str
    requested_by: int | None = Field(default=None, sa_type=BigInteger)
    requested_by_name: str | None = None
    requested_at: datetime
    status: str = "pending"
    decided_by: int | None = Field(default=None, sa_type=BigInteger)
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    # Why an admin refused it (typed after pressing 拒绝), passed on to the requester.
    decision_reason: str | None = None


class UrgeRow(SQLModel, table=True):
    """An admin's 催办 of a unit on a task, and how many chats heard it."""

    __tablename__ = "urge"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id")
    admin_id: int = Field(sa_type=BigInteger)
    admin_name: str | None = None
    created_at: datetime
    chats: int = 0


class UnitRequestRow(SQLModel, table=True):
    """An officer's request to add a unit the directory does not know (`/request 石化街道`), until an admin
    adds it (as 部门/镇/街道/其他: the unit is created and the chat subscribed) or declines."""

    __tablename__ = "unit_request"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    chat_id: int = Field(sa_type=BigInteger, index=True)
    user_id: int | None = Field(default=None, sa_type=BigInteger)
    user_name: str | None = None
    requested_at: datetime
    status: str = "pending"  # pending, added, declined
    kind: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
