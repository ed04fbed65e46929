"""Queue notifications with the change that causes them; deliver due ones with retries."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
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


def notify_client_of_meeting_time(session: Session, meeting: Meeting, rep: User, *, moved: bool = False) -> None:
    """The client learns the meeting's time, and again after each move (`moved`: the message says it moved)."""
    when = f"{_local(meeting.starts_at, rep.time_zone)}–{meeting.ends_at.astimezone(ZoneInfo(rep.time_zone)):%H:%M}"
    if meeting.english_speaking_client:
        subject = f"Your meeting with the bank has moved to {when}" if moved else f"Your meeting with the bank: {when}"
        body = (f"Dear {meeting.client_name},\n\nour representative {rep.full_name} will meet you on {when} "
                f"({rep.time_zone}) at {meeting.address}.\nThey will call you about an hour before. "
                "Please have your passport with you.\n")
    else:
        subject = (f"Встреча с представителем банка перенесена на {when}" if moved
                   else f"Встреча с представителем банка: {when}")
        body = (f"Здравствуйте, {meeting.client_name}!\n\nНаш представитель {rep.full_name} встретится с вами "
                f"{when} ({rep.time_zone}) по адресу: {meeting.address}.\nПримерно за час до встречи он вам позвонит. "
                "Пожалуйста, не забудьте паспорт.\n")
    enqueue(session, channel="email", kind="client_meeting_moved" if moved else "client_meeting_time",
            recipient=meeting.client_email, subject=subject,
            body=body, dedupe_key=f"meeting-time:{meeting.id}:{meeting.starts_at.isoformat()}")


def escalate_to_managers(session: Session, task: Task, owner: User) -> int:
    """Tell every active manager that a task keeps failing (e.g. a client unreachable three times)."""
    from models import Role

    managers = session.scalars(select(User).where(User.role == Role.manager, User.is_active.is_(True))).all()
    for manager in managers:
        enqueue(session, channel="email", kind="escalation", recipient=manager.email,
                subject=f"Escalated: {task.title} ({owner.full_name})",
                body=(f"{owner.full_name} could not reach the client after {task.attempt} attempts.\n"
                      f"Task #{task.id}: {task.title}\n"),
                dedupe_key=f"escalation:{task.id}:{manager.id}")
    return len(managers)


def queue_morning_digests(session: Session, send_at_local: str = "08:00", now: datetime | None = None) -> int:
    """Each active rep gets, once a day after `send_at_local` in their zone, the day's meetings and tasks."""
    from models import Meeting, Role

    now = now or utcnow()
    hours, minutes = (int(part) for part in send_at_local.split(":"))
    queued = 0
    for rep in session.scalars(select(User).where(User.role == Role.rep, User.is_active.is_(True))):
        zone = ZoneInfo(rep.time_zone)
        local_now = now.astimezone(zone)
        if (local_now.hour, local_now.minute) < (hours, minutes) or not rep.email:
            continue
        day = local_now.date()
        start = datetime.combine(day, datetime.min.time(), zone)
        meetings = session.scalars(select(Meeting).where(
            Meeting.rep_id == rep.id, Meeting.starts_at >= start, Meeting.starts_at < start + timedelta(days=1),
            Meeting.deleted_at.is_(None)).order_by(Meeting.starts_at)).all()
        tasks = session.scalars(select(Task).where(
            Task.owner_id == rep.id, Task.state == TaskState.open,
            Task.deadline_at < start + timedelta(days=1)).order_by(Task.deadline_at)).all()
        lines = [f"Good morning, {rep.full_name}! Your day, {day:%d.%m.%Y}:", "", "Meetings:"]
        lines += [f"  {m.starts_at.astimezone(zone):%H:%M}-{m.ends_at.astimezone(zone):%H:%M}  {m.client_name}, "
                  f"{m.address} ({m.status.value})" for m in meetings] or ["  none"]
        lines += ["", "Tasks:"]
        lines += [f"  by {_local(t.own_planned_at or t.due_at or t.deadline_at, rep.time_zone)}  {t.title}"
                  for t in tasks] or ["  none"]
        lines += ["", f"Morning check (selfie and checklist) before the deadline in your zone ({rep.time_zone})."]
        if enqueue(session, channel="email", kind="morning_digest", recipient=rep.email,
                   subject=f"Your day {day:%d.%m.%Y}: {len(meetings)} meetings, {len(tasks)} tasks",
                   body="\n".join(lines) + "\n", dedupe_key=f"digest:{rep.id}:{day.isoformat()}"):
            queued += 1
    return queued


