"""Call scripts, recordings, transcripts, criterion results and violations."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Enum, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UUID_LENGTH, Base, CreatedAtMixin, new_uuid


class CallScript(CreatedAtMixin, Base):
    __tablename__ = "call_scripts"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_call_scripts_name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    language: Mapped[str] = mapped_column(String(8))
    effective_from: Mapped[date] = mapped_column(Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ChannelLayout(str, enum.Enum):
    rep_left = "rep-left"
    rep_right = "rep-right"
    mono = "mono"


class Recording(CreatedAtMixin, Base):
    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(UUID_LENGTH), primary_key=True, default=new_uuid)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    object_key: Mapped[str] = mapped_column(String(255))
    original_filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    layout: Mapped[ChannelLayout] = mapped_column(
        Enum(ChannelLayout, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    channels: Mapped[int | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    call_started_at: Mapped[datetime]
    job_id: Mapped[int | None] = mapped_column(ForeignKey("background_jobs.id"))
    script_id: Mapped[int | None] = mapped_column(ForeignKey("call_scripts.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    expected_language: Mapped[str | None] = mapped_column(String(8))
    adherence: Mapped[float | None] = mapped_column(Float)
    analysed_at: Mapped[datetime | None]

    job = relationship("BackgroundJob", lazy="joined")
    segments = relationship(
        "TranscriptSegment", order_by="TranscriptSegment.position", cascade="all, delete-orphan"
    )
    criterion_results = relationship("CriterionResult", cascade="all, delete-orphan")


class TranscriptSegment(Base):
    __tablename__ = "transcript_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    position: Mapped[int]
    speaker: Mapped[str] = mapped_column(String(16))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(8))
    language_probability: Mapped[float | None] = mapped_column(Float)
    # the decoder's mean token log-probability (how sure it was of the words); null before 0015
    avg_logprob: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    # the word Whisper wrote where a forced-alignment check restored a script word ("подпульт")
    heard_as: Mapped[str | None] = mapped_column(String(100))


class CriterionResult(Base):
    __tablename__ = "criterion_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    criterion: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    passed: Mapped[bool]
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)  # that `passed` is right, 0.5-1


class ViolationStatus(str, enum.Enum):
    flagged = "flagged"
    confirmed = "confirmed"
    dismissed = "dismissed"


class Violation(CreatedAtMixin, Base):
    __tablename__ = "violations"
    # /today lists a rep's newest violations: read backwards from now, not every one the rep ever had.
    __table_args__ = (Index("ix_violations_rep_id_created_at", "rep_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    recording_id: Mapped[str | None] = mapped_column(ForeignKey("recordings.id"), index=True)
    criterion: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[ViolationStatus] = mapped_column(
        Enum(ViolationStatus, native_enum=False, length=16), default=ViolationStatus.flagged, index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="bot")
    score: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)  # the bot's, 0.5-1; None for people's and rules'

    note: Mapped[str | None] = mapped_column(Text)
    # system-recorded violations carry a key so a periodic job records each one once
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
