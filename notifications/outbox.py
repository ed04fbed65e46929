"""Queue notifications with the change that causes them; deliver due ones with retries."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Meeting, Task, TaskState, User, utcnow
from models.notifications import Notification, NotificationState
from notifications.channels import Channel, DeliveryError

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
RETRY_BASE = timedelta(minutes=1)


def enqueue(session: Session, *, channel: str, kind: str, recipient: str | None, subject: str, body: str,
            dedupe_key: str, send_at: datetime | None = None) -> Notification | None:
    """Add a message to the outbox (in the caller's transaction); the same dedupe key is queued once."""
    if not recipient:
        return None
    if session.scalar(select(Notification).where(Notification.dedupe_key == dedupe_key)) is not None:
        return None
    notification = Notification(channel=channel, kind=kind, recipient=recipient, subject=subject, body=body,
                                dedupe_key=dedupe_key, next_attempt_at=send_at or utcnow())
    session.add(notification)
    return notification


def _local(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%d.%m.%Y %H:%M")


def notify_client_of_meeting_time(session: Session, meeting: Meeting, rep: User) -> None:
    """The client learns the meeting's time (again after each reschedule): email now."""
    when = f"{_local(meeting.starts_at, rep.time_zone)}–{meeting.ends_at.astimezone(ZoneInfo(rep.time_zone)):%H:%M}"
    if meeting.english_speaking_client:
        subject = f"Your meeting with the bank: {when}"
        body = (f"Dear {meeting.client_name},\n\nour representative {rep.full_name} will meet you on {when} "
                f"({rep.time_zone}) at {meeting.address}.\nThey will call you about an hour before. "
                "Please have your passport with you.\n")
    else:
        subject = f"Встреча с представителем банка: {when}"
        body = (f"Здравствуйте, {meeting.client_name}!\n\nНаш представитель {rep.full_name} встретится с вами "
                f"{when} ({rep.time_zone}) по адресу: {meeting.address}.\nПримерно за час до встречи он вам позвонит. "
                "Пожалуйста, не забудьте паспорт.\n")
    enqueue(session, channel="email", kind="client_meeting_time", recipient=meeting.client_email, subject=subject,
            body=body, dedupe_key=f"meeting-time:{meeting.id}:{meeting.starts_at.isoformat()}")


def queue_call_reminders(session: Session, now: datetime | None = None) -> int:
    """Remind reps of their calls before the time they planned (or the due time)."""
    now = now or utcnow()
    horizon = now + timedelta(hours=2)
    rows = session.execute(
        select(Task, User).join(User, Task.owner_id == User.id)
        .where(Task.state == TaskState.open, Task.reminded_at.is_(None), Task.deadline_at > now,
               Task.deadline_at < horizon + timedelta(hours=2))
    ).all()
    queued = 0
    for task, owner in rows:
        planned = task.own_planned_at or task.due_at or task.deadline_at
        if planned - timedelta(minutes=task.remind_minutes_before) > now:
            continue
        enqueue(session, channel="email", kind="rep_call_reminder", recipient=owner.email,
                subject=f"Call due at {_local(planned, owner.time_zone)}: {task.title}",
                body=(f"{task.title}\nPlanned: {_local(planned, owner.time_zone)}; deadline: "
                      f"{_local(task.deadline_at, owner.time_zone)} ({owner.time_zone}).\n"),
                dedupe_key=f"call-reminder:{task.id}:{planned.isoformat()}")
        task.reminded_at = now
        queued += 1
    return queued


def deliver_due(session: Session, channels: dict[str, Channel], now: datetime | None = None, limit: int = 100) -> int:
    """Send what is due; a failure is retried with growing delays, then marked failed with its error."""
    now = now or utcnow()
    due = session.scalars(
        select(Notification).where(Notification.state == NotificationState.pending, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at).limit(limit)
    ).all()
    sent = 0
    for notification in due:
        channel = channels.get(notification.channel)
        notification.attempts += 1
        try:
            if channel is None:
                raise DeliveryError(f"no channel {notification.channel!r} is configured")
            channel.send(notification.recipient, notification.subject, notification.body)
        except DeliveryError as exc:
            notification.last_error = str(exc)[:1000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.state = NotificationState.failed
            else:
                notification.next_attempt_at = now + RETRY_BASE * 2 ** (notification.attempts - 1)
            log.warning("notification %s attempt %s failed: %s", notification.id, notification.attempts, exc)
        else:
            notification.state, notification.sent_at, notification.last_error = NotificationState.sent, now, None
            sent += 1
        session.commit()
    return sent