def queue_call_reminders(session: Session, now: datetime | None = None) -> int:
    """Remind reps of their tasks: at the time the rep chose (`remind_at`), else before the call's planned time."""
    now = now or utcnow()
    horizon = now + timedelta(hours=2)
    rows = session.execute(
        select(Task, User).join(User, Task.owner_id == User.id)
        .where(Task.state == TaskState.open, Task.reminded_at.is_(None), Task.remind_at.is_(None),
               Task.deadline_at > now, Task.deadline_at < horizon + timedelta(hours=2))
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
    chosen = session.execute(
        select(Task, User).join(User, Task.owner_id == User.id)
        .where(Task.state == TaskState.open, Task.reminded_at.is_(None), Task.remind_at <= now,
               Task.remind_at > now - timedelta(days=1))
    ).all()
    for task, owner in chosen:
        assert task.remind_at is not None
        phone = f"\nPhone: {task.client_phone}" if task.client_phone else ""
        enqueue(session, channel="email", kind="rep_task_reminder", recipient=owner.email,
                subject=f"Reminder: {task.title}",
                body=(f"{task.title}{phone}\nDeadline: {_local(task.deadline_at, owner.time_zone)}; workable until "
                      f"{_local(task.expires_at or task.deadline_at, owner.time_zone)} ({owner.time_zone}).\n"),
                dedupe_key=f"task-reminder:{task.id}:{task.remind_at.isoformat()}")
        task.reminded_at = now
        queued += 1
    return queued


def notify_client_of_change(session: Session, meeting: Meeting, rep: User, change: str) -> None:
    """The client learns that the meeting was cancelled (`cancelled`) or moves to a new place (`place`); a new
    time goes through notify_client_of_meeting_time. E-mail now; the channel is the outbox's, so SMS is one more."""
    zone = ZoneInfo(rep.time_zone)
    when = f"{_local(meeting.starts_at, rep.time_zone)}–{meeting.ends_at.astimezone(zone):%H:%M} ({rep.time_zone})"
    english = meeting.english_speaking_client
    if change == "cancelled":
        subject = f"Your meeting with the bank on {when} is cancelled" if english else \
            f"Встреча с представителем банка {when} отменена"
        body = (f"Dear {meeting.client_name},\n\nyour meeting with our representative {rep.full_name} on {when} "
                "is cancelled. We will contact you to agree on a new time if needed.\n") if english else (
                f"Здравствуйте, {meeting.client_name}!\n\nВстреча с нашим представителем {rep.full_name} {when} "
                "отменена. При необходимости мы свяжемся с вами, чтобы договориться о новом времени.\n")
        key = f"meeting-cancelled:{meeting.id}"
    else:
        subject = f"New place of your meeting with the bank: {meeting.address}" if english else \
            f"Новое место встречи с представителем банка: {meeting.address}"
        body = (f"Dear {meeting.client_name},\n\nas you asked, our representative {rep.full_name} will meet you on "
                f"{when} at the new address: {meeting.address}.\nPlease have your passport with you.\n") if english \
            else (f"Здравствуйте, {meeting.client_name}!\n\nКак вы просили, наш представитель {rep.full_name} "
                  f"встретится с вами {when} по новому адресу: {meeting.address}.\nПожалуйста, не забудьте паспорт.\n")
        key = f"meeting-place:{meeting.id}:{utcnow().isoformat()}"
    enqueue(session, channel="email", kind=f"client_meeting_{change}", recipient=meeting.client_email,
            subject=subject, body=body, dedupe_key=key)


def morning_digest(session: Session, rep_id: int, day: date) -> Notification | None:
    """The rep's morning digest of `day`, once queued (queue_morning_digests)."""
    return session.scalar(select(Notification).where(Notification.dedupe_key == f"digest:{rep_id}:{day.isoformat()}"))


def deliver_due(session: Session, channels: Mapping[str, Channel], now: datetime | None = None,
                limit: int = 100) -> int:
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
