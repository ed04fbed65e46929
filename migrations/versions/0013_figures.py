"""figures for managers: personal-offer targets per rep and month, and the index the figures count from

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("offer_targets",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("rep_id", sa.Integer(), nullable=False),
    sa.Column("month", sa.Date(), nullable=False),
    sa.Column("offers_presented", sa.Integer(), nullable=False),
    sa.Column("offers_accepted", sa.Integer(), nullable=False),
    sa.Column("created_at", models_datetime(), nullable=False),
    sa.ForeignKeyConstraint(["rep_id"], ["users.id"], name=op.f("fk_offer_targets_rep_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_targets")),
    sa.UniqueConstraint("rep_id", "month", name="uq_offer_targets_rep_id_month"),
    )
    op.create_index("ix_meetings_rep_id_route_day_status", "meetings", ["rep_id", "route_day", "status", "caused_by"])


def downgrade() -> None:
    op.drop_index("ix_meetings_rep_id_route_day_status", table_name="meetings")
    op.drop_table("offer_targets")


def models_datetime() -> sa.types.TypeEngine:
    import models.base

    return models.base.UTCDateTime()
