"""the bot's confidence in each criterion outcome and violation

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 14:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("criterion_results") as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
    with op.batch_alter_table("violations") as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("violations") as batch_op:
        batch_op.drop_column("confidence")
    with op.batch_alter_table("criterion_results") as batch_op:
        batch_op.drop_column("confidence")
