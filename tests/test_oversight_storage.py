"""Migration 0003_oversight on existing data (SQLite and PostgreSQL), and completions per occurrence."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from storage import progress
from storage.db import session_scope, upgrade
from storage.models import ONCE, CompletionRow

NOW = datetime(2026, 5, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def engine(blank_engine: Engine) -> Engine:
    """A database without schema: these tests migrate it step by step themselves."""
    return blank_engine


def test_upgrade_keeps_completions_and_dates_recurring_ones(engine: Engine) -> None:
    upgrade(engine, "0002_reliability")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO plan (id, title, layout, source_name, content_hash, imported_at) "
                "VALUES (1, '要点', 'table', 'a.txt', 'h', :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text("INSERT INTO unit (id, name, kind, is_group) VALUES (1, '区教育局', 'department', false)")
        )
        for task_id, kind, recurrence, due in [
            (1, "fixed", None, date(2026, 3, 20)),
            (2, "recurring", "quarterly", date(2026, 3, 31)),
        ]:
            conn.execute(
                text(
                    "INSERT INTO task (id, plan_id, position, seq, category, content, deadline_text, due, kind,"
                    " recurrence, flags, rules) VALUES (:i, 1, :i, :s, '', '内容', '', :d, :k, :r, '[]', '[]')"
                ),
                {"i": task_id, "s": str(task_id), "d": due, "k": kind, "r": recurrence},
            )
            conn.execute(
                text("INSERT INTO completion (task_id, unit_id, done_at) VALUES (:i, 1, :t)"),
                {"i": task_id, "t": NOW},
            )
    upgrade(engine)
    with session_scope(engine) as s:
        rows = {c.task_id: c.occurrence for c in s.exec(select(CompletionRow))}
        # Done on 5-10: the one-off stays done; the quarterly duty's mark is for the 2nd quarter.
        assert rows == {1: ONCE, 2: date(2026, 6, 30)}
        assert not progress.mark_done(
            s, task_id=2, unit_id=1, user_id=1, user_name="甲", note=None, now=NOW
        )  # the same occurrence again
        assert progress.mark_done(
            s,
            task_id=2,
            unit_id=1,
            user_id=1,
            user_name="甲",
            note=None,
            now=datetime(2026, 7, 2, tzinfo=NOW.tzinfo),
        )
        assert progress.undo(s, task_id=2, unit_id=1)
        left = {(c.task_id, c.occurrence) for c in s.exec(select(CompletionRow))}
        assert left == {(1, ONCE), (2, date(2026, 6, 30))}
