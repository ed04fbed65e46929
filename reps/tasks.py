"""Task use cases: reminder-call tasks that follow their meeting, own planned times, call logs,
expiry at the end of the deadline day, and the reminder-call violations. No Flask here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import Conflict, Invalid, NotFound
from models import (
    CallOutcome,
    Meeting,
    MeetingStatus,
    Recording,
    Role,
    Task,
    TaskKind,
    TaskState,
    User,
    Violation,
    utcnow,
)
from reps.deadlines import (
    check_own_planned_time,
    expiry_moment,
    is_expired,
    reminder_call_window,
    retry_deadline,
    should_escalate,
)
from reps.violations import record_system_violation

RETRY_CALL_WITHIN = timedelta(minutes=30)
REMINDER_CALL_MISSING = "reminder_call_missing"
REMINDER_CALL_OFF_WINDOW = "reminder_call_off_window"
CALL_TASKS = (TaskKind.reminder_call, TaskKind.retry_call)
CALLBACK_RETRY_BUSINESS_DAYS = 2
ESCALATE_AFTER_MISSED = 3
RECHECK_BUSINESS_DAYS = 5


@dataclass(frozen=True)
class FollowUpRules:
    """Seed 004, a client who cannot be reached (settings.follow_up_*): try again N business days later, tell the
    managers after the Nth missed attempt, and re-check the client some business days after that."""

    retry_business_days: int = CALLBACK_RETRY_BUSINESS_DAYS
    escalate_after: int = ESCALATE_AFTER_MISSED
    recheck_business_days: int = RECHECK_BUSINESS_DAYS

    @classmethod
    def of(cls, settings: Any) -> FollowUpRules:
        return cls(settings.follow_up_retry_business_days, settings.follow_up_escalate_after,
                   settings.follow_up_recheck_business_days)


def create_task(session: Session, *, owner: User, kind: TaskKind, title: str, deadline_at: datetime,
                meeting_id: int | None = None, note: str | None = None, remind_at: datetime | None = None,
                client_phone: str | None = None, now: datetime | None = None) -> Task:
    """A task given by staff (a callback, a follow-up) with its central deadline, or one a rep gives themselves.

    A callback always has a number to call: the meeting's client, or `client_phone` when it is about no meeting."""
    now = now or utcnow()
    if kind in (TaskKind.reminder_call, TaskKind.retry_call):
        raise Invalid("Reminder calls are created with their meeting.", errors={"kind": ["Use callback or follow_up."]})
    if deadline_at <= now:
        raise Invalid("The deadline must be in the future.", errors={"deadline_at": ["Must be in the future."]})
    meeting = session.get(Meeting, meeting_id) if meeting_id else None
    phone = (meeting.client_phone if meeting is not None else None) or client_phone
    if kind == TaskKind.callback and not phone:
        raise Invalid("A callback needs a number to call: name a meeting whose client has a phone, or send "
                      "client_phone.", errors={"client_phone": ["No phone to call."]})
    expires = expiry_moment(deadline_at, owner.time_zone)
    if remind_at is not None:
        check_remind_at(remind_at, expires, now)
    task = Task(owner_id=owner.id, kind=kind, title=title, deadline_at=deadline_at, meeting_id=meeting_id, note=note,
                remind_at=remind_at, client_phone=phone)
    session.add(task)
    session.flush()
    return task


def check_remind_at(remind_at: datetime, expires_at: datetime, now: datetime) -> datetime:
    """The rep's reminder: not in the past (a minute's grace for the phone's clock), not after the task expires."""
    if remind_at < now - timedelta(minutes=1):
        raise Invalid("The reminder time has already passed; choose a later time.",
                      errors={"remind_at": ["Must not be in the past."]})
    if remind_at > expires_at:
        raise Invalid(f"The reminder {remind_at.isoformat()} is after the task expires ({expires_at.isoformat()}); "
                      "choose a time before that.",
                      errors={"remind_at": [f"Must not be after {expires_at.isoformat()}."]})
    return remind_at


def complete_task(task: Task, note: str | None = None, now: datetime | None = None) -> Task:
    if task.state != TaskState.open:
        raise Conflict(f"The task is already {task.state.value}.")
    if task.kind in (*CALL_TASKS, TaskKind.callback):
        raise Conflict("Call tasks are completed by logging the call.")
    task.state, task.completed_at, task.updated_at = TaskState.done, now or utcnow(), now or utcnow()
    task.note = note or task.note
    return task


def create_reminder_call_task(session: Session, meeting: Meeting, tolerance: timedelta) -> Task:
    window = reminder_call_window(meeting.starts_at, tolerance)
    task = Task(
        owner_id=meeting.rep_id, kind=TaskKind.reminder_call, meeting_id=meeting.id,
        title=f"Reminder call to {meeting.client_name}", deadline_at=window.deadline_at, due_at=window.due_at,
        window_opens_at=window.opens_at, window_closes_at=window.closes_at,
    )
    session.add(task)
    session.flush()
    return task


def open_call_tasks(session: Session, meeting_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(
        Task.meeting_id == meeting_id, Task.kind.in_(CALL_TASKS), Task.state == TaskState.open)))


