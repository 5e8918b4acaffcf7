"""SQLModel tables: plans, tasks, units and assignments (task × unit × role)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
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


class AssignmentRow(SQLModel, table=True):
    """A unit's part in a task, with its role."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("task_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    position: int
    role: str
