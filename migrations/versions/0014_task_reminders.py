"""tasks: the rep's own reminder (remind_at), the expiry moment (expires_at) and the client's phone to call

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 18:00:00
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("remind_at", models_datetime(), nullable=True))
        batch.add_column(sa.Column("expires_at", models_datetime(), nullable=True))
        batch.add_column(sa.Column("client_phone", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    connection.execute(sa.text(
        "UPDATE tasks SET client_phone = (SELECT meetings.client_phone FROM meetings WHERE meetings.id = tasks.meeting_id)"
        " WHERE meeting_id IS NOT NULL"))
    rows = connection.execute(sa.text(
        "SELECT tasks.id, tasks.deadline_at, users.time_zone FROM tasks JOIN users ON users.id = tasks.owner_id")).all()
    for task_id, deadline_at, time_zone in rows:  # 23:59:59 of the deadline's day in the owner's zone (reps.deadlines)
        if isinstance(deadline_at, str):
            deadline_at = datetime.fromisoformat(deadline_at)
        zone = ZoneInfo(time_zone or "UTC")
        local_day = deadline_at.replace(tzinfo=UTC).astimezone(zone).date()
        expires = datetime.combine(local_day + timedelta(days=1), time.min, zone) - timedelta(seconds=1)
        connection.execute(sa.text("UPDATE tasks SET expires_at = :expires WHERE id = :id"),
                           {"expires": expires.astimezone(UTC).replace(tzinfo=None), "id": task_id})


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("client_phone")
        batch.drop_column("expires_at")
        batch.drop_column("remind_at")


def models_datetime() -> sa.types.TypeEngine:
    import models.base

    return models.base.UTCDateTime()
