"""support desk: tickets with their thread and attachments, deflected duplicates, incidents, and the
audited corrections of meeting records

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("incidents",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("starts_at", models_datetime(), nullable=False),
    sa.Column("ends_at", models_datetime(), nullable=True),
    sa.Column("regions", sa.JSON(), nullable=False),
    sa.Column("rep_ids", sa.JSON(), nullable=False),
    sa.Column("closed_at", models_datetime(), nullable=True),
    sa.Column("closed_by_id", sa.Integer(), nullable=True),
    sa.Column("created_by_id", sa.Integer(), nullable=False),
    sa.Column("updated_at", models_datetime(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", models_datetime(), nullable=False),
    sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_incidents_closed_by_id_users")),
    sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_incidents_created_by_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents"))
    )
    op.create_index(op.f("ix_incidents_closed_at"), "incidents", ["closed_at"])

    op.create_table("tickets",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("rep_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.Enum("meeting_record", "violation_dispute", "other", name="ticketkind", native_enum=False, length=24), nullable=False),
    sa.Column("state", sa.Enum("new", "in_progress", "waiting_for_rep", "resolved", "rejected", "closed", name="ticketstate", native_enum=False, length=24), nullable=False),
    sa.Column("subject", sa.String(length=200), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("meeting_id", sa.Integer(), nullable=True),
    sa.Column("violation_id", sa.Integer(), nullable=True),
    sa.Column("incident_id", sa.Integer(), nullable=True),
    sa.Column("resembles_ticket_id", sa.Integer(), nullable=True),
    sa.Column("resemblance", sa.Float(), nullable=True),
    sa.Column("insisted", sa.Boolean(), nullable=False),
    sa.Column("assignee_id", sa.Integer(), nullable=True),
    sa.Column("answer", sa.Text(), nullable=True),
    sa.Column("answered_by_id", sa.Integer(), nullable=True),
    sa.Column("answered_at", models_datetime(), nullable=True),
    sa.Column("response_due_at", models_datetime(), nullable=True),
    sa.Column("reopened_count", sa.Integer(), nullable=False),
    sa.Column("closed_at", models_datetime(), nullable=True),
    sa.Column("closed_by_id", sa.Integer(), nullable=True),
    sa.Column("updated_at", models_datetime(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", models_datetime(), nullable=False),
    sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"], name=op.f("fk_tickets_answered_by_id_users")),
    sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users")),
    sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_tickets_closed_by_id_users")),
    sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name=op.f("fk_tickets_incident_id_incidents")),
    sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_tickets_meeting_id_meetings")),
    sa.ForeignKeyConstraint(["rep_id"], ["users.id"], name=op.f("fk_tickets_rep_id_users")),
    sa.ForeignKeyConstraint(["resembles_ticket_id"], ["tickets.id"], name=op.f("fk_tickets_resembles_ticket_id_tickets")),
    sa.ForeignKeyConstraint(["violation_id"], ["violations.id"], name=op.f("fk_tickets_violation_id_violations")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets"))
    )
    op.create_index(op.f("ix_tickets_assignee_id"), "tickets", ["assignee_id"])
    op.create_index(op.f("ix_tickets_incident_id"), "tickets", ["incident_id"])
    op.create_index(op.f("ix_tickets_meeting_id"), "tickets", ["meeting_id"])
    op.create_index(op.f("ix_tickets_rep_id_created_at"), "tickets", ["rep_id", "created_at"])
    op.create_index(op.f("ix_tickets_state_response_due_at"), "tickets", ["state", "response_due_at"])
    op.create_index(op.f("ix_tickets_violation_id"), "tickets", ["violation_id"])

    op.create_table("meeting_corrections",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("meeting_id", sa.Integer(), nullable=False),
    sa.Column("rep_id", sa.Integer(), nullable=False),
    sa.Column("ticket_id", sa.Integer(), nullable=True),
    sa.Column("field", sa.String(length=32), nullable=False),
    sa.Column("old_value", sa.JSON(), nullable=True),
    sa.Column("new_value", sa.JSON(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("corrected_by_id", sa.Integer(), nullable=False),
    sa.Column("at", models_datetime(), nullable=False),
    sa.Column("change_seq", sa.Integer(), nullable=False),
    sa.Column("rederived", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["corrected_by_id"], ["users.id"], name=op.f("fk_meeting_corrections_corrected_by_id_users")),
    sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_corrections_meeting_id_meetings")),
    sa.ForeignKeyConstraint(["rep_id"], ["users.id"], name=op.f("fk_meeting_corrections_rep_id_users")),
    sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_meeting_corrections_ticket_id_tickets")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_corrections"))
    )
    op.create_index(op.f("ix_meeting_corrections_meeting_id"), "meeting_corrections", ["meeting_id"])
    op.create_index(op.f("ix_meeting_corrections_rep_id_at"), "meeting_corrections", ["rep_id", "at"])
    op.create_index(op.f("ix_meeting_corrections_ticket_id"), "meeting_corrections", ["ticket_id"])

    op.create_table("ticket_attachments",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("ticket_id", sa.Integer(), nullable=False),
    sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
    sa.Column("object_key", sa.String(length=255), nullable=False),
    sa.Column("filename", sa.String(length=255), nullable=True),
    sa.Column("content_type", sa.String(length=100), nullable=True),
    sa.Column("size_bytes", sa.Integer(), nullable=False),
    sa.Column("created_at", models_datetime(), nullable=False),
    sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_attachments_ticket_id_tickets")),
    sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_ticket_attachments_uploaded_by_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_attachments"))
    )
    op.create_index(op.f("ix_ticket_attachments_ticket_id"), "ticket_attachments", ["ticket_id"])

    op.create_table("ticket_deflections",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("rep_id", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("matched_ticket_id", sa.Integer(), nullable=True),
    sa.Column("matched_incident_id", sa.Integer(), nullable=True),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("insisted_ticket_id", sa.Integer(), nullable=True),
    sa.Column("created_at", models_datetime(), nullable=False),
    sa.ForeignKeyConstraint(["insisted_ticket_id"], ["tickets.id"], name=op.f("fk_ticket_deflections_insisted_ticket_id_tickets")),
    sa.ForeignKeyConstraint(["matched_incident_id"], ["incidents.id"], name=op.f("fk_ticket_deflections_matched_incident_id_incidents")),
    sa.ForeignKeyConstraint(["matched_ticket_id"], ["tickets.id"], name=op.f("fk_ticket_deflections_matched_ticket_id_tickets")),
    sa.ForeignKeyConstraint(["rep_id"], ["users.id"], name=op.f("fk_ticket_deflections_rep_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_deflections"))
    )
    op.create_index(op.f("ix_ticket_deflections_rep_id_created_at"), "ticket_deflections", ["rep_id", "created_at"])

    op.create_table("ticket_messages",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("ticket_id", sa.Integer(), nullable=False),
    sa.Column("author_id", sa.Integer(), nullable=True),
    sa.Column("author_role", sa.String(length=16), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("state_from", sa.String(length=24), nullable=True),
    sa.Column("state_to", sa.String(length=24), nullable=True),
    sa.Column("created_at", models_datetime(), nullable=False),
    sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_ticket_messages_author_id_users")),
    sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_messages_ticket_id_tickets")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages"))
    )
    op.create_index(op.f("ix_ticket_messages_ticket_id"), "ticket_messages", ["ticket_id"])


def downgrade() -> None:
    for table in ("ticket_messages", "ticket_deflections", "ticket_attachments", "meeting_corrections", "tickets", "incidents"):
        op.drop_table(table)  # its indexes go with it


def models_datetime() -> sa.types.TypeEngine:
    import models.base

    return models.base.UTCDateTime()
