"""The import use case shared by the command line and the bot: bytes → plan → stored tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from core.documents import decode_text, parse_plan
from core.models import Plan
from core.pipeline import PreparedTask, content_hash, prepare
from core.units import UnitDirectory, is_group
from core.workdays import WorkCalendar
from storage import crud
from storage.db import session_scope


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """A finished import: what was read and whether it was stored now or already there."""

    plan: Plan
    prepared: list[PreparedTask]
    result: crud.ImportResult

    @property
    def needs_review(self) -> list[PreparedTask]:
        """Tasks whose deadline a person should look at."""
        return [p for p in self.prepared if p.deadline.flags]


def read_plan(
    data: bytes,
    *,
    year: int | None = None,
    issued: date | None = None,
    title: str | None = None,
    calendar: WorkCalendar | None = None,
) -> tuple[Plan, list[PreparedTask], str]:
    """Decode and parse a document and resolve its deadlines; raises DocumentError with a Chinese message."""
    text = decode_text(data)
    plan = parse_plan(text, year=year, issued=issued, title=title)
    return plan, prepare(plan, calendar=calendar), content_hash(text)


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
) -> ImportOutcome:
    """Read a document and store it in one transaction; nothing is stored if any step fails."""
    plan, prepared, digest = read_plan(data, year=year, issued=issued, title=title, calendar=calendar)
    with session_scope(engine) as session:
        result = crud.import_plan(
            session,
            plan,
            prepared,
            source_name=source_name,
            digest=digest,
            now=now,
            canonical=directory.canonical,
            kind_of=directory.kind,
            is_group=is_group,
        )
    return ImportOutcome(plan, prepared, result)
