"""Named leases in the database: one holder at a time, taken over once the holder stops renewing.

A lease row works the same on SQLite and PostgreSQL and survives a holder that hangs or loses its network
(an advisory lock would be held as long as its TCP connection looks alive). Each call is one conditional
UPDATE or INSERT … ON CONFLICT DO NOTHING, so two contenders cannot both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, or_, text
from sqlmodel import Session, col, delete, select, update

from storage.models import LeaseRow
from storage.upsert import insert_ignore


def acquire(s: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease name for holder until now + ttl: True when holder has it now."""
    result = s.exec(
        update(LeaseRow)
        .where(
            col(LeaseRow.name) == name, or_(col(LeaseRow.holder) == holder, col(LeaseRow.expires_at) < now)
        )
        .values(
            holder=holder,
            expires_at=now + ttl,
            acquired_at=case((col(LeaseRow.holder) == holder, col(LeaseRow.acquired_at)), else_=now),
        )
    )
    if result.rowcount:
        return True
    row = {"name": name, "holder": holder, "acquired_at": now, "expires_at": now + ttl}
    return insert_ignore(s, LeaseRow, [row], ("name",)) == 1


def release(s: Session, *, name: str, holder: str) -> bool:
    """Give the lease up at once (a clean shutdown), so another holder need not wait for it to expire."""
    result = s.exec(delete(LeaseRow).where(col(LeaseRow.name) == name, col(LeaseRow.holder) == holder))
    return bool(result.rowcount)


def holder_of(s: Session, name: str, *, now: datetime) -> str | None:
    """Who holds the lease now (None when nobody does or it expired)."""
    row = s.exec(select(LeaseRow).where(LeaseRow.name == name)).first()
    return row.holder if row is not None and row.expires_at > now else None


# The name under which plan imports queue: one store at a time, so two copies (or two versions) of a new plan
# imported at the same moment end as one plan, and a new unit name is created once.
IMPORT_LOCK = "duban:import"


def serialize_imports(s: Session) -> None:
    """Make the caller's transaction wait for any other plan import and hold off the next until it ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a write as the transaction's first statement,
    which takes the database's write lock before anything is read (busy_timeout makes the other wait), so
    the second import reads what the first stored instead of failing to upgrade a stale read.
    Call it before the transaction reads anything.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": IMPORT_LOCK})
    else:
        s.execute(delete(LeaseRow).where(col(LeaseRow.name) == IMPORT_LOCK))
