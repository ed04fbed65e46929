"""Meetings on a rep's route.

The route-plan issue grows this module (lifecycle, outcomes, reminder-call tasks); the
voice-compliance bot needs only the meeting a recorded call belongs to.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin


class MeetingStatus(str, enum.Enum):
    planned = "planned"
    confirmed = "confirmed"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"
    rescheduled = "rescheduled"
    client_no_show = "client_no_show"
    failed = "failed"


class Meeting(CreatedAtMixin, Base):
    __tablename__ = "meetings"
    # The reads a phone polls stay flat in a rep's history: a day's route is one index range already in
    # (starts_at, id) order, and "changes since" one range of the rep's change_seq.
    __table_args__ = (
        Index("ix_meetings_rep_id_starts_at", "rep_id", "starts_at", "id"),
        Index("ix_meetings_rep_id_change_seq", "rep_id", "change_seq"),
        # The figures (reports/) count a rep's local days by status and cause from the index alone.
        Index("ix_meetings_rep_id_route_day_status", "rep_id", "route_day", "status", "caused_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client_name: Mapped[str] = mapped_column(String(200))
    client_phone: Mapped[str | None] = mapped_column(String(32))
    client_email: Mapped[str | None] = mapped_column(String(254))
    client_language: Mapped[str] = mapped_column(String(8), default="ru")
    english_speaking_client: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    offers: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[MeetingStatus] = mapped_column(
        Enum(MeetingStatus, native_enum=False, length=24), default=MeetingStatus.planned
    )
    route_day: Mapped[date | None] = mapped_column(Date, index=True)  # the rep's local day
    status_reason: Mapped[str | None] = mapped_column(Text)
    # who caused a cancellation or a reschedule (client | rep): the metrics depend on it
    caused_by: Mapped[str | None] = mapped_column(String(16))
    place_change_requested_by: Mapped[str | None] = mapped_column(String(16))
    offers_presented: Mapped[list[str]] = mapped_column(JSON, default=list)
    offers_accepted: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    change_seq: Mapped[int] = mapped_column(default=0, index=True)
    deleted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    # Every UPDATE carries `WHERE version = <the version read>`: of two concurrent changes one wins and
    # the other fails (StaleDataError -> 409). The service raises the version once per change itself,
    # since one change may take several flushes.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class MeetingChange(Base):
    """Every change of a meeting, in order: the history, and the feed behind "changes since"."""

    __tablename__ = "meeting_changes"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    rep_id: Mapped[int] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(32))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]

