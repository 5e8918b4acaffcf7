"""Review: who set a task's due date by hand (/setdue, /review) and when.

Revision ID: 0004_due_set_by
Revises: 0003_oversight
Create Date: 2026-11-22 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_due_set_by"
down_revision: str | None = "0003_oversight"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_set_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("due_set_by_name", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("due_set_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("due_set_at")
        batch_op.drop_column("due_set_by_name")
        batch_op.drop_column("due_set_by")
