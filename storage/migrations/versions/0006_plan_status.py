"""Plans have a life cycle: active, or archived (kept with its history, never reminded); an extension
refused keeps the reason the admin gave; officers may ask for a unit the directory does not know.

Revision ID: 0006_plan_status
Revises: 0005_task_confidence
Create Date: 2026-11-29 15:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_plan_status"
down_revision: str | None = "0005_task_confidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: every stored plan stays active."""
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(), nullable=False, server_default="active"))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archived_by_name", sa.String(), nullable=True))
        batch_op.create_index(batch_op.f("ix_plan_status"), ["status"], unique=False)
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_reason", sa.String(), nullable=True))
    op.create_table(
        "unit_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("user_name", sa.String(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("decided_by_name", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_unit_request_chat_id"), "unit_request", ["chat_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_unit_request_chat_id"), table_name="unit_request")
    op.drop_table("unit_request")
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.drop_column("decision_reason")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_status"))
        batch_op.drop_column("archived_by_name")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("status")
