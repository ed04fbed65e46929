"""Meetings on a rep's route.

The route-plan issue grows this module (lifecycle, outcomes, reminder-call tasks); the
voice-compliance bot needs only the meeting a recorded call belongs to.
"""

from __future__ import annotations

import enum
from datetime import datetime
from sqlalchemy import JSON, Boolean, Enum, ForeignKey, String, Text
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
    updated_at: Mapped[datetime | None]

