"""the decoder's mean token log-probability per transcript segment, so a stored transcript is judged again
(QA's re-scoring of a proposed script version) exactly as the bot judged it

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 18:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transcript_segments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avg_logprob', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('transcript_segments', schema=None) as batch_op:
        batch_op.drop_column('avg_logprob')
