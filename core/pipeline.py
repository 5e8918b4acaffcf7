"""From a parsed plan to tasks ready to store: each task with its resolved deadline and kept timing rules."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date

from core.deadlines import dated_steps, extract_phrases, phrase_of, resolve
from core.models import REVIEW_BELOW, Deadline, DocumentError, Milestone, Plan, Task
from core.workdays import WorkCalendar


@dataclass(frozen=True, slots=True)
class PreparedTask:
    """A task, the deadline that decides its due date, timing rules kept from its content, and its dated
    steps when it names several (its due date is then the latest step)."""

    task: Task
    deadline: Deadline
    rules: tuple[str, ...]
    milestones: tuple[Milestone, ...] = ()


_CLAUSE = re.compile(r"[^。；;\n]+")


def _what(phrase: str, *texts: str) -> str:
    """The clause around a phrase (`11月底前完成第2次宣传`), from the first text that holds it."""
    for text in texts:
        at = text.find(phrase)
        if at < 0:
            continue
        for m in _CLAUSE.finditer(text):
            if m.start() <= at < m.end():
                return m.group(0).strip(" ，,")[:60]
    return phrase


def milestones_of(task: Task, deadline: Deadline) -> tuple[Milestone, ...]:
    """The task's dated steps when its deadline names two or more different dates, in date order."""
    steps = dated_steps(deadline)
    if len({d.due for d in steps}) < 2:
        return ()
    out: dict[date, Milestone] = {}
    for d in steps:
        phrase = phrase_of(d) if d.text == deadline.text else d.text
        assert d.due is not None
        out.setdefault(d.due, Milestone(phrase, d.due, _what(phrase, task.content, task.deadline_text)))
    return tuple(out[due] for due in sorted(out))


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
        steps = milestones_of(task, deadline)
        if steps:
            # Several dated steps: the task is due at its last one, each step is reminded on its own.
            deadline = replace(deadline, due=steps[-1].due)
        prepared.append(PreparedTask(task=task, deadline=deadline, rules=rules, milestones=steps))
    return prepared
