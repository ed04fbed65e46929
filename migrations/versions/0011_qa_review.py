"""QA review: claims on flagged calls, decisions with every version kept, proposed script examples and
near-misses from reviewers' marks, reps' disputes of confirmed violations

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", models_datetime(), nullable=False),
        sa.Column("expires_at", models_datetime(), nullable=False),
        sa.Column("finished_at", models_datetime(), nullable=True),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], name=op.f("fk_qa_claims_recording_id_recordings")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_qa_claims_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_claims")),
        sa.UniqueConstraint("recording_id", "slot", name="uq_qa_claims_recording_id_slot"),
    )
    op.create_index(op.f("ix_qa_claims_recording_id"), "qa_claims", ["recording_id"])
    op.create_index(op.f("ix_qa_claims_reviewer_id"), "qa_claims", ["reviewer_id"])
    op.create_table(
        "qa_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("revises_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models_datetime(), nullable=False),
        sa.ForeignKeyConstraint(["violation_id"], ["violations.id"], name=op.f("fk_qa_decisions_violation_id_violations")),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], name=op.f("fk_qa_decisions_recording_id_recordings")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_qa_decisions_reviewer_id_users")),
        sa.ForeignKeyConstraint(["revises_id"], ["qa_decisions.id"], name=op.f("fk_qa_decisions_revises_id_qa_decisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_decisions")),
        sa.UniqueConstraint("violation_id", "seq", name="uq_qa_decisions_violation_id_seq"),
    )
    op.create_index(op.f("ix_qa_decisions_violation_id"), "qa_decisions", ["violation_id"])
    op.create_index(op.f("ix_qa_decisions_recording_id"), "qa_decisions", ["recording_id"])
    op.create_index(op.f("ix_qa_decisions_reviewer_id"), "qa_decisions", ["reviewer_id"])
    op.create_table(
        "qa_example_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("script_name", sa.String(length=100), nullable=False),
        sa.Column("criterion", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("recording_id", sa.String(length=32), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", models_datetime(), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("published_script_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", models_datetime(), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["qa_decisions.id"],
                                name=op.f("fk_qa_example_proposals_decision_id_qa_decisions")),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"],
                                name=op.f("fk_qa_example_proposals_recording_id_recordings")),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["users.id"],
                                name=op.f("fk_qa_example_proposals_proposed_by_id_users")),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"],
                                name=op.f("fk_qa_example_proposals_reviewed_by_id_users")),
        sa.ForeignKeyConstraint(["published_script_id"], ["call_scripts.id"],
                                name=op.f("fk_qa_example_proposals_published_script_id_call_scripts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_example_proposals")),
    )
    op.create_index(op.f("ix_qa_example_proposals_decision_id"), "qa_example_proposals", ["decision_id"])
    op.create_index(op.f("ix_qa_example_proposals_status"), "qa_example_proposals", ["status"])
    op.create_index("ix_qa_example_proposals_status_criterion", "qa_example_proposals", ["status", "criterion"])
    op.create_table(
        "violation_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models_datetime(), nullable=False),
        sa.ForeignKeyConstraint(["violation_id"], ["violations.id"],
                                name=op.f("fk_violation_disputes_violation_id_violations")),
        sa.ForeignKeyConstraint(["rep_id"], ["users.id"], name=op.f("fk_violation_disputes_rep_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation_disputes")),
        sa.UniqueConstraint("violation_id", name=op.f("uq_violation_disputes_violation_id")),
    )
    op.create_index(op.f("ix_violation_disputes_rep_id"), "violation_disputes", ["rep_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_violation_disputes_rep_id"), table_name="violation_disputes")
    op.drop_table("violation_disputes")
    op.drop_index("ix_qa_example_proposals_status_criterion", table_name="qa_example_proposals")
    op.drop_index(op.f("ix_qa_example_proposals_status"), table_name="qa_example_proposals")
    op.drop_index(op.f("ix_qa_example_proposals_decision_id"), table_name="qa_example_proposals")
    op.drop_table("qa_example_proposals")
    op.drop_index(op.f("ix_qa_decisions_reviewer_id"), table_name="qa_decisions")
    op.drop_index(op.f("ix_qa_decisions_recording_id"), table_name="qa_decisions")
    op.drop_index(op.f("ix_qa_decisions_violation_id"), table_name="qa_decisions")
    op.drop_table("qa_decisions")
    op.drop_index(op.f("ix_qa_claims_reviewer_id"), table_name="qa_claims")
    op.drop_index(op.f("ix_qa_claims_recording_id"), table_name="qa_claims")
    op.drop_table("qa_claims")


def models_datetime() -> sa.types.TypeEngine:
    import models.base

    return models.base.UTCDateTime()
