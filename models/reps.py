"""The morning check: versioned checklists, and each rep's check of the day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin


class ChecklistVersion(CreatedAtMixin, Base):
    __tablename__ = "checklist_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    effective_from: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class MorningCheck(CreatedAtMixin, Base):
    __tablename__ = "morning_checks"
    __table_args__ = (UniqueConstraint("rep_id", "day", name="uq_morning_checks_rep_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # the rep's local day
    selfie_key: Mapped[str | None] = mapped_column(String(255))
    selfie_taken_at: Mapped[datetime | None]
    selfie_uploaded_at: Mapped[datetime | None]
    selfie_status: Mapped[str | None] = mapped_column(String(16), index=True)  # pending | approved | rejected
    selfie_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    selfie_reviewed_at: Mapped[datetime | None]
    selfie_reject_reason: Mapped[str | None] = mapped_column(Text)
    checklist_version_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_versions.id"))
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    checklist_submitted_at: Mapped[datetime | None]
    checklist_failures: Mapped[list[str] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # the rep resubmits while a supervisor reviews
