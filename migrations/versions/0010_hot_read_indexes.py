"""composite indexes for the reads phones poll: a day's route, open tasks by deadline, changes since,
the newest violations (flat in a rep's history)

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-26 12:00:00
"""
from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_meetings_rep_id_starts_at", "meetings", ["rep_id", "starts_at", "id"]),
    ("ix_meetings_rep_id_change_seq", "meetings", ["rep_id", "change_seq"]),
    ("ix_tasks_owner_id_state_deadline_at", "tasks", ["owner_id", "state", "deadline_at", "id"]),
    ("ix_violations_rep_id_created_at", "violations", ["rep_id", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