def follow_meeting(session: Session, meeting: Meeting, tolerance: timedelta, *, moved: bool = False) -> None:
    """Keep the meeting's reminder call in step: moved with a reschedule, cancelled with the meeting.

    When the meeting `moved` after its reminder call was already made, the client is called again
    before the new time: a new reminder call, and any retry still open for the old time is closed.
    """
    if meeting.status in (MeetingStatus.cancelled, MeetingStatus.failed, MeetingStatus.client_no_show):
        for task in open_call_tasks(session, meeting.id):
            task.state, task.updated_at = TaskState.cancelled, utcnow()
        return
    window = reminder_call_window(meeting.starts_at, tolerance)
    open_tasks = open_call_tasks(session, meeting.id)
    if moved and not any(task.kind == TaskKind.reminder_call for task in open_tasks):
        for task in open_tasks:  # retries of the call about the old time
            task.state, task.updated_at = TaskState.cancelled, utcnow()
        create_reminder_call_task(session, meeting, tolerance)
        return
    for task in open_tasks:
        task.client_phone = meeting.client_phone or task.client_phone  # the number to call follows the meeting
        if task.kind == TaskKind.reminder_call:
            task.deadline_at, task.due_at = window.deadline_at, window.due_at
            task.window_opens_at, task.window_closes_at = window.opens_at, window.closes_at
            if task.own_planned_at and task.own_planned_at > window.deadline_at:
                task.own_planned_at = None  # the rep's own time no longer fits: they plan again
            task.updated_at = utcnow()


