"""Plain dataclasses shared by every part of the domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, get_args

Role = Literal["lead", "support", "owner"]
Layout = Literal["table", "outline", "prose", "tree"]
Kind = Literal["fixed", "ongoing", "recurring", "event_relative", "unresolved"]
Flag = Literal["ambiguous", "needs_issue_date", "before_issue_date", "unresolved", "implausible_year"]

# Text read back from the database as the Literal it was stored from; any other text is a ValueError.
_ROLES: dict[str, Role] = {r: r for r in get_args(Role)}
_KINDS: dict[str, Kind] = {k: k for k in get_args(Kind)}
_FLAGS: dict[str, Flag] = {f: f for f in get_args(Flag)}


def as_role(text: str) -> Role:
    """A stored unit role as a Role."""
    if text not in _ROLES:
        raise ValueError(f"not a unit role: {text!r}")
    return _ROLES[text]


def as_kind(text: str) -> Kind:
    """A stored deadline kind as a Kind."""
    if text not in _KINDS:
        raise ValueError(f"not a deadline kind: {text!r}")
    return _KINDS[text]


def as_flag(text: str) -> Flag:
    """A stored review flag as a Flag."""
    if text not in _FLAGS:
        raise ValueError(f"not a review flag: {text!r}")
    return _FLAGS[text]


# A task read with less confidence than this waits for a person (待确认) before it sends reminders.
REVIEW_BELOW = 0.6


class DocumentError(ValueError):
    """A document that cannot be read; the message is shown to users as is (Simplified Chinese)."""


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit named on a task, with its role there."""

    name: str
    role: Role


@dataclass(slots=True)
class Task:
    """One task as printed in a plan, before any deadline is resolved."""

    seq: str
    category: str
    content: str
    units: list[UnitRef]
    deadline_text: str
    # How sure the reader is that this is a task with these units (0–1), and why it is not surer (Chinese).
    # Below REVIEW_BELOW a task is imported as 待确认: listed for review, no reminders until confirmed.
    confidence: float = 1.0
    doubts: tuple[str, ...] = ()


@dataclass(slots=True)
class Plan:
    """A parsed work plan: its metadata and its tasks in document order."""

    title: str
    issuer: str | None
    year: int | None
    issued: date | None
    layout: Layout
    tasks: list[Task] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Deadline:
    """What a deadline phrase means: a due date, a recurrence, an event, or a flag for review."""

    text: str
    kind: Kind
    due: date | None = None
    recurrence: str | None = None
    event: str | None = None
    workdays: int | None = None
    flags: tuple[Flag, ...] = ()
    span: tuple[int, int] | None = None
    others: tuple[Deadline, ...] = ()


@dataclass(frozen=True, slots=True)
class Milestone:
    """One dated step of a task (`6月前完成第1次…；11月底前完成第2次…`): reminded and marked done on its own."""

    text: str
    due: date
    what: str
