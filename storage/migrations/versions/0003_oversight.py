"""Oversight: completions per occurrence of a recurring duty; progress notes, extensions, 催办 records.

Revision ID: 0003_oversight
Revises: 0002_reliability
Create Date: 2026-11-22 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

from core.deadlines import next_occurrence

revision: str = "0003_oversight"
down_revision: str | None = "0002_reliability"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONCE = "0001-01-01"
# The completion table as 0001 made it, minus its (task_id, unit_id) unique constraint: SQLite cannot drop an
# unnamed constraint, so the batch copy starts from this structure instead of reflecting the old one.
_OLD_COMPLETION = sa.Table(
    "completion",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("task_id", sa.Integer(), nullable=False),
    sa.Column("unit_id", sa.Integer(), nullable=False),
    sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("done_by", sa.BigInteger(), nullable=True),
    sa.Column("done_by_name", sa.String(), nullable=True),
    sa.Column("note", sa.String(), nullable=True),
    sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_completion_task_id", "task_id"),
    sa.Index("ix_completion_unit_id", "unit_id"),
)


def _as_date(value: object) -> date:
    """A date from what the driver returns for a DATE or DATETIME column (SQLite gives text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    """Apply this revision."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("completion", copy_from=_OLD_COMPLETION, recreate="always") as batch_op:
            batch_op.add_column(sa.Column("occurrence", sa.Date(), nullable=False, server_default=ONCE))
            batch_op.create_unique_constraint(
                "uq_completion_occurrence", ["task_id", "unit_id", "occurrence"]
            )
    else:
        op.add_column("completion", sa.Column("occurrence", sa.Date(), nullable=False, server_default=ONCE))
        op.drop_constraint("completion_task_id_unit_id_key", "completion", type_="unique")
        op.create_unique_constraint(
            "uq_completion_occurrence", "completion", ["task_id", "unit_id", "occurrence"]
        )
    # A recurring duty done before this revision: the occurrence that was current on the day it was marked.
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.done_at, t.recurrence, t.due FROM completion c JOIN task t ON t.id = c.task_id "
            "WHERE t.kind = 'recurring' AND t.recurrence IS NOT NULL AND t.due IS NOT NULL"
        )
    ).all()
    for cid, done_at, recurrence, due in rows:
        occurrence = next_occurrence(str(recurrence), _as_date(due), _as_date(done_at))
        bind.execute(
            sa.text("UPDATE completion SET occurrence = :o WHERE id = :i"), {"o": occurrence, "i": cid}
        )
    op.create_table(
        "progress_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("progress_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_note_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_note_unit_id"), ["unit_id"], unique=False)
    op.create_table(
        "extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("old_due", sa.Date(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("requested_by_name", sa.String(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_by_name", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extension_task_id"), ["task_id"], unique=False)
    op.create_table(
        "urge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("admin_name", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chats", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("urge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urge_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    """Revert this revision (a recurring duty keeps one completion per unit: the latest occurrence's)."""
    op.drop_table("urge")
    op.drop_table("extension")
    op.drop_table("progress_note")
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "DELETE FROM completion WHERE id NOT IN "
            "(SELECT MAX(id) FROM completion GROUP BY task_id, unit_id)"
        )
    )
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("completion", recreate="always") as batch_op:
            batch_op.drop_constraint("uq_completion_occurrence", type_="unique")
            batch_op.drop_column("occurrence")
            batch_op.create_unique_constraint("completion_task_id_unit_id_key", ["task_id", "unit_id"])
    else:
        op.drop_constraint("uq_completion_occurrence", "completion", type_="unique")
        op.drop_column("completion", "occurrence")
        op.create_unique_constraint("completion_task_id_unit_id_key", "completion", ["task_id", "unit_id"])
