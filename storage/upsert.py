"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL: the unique constraint decides, not a read first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_ignore(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]], conflict: Sequence[str]
) -> int:
    """Insert rows, skipping those that clash with the unique columns conflict; returns how many went in."""
    if not rows:
        return 0
    table: Table = inspect(model).local_table  # the mapper's table (inspect is untyped for a model class)
    name = session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if name == "postgresql":
        stmt = (
            postgresql.insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=list(conflict))
        )
    elif name == "sqlite":
        stmt = sqlite.insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=list(conflict))
    else:
        raise NotImplementedError(f"insert_ignore: unsupported database {name}")
    # Without preserve_rowcount, psycopg 3 reports -1 for an INSERT once SQLAlchemy has closed the cursor.
    result = session.exec(stmt, execution_options={"preserve_rowcount": True})
    return max(result.rowcount or 0, 0)
