"""From a parsed plan to tasks ready to store: each task with its resolved deadline and kept timing rules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from core.deadlines import extract_phrases, resolve
from core.models import REVIEW_BELOW, Deadline, DocumentError, Plan, Task
from core.workdays import WorkCalendar


@dataclass(frozen=True, slots=True)
class PreparedTask:
    """A task, the deadline that decides its due date, and timing rules kept from its content."""

    task: Task
    deadline: Deadline
    rules: tuple[str, ...]


def status_of(task: Task) -> str:
    """How a newly read task is stored: "pending" (待确认, no reminders) when read with low confidence."""
    return "pending" if task.confidence < REVIEW_BELOW else "active"


def content_hash(text: str) -> str:
    """Stable fingerprint of a document's text, so re-importing the same file is recognised."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def plan_year(plan: Plan) -> int:
    """The year deadlines are read in; a plan without one cannot be scheduled."""
    if plan.year is not None:
        return plan.year
    raise DocumentError("无法从文档中识别计划年度，请用 --year 指定（例如 --year 2022）")


def prepare(plan: Plan, *, calendar: WorkCalendar | None = None) -> list[PreparedTask]:
    """Resolve every task's deadline; in table plans the cell decides and content timing is kept as rules."""
    year = plan_year(plan)
    prepared = []
    for task in plan.tasks:
        deadline = resolve(task.deadline_text, year=year, issued=plan.issued, calendar=calendar)
        if plan.layout == "prose":
            rules: tuple[str, ...] = ()
        else:
            rules = tuple(extract_phrases(task.content))
        prepared.append(PreparedTask(task=task, deadline=deadline, rules=rules))
    return prepared
