"""The import use case shared by the command line and the bot: bytes → plan → stored tasks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Engine

from core.documents import Explanation, explain_plan, parse_plan
from core.models import Plan
from core.pipeline import PreparedTask, content_hash, prepare
from core.units import UnitDirectory
from core.workdays import WorkCalendar
from duban.reading import ReadLimits, read_bounded
from storage import plans
from storage.db import session_scope
from storage.locks import serialize_imports


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """A finished import: what was read and whether it was stored now or already there."""

    plan: Plan
    prepared: list[PreparedTask]
    result: plans.StoreResult

    @property
    def needs_review(self) -> list[PreparedTask]:
        """Tasks whose deadline a person should look at."""
        return [p for p in self.prepared if p.deadline.flags]


def read_plan(
    data: bytes,
    *,
    filename: str = "",
    max_bytes: int | None = None,
    year: int | None = None,
    issued: date | None = None,
    title: str | None = None,
    calendar: WorkCalendar | None = None,
    limits: ReadLimits | None = None,
) -> tuple[Plan, list[PreparedTask], str]:
    """Read a file of any supported format (.docx/.xlsx/.xls/.pdf/.doc/.html/text, told by its magic bytes
    and name) in a bounded child process, parse it and resolve its deadlines; raises DocumentError with a
    Chinese message. limits: the reading process's time and memory (default: ReadLimits.from_env())."""
    text = read_bounded(data, filename, max_bytes=max_bytes, limits=limits)
    plan = parse_plan(text, year=year, issued=issued, title=title)
    return plan, prepare(plan, calendar=calendar), content_hash(text)


def explain_document(
    data: bytes,
    *,
    filename: str = "",
    max_bytes: int | None = None,
    year: int | None = None,
    issued: date | None = None,
) -> Explanation:
    """How a file is read (outline levels, table columns, tasks with their confidence); stores nothing."""
    return explain_plan(read_bounded(data, filename, max_bytes=max_bytes), year=year, issued=issued)


def import_document(
    engine: Engine,
    data: bytes,
    *,
    source_name: str,
    directory: UnitDirectory,
    now: datetime,
    year: int | None = None,
    issued: date | None = None,
    title: str | None = None,
    calendar: WorkCalendar | None = None,
    max_bytes: int | None = None,
) -> ImportOutcome:
    """Read a document and store it in one transaction (new, unchanged, or a new version of the same plan)."""
    plan, prepared, digest = read_plan(
        data,
        filename=source_name,
        max_bytes=max_bytes,
        year=year,
        issued=issued,
        title=title,
        calendar=calendar,
    )
    result = store_document(
        engine, plan, prepared, digest, source_name=source_name, directory=directory, now=now
    )
    return ImportOutcome(plan, prepared, result)


def with_issued(
    plan: Plan, issued: date, *, calendar: WorkCalendar | None = None
) -> tuple[Plan, list[PreparedTask]]:
    """The plan with an issue date a person gave, its deadlines resolved again (the text is not re-read)."""
    dated = replace(plan, issued=issued, tasks=list(plan.tasks))
    return dated, prepare(dated, calendar=calendar)


def compare_document(
    engine: Engine, plan: Plan, digest: str, *, directory: UnitDirectory
) -> plans.Comparison:
    """Whether storing a read plan would create a plan, change nothing, or replace a stored version (read-only)."""
    with session_scope(engine) as session:
        return plans.compare(session, plan, digest, canonical=directory.canonical)


def store_document(
    engine: Engine,
    plan: Plan,
    prepared: list[PreparedTask],
    digest: str,
    *,
    source_name: str,
    directory: UnitDirectory,
    now: datetime,
) -> plans.StoreResult:
    """Store a read plan in one transaction: a new plan, nothing (same text), or the new version of the
    stored plan with the same title and year (see storage.plans.store_plan for what is kept); imports queue
    so that concurrent ones of one plan end as one plan."""
    with session_scope(engine) as session:
        serialize_imports(session)
        return plans.store_plan(
            session,
            plan,
            prepared,
            source_name=source_name,
            digest=digest,
            now=now,
            canonical=directory.canonical,
            kind_of=directory.kind,
            is_group=directory.is_group,
        )
