"""Support corrects a meeting record: each changed field kept with old and new value, reason, author, time and
ticket, written into the meeting's change log, the violations built on the meeting re-derived, the rep told.
Figures read the meeting as corrected; `corrections_of` lets them list and explain what changed. No Flask."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from errors import Invalid
from models import (
    Meeting,
    MeetingChange,
    MeetingCorrection,
    MeetingStatus,
    Role,
    Task,
    TaskState,
    Ticket,
    User,
    Violation,
    ViolationStatus,
    utcnow,
)
from notifications import outbox
from reps import tasks as task_service
from reps.violations import record_system_violation
from routes.lifecycle import CAUSES
from routes.service import DEFAULT_TOLERANCE, check_if_match
from routes.service import _record as record_meeting_change  # the one change log of a meeting

CORRECTABLE = ("status", "caused_by", "status_reason", "offers_presented", "offers_accepted")
CAUSED_STATES = (MeetingStatus.cancelled, MeetingStatus.rescheduled)
CORRECTION_NOTE = "Re-derived after meeting correction"


def _reminder_call_owed(meeting: Meeting) -> bool:
    # as reps.tasks.record_missed_reminder_calls decides it: every meeting but a cancelled one needs its call
    return meeting.status != MeetingStatus.cancelled


# The violations a meeting's record decides, by criterion: does it stand for the meeting as it is now?
STANDS: dict[str, Callable[[Meeting], bool]] = {
    task_service.REMINDER_CALL_MISSING: _reminder_call_owed,
    task_service.REMINDER_CALL_OFF_WINDOW: _reminder_call_owed,
}


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def _target(meeting: Meeting, changes: dict[str, Any]) -> dict[str, Any]:
    """The corrected record (the fields support may correct), checked as a whole."""
    wanted = {name: _value(getattr(meeting, name)) for name in CORRECTABLE}
    wanted.update({name: _value(value) for name, value in changes.items() if name in CORRECTABLE})
    errors: dict[str, list[str]] = {}
    status = MeetingStatus(wanted["status"])
    if status in CAUSED_STATES:
        if wanted["caused_by"] not in CAUSES:
            errors["caused_by"] = [f"A {status.value} meeting says who caused it: 'client' or 'rep'."]
    elif "caused_by" in changes and changes["caused_by"] is not None:
        errors["caused_by"] = [f"A {status.value} meeting has no cause; send null or leave it out."]
    else:
        wanted["caused_by"] = None  # a cause belongs to a cancellation or a reschedule only
    presented, accepted = list(wanted["offers_presented"] or []), list(wanted["offers_accepted"] or [])
    if not set(accepted) <= set(presented):
        errors["offers_accepted"] = ["Every accepted offer must be in offers_presented."]
    if errors:
        raise Invalid("The corrected record does not hold together: " + ", ".join(sorted(errors)) + ".",
                      errors=errors)
    wanted["offers_presented"], wanted["offers_accepted"] = presented, accepted
    if wanted["status_reason"] is not None:
        wanted["status_reason"] = wanted["status_reason"].strip() or None
    return wanted


def correct_meeting(session: Session, actor: User, meeting: Meeting, changes: dict[str, Any], reason: str,
                    if_match: str | None, ticket: Ticket | None = None, tolerance: timedelta | None = None,
                    now: datetime | None = None) -> list[MeetingCorrection]:
    now = now or utcnow()
    check_if_match(meeting, if_match)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say why the record is corrected.", errors={"reason": ["Required."]})
    if ticket is not None and ticket.rep_id != meeting.rep_id:
        raise Invalid("That ticket is another rep's; correct a meeting from its rep's ticket.",
                      errors={"ticket_id": ["Not a ticket of this meeting's rep."]})
    wanted = _target(meeting, changes)
    diff = {name: {"old": _value(getattr(meeting, name)), "new": wanted[name]}
            for name in CORRECTABLE if _value(getattr(meeting, name)) != wanted[name]}
    if not diff:
        raise Invalid("The record already says that; nothing to correct.", errors={"changes": ["No change."]})
    for name, values in diff.items():
        setattr(meeting, name, MeetingStatus(values["new"]) if name == "status" else values["new"])
    record_meeting_change(session, meeting, "corrected", actor,
                          {**diff, "reason": reason, "ticket_id": ticket.id if ticket else None})
    task_service.follow_meeting(session, meeting, tolerance or DEFAULT_TOLERANCE)
    rederived = rederive_violations(session, meeting, f"{CORRECTION_NOTE} (change #{meeting.change_seq}): {reason}",
                                    now)
    ticket_id = ticket.id if ticket else None
    corrections = [MeetingCorrection(meeting_id=meeting.id, rep_id=meeting.rep_id, ticket_id=ticket_id,
                                     field=name, old_value=values["old"], new_value=values["new"], reason=reason,
                                     corrected_by_id=actor.id, at=now, change_seq=meeting.change_seq,
                                     rederived=rederived)
                   for name, values in diff.items()]
    session.add_all(corrections)
    if ticket is not None:
        from support.service import _note

        if ticket.meeting_id is None:
            ticket.meeting_id = meeting.id
        summary = "; ".join(f"{name}: {values['old']} → {values['new']}" for name, values in diff.items())
        _note(session, ticket, actor, "event", f"Meeting #{meeting.id} corrected ({summary}). Reason: {reason}")
        ticket.updated_at = now
    rep = session.get_one(User, meeting.rep_id)
    outbox.enqueue(session, channel="email", kind="meeting_corrected", recipient=rep.email,
                   subject=f"Your meeting with {meeting.client_name} was corrected",
                   body="\n".join(f"{name}: {values['old']} → {values['new']}" for name, values in diff.items())
                   + f"\nReason: {reason}", dedupe_key=f"meeting-corrected:{meeting.change_seq}")
    session.flush()
    return corrections


def rederive_violations(session: Session, meeting: Meeting, note: str, now: datetime) -> list[dict[str, Any]]:
    """Bring the violations the meeting's record decides in line with the record as it is now: one that no
    longer stands is dismissed; one a correction dismissed and that stands again is flagged again; a reminder
    call now owed for a meeting that has started without it is recorded (once)."""
    changed = []
    found = session.scalars(select(Violation).where(Violation.meeting_id == meeting.id,
                                                    Violation.criterion.in_(list(STANDS)))).all()
    for violation in found:
        stands = STANDS[violation.criterion](meeting)
        old = violation.status
        if not stands and violation.status != ViolationStatus.dismissed:
            violation.status, violation.note = ViolationStatus.dismissed, note
        elif stands and old == ViolationStatus.dismissed and (violation.note or "").startswith(CORRECTION_NOTE):
            violation.status, violation.note = ViolationStatus.flagged, note
        if violation.status != old:
            changed.append({"violation_id": violation.id, "criterion": violation.criterion,
                            "status": {"old": old.value, "new": violation.status.value}})
    criterion = task_service.REMINDER_CALL_MISSING
    if (_reminder_call_owed(meeting) and meeting.starts_at <= now
            and not any(violation.criterion == criterion for violation in found)):
        calls = session.scalars(select(Task).where(Task.meeting_id == meeting.id,
                                                   Task.kind.in_(task_service.CALL_TASKS))).all()
        made = any(task.state == TaskState.done and task.completed_at and task.completed_at <= meeting.starts_at
                   for task in calls)
        if calls and not made:
            recorded = record_system_violation(session, rep_id=meeting.rep_id, meeting_id=meeting.id,
                                               criterion=criterion, dedupe_key=f"{criterion}:meeting:{meeting.id}",
                                               evidence={"meeting_starts_at": meeting.starts_at.isoformat(),
                                                         "note": note})
            if recorded is not None:
                session.flush()
                changed.append({"violation_id": recorded.id, "criterion": criterion,
                                "status": {"old": None, "new": recorded.status.value}})
    return changed


def corrections_of(viewer: User, *, rep_id: int | None = None, meeting_id: int | None = None,
                   ticket_id: int | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> Select[Any]:
    """Corrections in the order they were made; a rep's own only. The figures' query (issue 17) too."""
    statement = select(MeetingCorrection).order_by(MeetingCorrection.at, MeetingCorrection.id)
    if viewer.role == Role.rep:
        statement = statement.where(MeetingCorrection.rep_id == viewer.id)
    elif rep_id is not None:
        statement = statement.where(MeetingCorrection.rep_id == rep_id)
    if meeting_id is not None:
        statement = statement.where(MeetingCorrection.meeting_id == meeting_id)
    if ticket_id is not None:
        statement = statement.where(MeetingCorrection.ticket_id == ticket_id)
    if since is not None:
        statement = statement.where(MeetingCorrection.at >= since)
    if until is not None:
        statement = statement.where(MeetingCorrection.at < until)
    return statement


def history(session: Session, meeting: Meeting) -> list[MeetingChange]:
    """The meeting's change log, oldest first: planning, every transition, every correction."""
    return list(session.scalars(select(MeetingChange).where(MeetingChange.meeting_id == meeting.id)
                                .order_by(MeetingChange.seq)))
