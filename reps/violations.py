"""Violations the system records by itself (morning check, reminder calls): each one once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Violation, ViolationStatus


def record_system_violation(session: Session, *, rep_id: int, criterion: str, dedupe_key: str, evidence: dict,
                            meeting_id: int | None = None) -> Violation | None:
    """Add the violation unless one with the same key exists; returns it, or None if already there."""
    if session.scalar(select(Violation.id).where(Violation.dedupe_key == dedupe_key)) is not None:
        return None
    violation = Violation(rep_id=rep_id, meeting_id=meeting_id, criterion=criterion, source="system",
                          status=ViolationStatus.flagged, evidence=evidence, dedupe_key=dedupe_key)
    session.add(violation)
    return violation