def get_task(session: Session, viewer: User, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or (viewer.role == Role.rep and task.owner_id != viewer.id):
        raise NotFound("No such task.")
    return task


def list_tasks(session: Session, viewer: User, *, states: list[TaskState] | None = None, owner_id: int | None = None):
    statement = select(Task).order_by(Task.deadline_at, Task.id)
    if viewer.role == Role.rep:
        statement = statement.where(Task.owner_id == viewer.id)
    elif owner_id:
        statement = statement.where(Task.owner_id == owner_id)
    if states:
        statement = statement.where(Task.state.in_(states))
    return statement


def set_own_planned_time(task: Task, own_planned_at: datetime | None) -> Task:
    return plan_task(task, {"own_planned_at": own_planned_at})


def plan_task(task: Task, changes: dict[str, Any], now: datetime | None = None) -> Task:
    """The owner's own planned time (never after the deadline) and reminder (not past, not after expiry)."""
    now = now or utcnow()
    if task.state != TaskState.open:
        raise Conflict(f"The task is {task.state.value}; only open tasks can be planned.")
    if "own_planned_at" in changes:
        own = changes["own_planned_at"]
        task.own_planned_at = check_own_planned_time(own, task.deadline_at) if own else None
    if "remind_at" in changes:
        remind_at = changes["remind_at"]
        expires = task.expires_at or task.deadline_at
        task.remind_at = check_remind_at(remind_at, expires, now) if remind_at else None
        task.reminded_at = None  # a new reminder time is reminded again
    task.updated_at = now
    return task


def _violation(session: Session, meeting: Meeting, criterion: str, evidence: dict) -> Violation | None:
    return record_system_violation(session, rep_id=meeting.rep_id, meeting_id=meeting.id, criterion=criterion,
                                   dedupe_key=f"{criterion}:meeting:{meeting.id}", evidence=evidence)


@dataclass
class LoggedCall:
    """The call task as logged, and the task it led to (a retry, a callback), if any."""

    task: Task
    next_task: Task | None = None

    def __getattr__(self, name: str) -> Any:  # reads as the task itself, plus `next_task`
        return getattr(self.task, name)


def own_recording_id(session: Session, task: Task, recording_id: str | None) -> str | None:
    """The recording a call log names, if it is one the task's owner uploaded for the task's meeting.

    Any other id (unknown, another rep's, another meeting's) gets the same answer, so the answer
    tells nothing about recordings that are not the caller's."""
    if recording_id is None:
        return None
    recording = session.get(Recording, recording_id)
    if (recording is None or recording.rep_id != task.owner_id
            or (task.meeting_id is not None and recording.meeting_id != task.meeting_id)):
        raise Invalid("No recording of yours for this call has that id; upload the call (POST /api/v1/recordings) "
                      "and send the id it answered, or leave recording_id out.",
                      errors={"recording_id": ["Not one of your recordings of this meeting's call."]})
    return recording.id


def log_call(session: Session, task: Task, *, outcome: CallOutcome, called_at: datetime,
             recording_id: str | None = None, note: str | None = None, now: datetime | None = None,
             rules: FollowUpRules | None = None) -> LoggedCall:
    """Record the call; a client not reached gets the next try (`_next_try`: the decision tree)."""
    now = now or utcnow()
    if task.kind not in (*CALL_TASKS, TaskKind.callback):
        raise Conflict("Only call tasks take a call log.")
    if task.state != TaskState.open:
        raise Conflict(f"The task is already {task.state.value}.")
    if called_at > now + timedelta(minutes=5):
        raise Invalid("The call cannot be in the future.", errors={"called_at": ["Must not be in the future."]})
    recording_id = own_recording_id(session, task, recording_id)
    meeting = session.get(Meeting, task.meeting_id) if task.meeting_id else None
    task.state, task.completed_at, task.call_outcome = TaskState.done, called_at, outcome
    task.recording_id, task.note, task.updated_at = recording_id, note, now
    if task.kind == TaskKind.reminder_call and meeting is not None and called_at < meeting.starts_at:
        opens, closes = task.window_opens_at, task.window_closes_at
        assert opens is not None and closes is not None, "a reminder call is created with its window"
        if not (opens <= called_at <= closes):
            _violation(session, meeting, REMINDER_CALL_OFF_WINDOW, {
                "called_at": called_at.isoformat(), "window_opens_at": opens.isoformat(),
                "window_closes_at": closes.isoformat()})
    if outcome != CallOutcome.not_reachable:
        return LoggedCall(task)
    return LoggedCall(task, _next_try(session, task, meeting, called_at, rules or FollowUpRules()))


def _next_try(session: Session, task: Task, meeting: Meeting | None, called_at: datetime,
              rules: FollowUpRules) -> Task:
    """The decision tree for a client not reached (the task's `attempt` counts the tries so far):

    - the first reminder call, the meeting still ahead: a retry call within a short deadline, before the start;
    - the Nth missed attempt (`escalate_after`, 3): the managers are told, and the owner re-checks the client
      `recheck_business_days` later (a follow-up, which ends the chain);
    - any other miss: a callback `retry_business_days` business days later, to the end of that local day.
    """
    owner = session.get_one(User, task.owner_id)
    client = meeting.client_name if meeting is not None else None
    if task.kind == TaskKind.reminder_call and meeting is not None and called_at < meeting.starts_at \
            and task.attempt < rules.escalate_after:
        retry = Task(
            owner_id=task.owner_id, kind=TaskKind.retry_call, meeting_id=meeting.id, parent_task_id=task.id,
            title=f"Call {meeting.client_name} again", client_phone=task.client_phone,
            deadline_at=max(min(called_at + RETRY_CALL_WITHIN, meeting.starts_at), called_at),
            due_at=called_at + timedelta(minutes=10), attempt=task.attempt + 1,
        )
    elif should_escalate(task.attempt, rules.escalate_after):
        from notifications.outbox import escalate_to_managers

        escalate_to_managers(session, task, owner)
        task.note = f"escalated after {task.attempt} missed attempts" + (f"; {task.note}" if task.note else "")
        retry = Task(
            owner_id=task.owner_id, kind=TaskKind.follow_up, meeting_id=task.meeting_id, parent_task_id=task.id,
            title=f"Re-check {client or 'the client'}: not reached after {task.attempt} attempts (escalated)",
            client_phone=task.client_phone, attempt=task.attempt + 1,
            deadline_at=retry_deadline(called_at, owner.time_zone, rules.recheck_business_days),
        )
    else:
        retry = Task(
            owner_id=task.owner_id, kind=TaskKind.callback, meeting_id=task.meeting_id, parent_task_id=task.id,
            title=task.title if task.kind == TaskKind.callback else f"Call back {client or 'the client'}",
            client_phone=task.client_phone, attempt=task.attempt + 1,
            deadline_at=retry_deadline(called_at, owner.time_zone, rules.retry_business_days),
        )
    session.add(retry)
    session.flush()
    return retry


def expire_overdue_tasks(session: Session, now: datetime | None = None) -> int:
    """Open tasks turn `expired` once the owner's local day of the deadline has ended (after 23:59:59)."""
    now = now or utcnow()
    rows = session.execute(
        select(Task, User.time_zone).join(User, Task.owner_id == User.id)
        .where(Task.state == TaskState.open, Task.deadline_at < now)
    ).all()
    expired = 0
    for task, time_zone in rows:
        if is_expired(task.deadline_at, time_zone, now):
            task.state, task.updated_at = TaskState.expired, now
            expired += 1
    return expired


def record_missed_reminder_calls(session: Session, now: datetime | None = None) -> int:
    """A meeting that has started with no reminder call made gets `reminder_call_missing`, once."""
    now = now or utcnow()
    meetings = session.scalars(select(Meeting).where(
        Meeting.starts_at <= now, Meeting.starts_at >= now - timedelta(days=2), Meeting.deleted_at.is_(None),
        Meeting.status.notin_([MeetingStatus.cancelled]),
    )).all()
    recorded = 0
    for meeting in meetings:
        calls = session.scalars(select(Task).where(Task.meeting_id == meeting.id, Task.kind.in_(CALL_TASKS))).all()
        if not calls:
            continue
        made = any(t.state == TaskState.done and t.completed_at and t.completed_at <= meeting.starts_at for t in calls)
        if not made and _violation(session, meeting, REMINDER_CALL_MISSING,
                                   {"meeting_starts_at": meeting.starts_at.isoformat()}):
            recorded += 1
    return recorded
