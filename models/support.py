"""The support desk: tickets with their thread and attachments, deflected duplicates, incidents, and the
audited corrections support makes to meeting records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin


class TicketState(str, enum.Enum):
    new = "new"
    in_progress = "in_progress"
    waiting_for_rep = "waiting_for_rep"
    resolved = "resolved"
    rejected = "rejected"
    closed = "closed"


class TicketKind(str, enum.Enum):
    meeting_record = "meeting_record"  # a wrong status, cause of a cancel/reschedule, offer result, a missing meeting
    violation_dispute = "violation_dispute"  # a confirmed violation the rep disputes
    other = "other"


class Incident(CreatedAtMixin, Base):
    """A published outage or known problem; reps it affects see it while it is active."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    # whom it affects: reps of these regions and these reps; both empty: every rep
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    rep_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Ticket(CreatedAtMixin, Base):
    __tablename__ = "tickets"
    # support's queue: open tickets by response deadline; a rep's recent tickets (deflection, their list)
    __table_args__ = (
        Index("ix_tickets_state_response_due_at", "state", "response_due_at"),
        Index("ix_tickets_rep_id_created_at", "rep_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[TicketKind] = mapped_column(Enum(TicketKind, native_enum=False, length=24))
    state: Mapped[TicketState] = mapped_column(Enum(TicketState, native_enum=False, length=24),
                                               default=TicketState.new)
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    violation_id: Mapped[int | None] = mapped_column(ForeignKey("violations.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    # what the rep was shown as a likely duplicate and created the ticket anyway (insisted)
    resembles_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    resemblance: Mapped[float | None] = mapped_column(Float)
    insisted: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    # the central deadline for support's next response; None while the ticket waits for the rep or is done
    response_due_at: Mapped[datetime | None]
    reopened_count: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class TicketMessage(CreatedAtMixin, Base):
    """The ticket's thread: messages, support's questions and answers, and each change of state."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # message | question | answer | reopen | event
    body: Mapped[str] = mapped_column(Text)
    state_from: Mapped[str | None] = mapped_column(String(24))
    state_to: Mapped[str | None] = mapped_column(String(24))


class TicketAttachment(CreatedAtMixin, Base):
    """A file (a photo of a document) in object storage, attached to a ticket."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    object_key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int]


class TicketDeflection(CreatedAtMixin, Base):
    """A ticket not created because it resembled an answered ticket or an active incident; `insisted_ticket_id`
    is the ticket the rep created anyway."""

    __tablename__ = "ticket_deflections"
    __table_args__ = (Index("ix_ticket_deflections_rep_id_created_at", "rep_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    matched_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    matched_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    score: Mapped[float] = mapped_column(Float)
    insisted_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class MeetingCorrection(Base):
    """One field of a meeting record corrected by support: old and new value, why, who, when, and the ticket.

    Figures read the meeting as corrected; this table says what was changed and lets them be explained.
    """

    __tablename__ = "meeting_corrections"
    __table_args__ = (Index("ix_meeting_corrections_rep_id_at", "rep_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    corrected_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    change_seq: Mapped[int]  # the meeting change log's entry (meeting_changes.seq) this correction made
    # violations the correction re-derived: [{"violation_id", "criterion", "status": {"old", "new"}}]
    rederived: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
