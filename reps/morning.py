"""Morning-check use cases: selfie, checklist, supervisor review, and its violations. No Flask."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Literal, overload
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import Conflict, Invalid, NotFound
from models import (
    ChecklistVersion,
    Meeting,
    MeetingStatus,
    MorningCheck,
    Role,
    User,
    utcnow,
)
from reps.checklist import DEFAULT_QUESTIONS, failed_rules, validate_answers
from reps.selfie import ImageLimits, check_selfie
from reps.violations import record_system_violation
from routes.service import local_day_bounds, today_for
from storage.objects import ObjectStore, new_object_key

MISSING, FAILED = "morning_check_missing", "morning_check_failed"


def checklist_in_force(session: Session, day: date, *, store_default: bool = False) -> ChecklistVersion:
    """The version in force on `day`; before any manager published one, the default set (stored
    only when answers are about to reference it, so reading never writes)."""
    row = session.scalar(select(ChecklistVersion).where(ChecklistVersion.effective_from <= day)
                         .order_by(ChecklistVersion.effective_from.desc(), ChecklistVersion.version.desc()).limit(1))
    if row is None:
        row = ChecklistVersion(version=1, questions=DEFAULT_QUESTIONS, effective_from=date(2000, 1, 1))
        if store_default:
            session.add(row)
            session.flush()
    return row


def add_checklist_version(session: Session, questions: list[dict], effective_from: date,
                          author: User) -> ChecklistVersion:
    latest = session.scalar(select(ChecklistVersion.version).order_by(ChecklistVersion.version.desc()).limit(1)) or 0
    row = ChecklistVersion(version=latest + 1, questions=questions, effective_from=effective_from,
                           created_by_id=author.id)
    session.add(row)
    session.flush()
    return row


@overload
def check_of_day(session: Session, rep: User, day: date, create: Literal[False] = False) -> MorningCheck | None: ...
@overload
def check_of_day(session: Session, rep: User, day: date, create: Literal[True]) -> MorningCheck: ...
def check_of_day(session: Session, rep: User, day: date, create: bool = False) -> MorningCheck | None:
    check = session.scalar(select(MorningCheck).where(MorningCheck.rep_id == rep.id, MorningCheck.day == day))
    if check is None and create:
        check = MorningCheck(rep_id=rep.id, day=day)
        session.add(check)
        session.flush()
    return check


def instant_card_meetings(session: Session, rep: User, day: date, products: set[str]) -> int:
    start, end = local_day_bounds(day, rep.time_zone)
    meetings = session.scalars(select(Meeting).where(
        Meeting.rep_id == rep.id, Meeting.starts_at >= start, Meeting.starts_at < end, Meeting.deleted_at.is_(None),
        Meeting.status.notin_([MeetingStatus.cancelled]))).all()
    return sum(1 for meeting in meetings if products & set(meeting.products or []))


def _violation(session: Session, rep: User, day: date, criterion: str, evidence: dict) -> bool:
    """Record it once; True if this call recorded it."""
    return record_system_violation(session, rep_id=rep.id, criterion=criterion, evidence=evidence,
                                   dedupe_key=f"{criterion}:{rep.id}:{day.isoformat()}") is not None


def submit_selfie(session: Session, store: ObjectStore, rep: User, data: bytes, max_bytes: int,
                  now: datetime | None = None, limits: ImageLimits | None = None) -> MorningCheck:
    now = now or utcnow()
    if len(data) > max_bytes:
        raise Invalid(f"The photo is larger than {max_bytes // (1024 * 1024)} MB.", errors={"file": ["Too large."]})
    day = today_for(rep, now)
    checked = check_selfie(data, today=day, time_zone=rep.time_zone, limits=limits)
    if checked.taken_at is None:  # else a screenshot or an old photo, stripped, would pass as taken today
        raise Invalid("The photo carries no time it was taken (EXIF), so it cannot be shown to be from today; "
                      "take the selfie with the phone's camera and send the original file.",
                      errors={"file": ["No capture time."]})
    check = check_of_day(session, rep, day, create=True)
    if check.selfie_status == "approved":
        raise Conflict("Today's selfie is already approved.")
    key = new_object_key(f"selfies/{rep.id}", ".jpg")
    store.put(key, io.BytesIO(checked.jpeg), "image/jpeg")
    check.selfie_key, check.selfie_status, check.selfie_uploaded_at = key, "pending", now
    check.selfie_taken_at = checked.taken_at
    check.selfie_reject_reason = check.selfie_reviewed_at = check.selfie_reviewed_by_id = None
    return check


def submit_checklist(session: Session, rep: User, answers: dict, products: set[str],
                     now: datetime | None = None) -> MorningCheck:
    now = now or utcnow()
    day = today_for(rep, now)
    version = checklist_in_force(session, day, store_default=True)
    cleaned = validate_answers(version.questions, answers)
    check = check_of_day(session, rep, day, create=True)
    if check.checklist_submitted_at is not None:
        raise Conflict("Today's checklist is already submitted.")
    failures = failed_rules(version.questions, cleaned, instant_card_meetings(session, rep, day, products))
    check.checklist_version_id, check.answers, check.checklist_submitted_at = version.id, cleaned, now
    check.checklist_failures = failures
    if failures:
        _violation(session, rep, day, FAILED, {"day": day.isoformat(), "reasons": failures})
    return check


def review_selfie(session: Session, reviewer: User, check: MorningCheck, decision: str, reason: str | None,
                  now: datetime | None = None) -> MorningCheck:
    if check.selfie_status != "pending":
        raise Conflict(f"The selfie is {check.selfie_status or 'not uploaded'}; only pending selfies are reviewed.")
    if decision == "reject" and not (reason or "").strip():
        raise Invalid("Say why the selfie is rejected.", errors={"reason": ["Required when rejecting."]})
    check.selfie_status = "approved" if decision == "approve" else "rejected"
    check.selfie_reviewed_by_id, check.selfie_reviewed_at = reviewer.id, now or utcnow()
    check.selfie_reject_reason = (reason or "").strip() or None
    if decision == "reject":
        rep = session.get_one(User, check.rep_id)
        _violation(session, rep, check.day, FAILED, {"day": check.day.isoformat(),
                                                     "reasons": [f"selfie rejected: {check.selfie_reject_reason}"]})
    return check


def get_check(session: Session, viewer: User, check_id: int) -> MorningCheck:
    check = session.get(MorningCheck, check_id)
    if check is None or (viewer.role == Role.rep and check.rep_id != viewer.id):
        raise NotFound("No such morning check.")
    return check


def record_missing_morning_checks(session: Session, deadline: str, now: datetime | None = None) -> int:
    """After the deadline in each rep's zone: no selfie and checklist submitted in time -> missing."""
    now = now or utcnow()
    hours, minutes = (int(part) for part in deadline.split(":"))
    recorded = 0
    for rep in session.scalars(select(User).where(User.role == Role.rep, User.is_active.is_(True))):
        zone = ZoneInfo(rep.time_zone)
        day = now.astimezone(zone).date()
        cutoff = datetime.combine(day, time(hours, minutes), zone)
        if now < cutoff:
            continue
        check = check_of_day(session, rep, day)
        on_time = (check is not None and check.selfie_uploaded_at is not None and check.selfie_uploaded_at <= cutoff
                   and check.checklist_submitted_at is not None and check.checklist_submitted_at <= cutoff)
        if not on_time and _violation(session, rep, day, MISSING, {"day": day.isoformat(), "deadline": deadline}):
            recorded += 1
    return recorded


def deadline_at(day: date, time_zone: str, deadline: str) -> datetime:
    """The morning-check deadline ("09:00", the rep's local time) of `day` as an instant."""
    return datetime.combine(day, time.fromisoformat(deadline), ZoneInfo(time_zone))


def submitted_late(check: MorningCheck | None, cutoff: datetime) -> bool:
    return check is not None and any(moment is not None and moment > cutoff
                                     for moment in (check.selfie_uploaded_at, check.checklist_submitted_at))
