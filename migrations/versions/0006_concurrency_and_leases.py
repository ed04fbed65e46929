"""optimistic versions on tasks and morning checks; job send tracking; idempotency-key leases

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("morning_checks") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("background_jobs") as batch_op:
        batch_op.add_column(sa.Column("sent_at", models_datetime(), nullable=True))
        batch_op.add_column(sa.Column("sends", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("idempotency_records") as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_at", models_datetime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch_op:
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("lease_owner")
    with op.batch_alter_table("background_jobs") as batch_op:
        batch_op.drop_column("sends")
        batch_op.drop_column("sent_at")
    with op.batch_alter_table("morning_checks") as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_column("version")


def models_datetime() -> sa.types.TypeEngine:
    import models.base

    return models.base.UTCDateTime()
