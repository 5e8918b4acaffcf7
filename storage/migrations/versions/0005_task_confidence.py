"""Reading any plan: each task's confidence, the reasons it is doubtful, its status (待确认 until confirmed), and
its dated steps (milestones).

Revision ID: 0005_task_confidence
Revises: 0004_due_set_by
Create Date: 2026-11-29 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_task_confidence"
down_revision: str | None = "0004_due_set_by"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: every stored task stays active with full confidence."""
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=False, server_default="1.0"))
        batch_op.add_column(sa.Column("doubts", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("status", sa.String(), nullable=False, server_default="active"))
        batch_op.add_column(sa.Column("milestones", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("status_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("status_by_name", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("status_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_task_status"), ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_status"))
        batch_op.drop_column("status_at")
        batch_op.drop_column("status_by_name")
        batch_op.drop_column("status_by")
        batch_op.drop_column("milestones")
        batch_op.drop_column("status")
        batch_op.drop_column("doubts")
        batch_op.drop_column("confidence")
