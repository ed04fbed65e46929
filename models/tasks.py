"""Tasks with central deadlines: reminder calls, retry calls, callbacks, follow-ups."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import Connection, Enum, ForeignKey, Index, String, Text, event, select
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from models.base import Base, CreatedAtMixin


class TaskKind(str, enum.Enum):
    reminder_call = "reminder_call"
    retry_call = "retry_call"
    callback = "callback"
    follow_up = "follow_up"


class TaskState(str, enum.Enum):
    open = "open"
    done = "done"
    expired = "expired"
    cancelled = "cancelled"


class CallOutcome(str, enum.Enum):
    confirmed = "confirmed"
    not_reachable = "not_reachable"
    rescheduled = "rescheduled"
    cancelled = "cancelled"


class Task(CreatedAtMixin, Base):
    __tablename__ = "tasks"
    # A rep's open tasks by deadline (/today, /tasks): one index range, no sort, whatever the fleet's backlog.
    __table_args__ = (Index("ix_tasks_owner_id_state_deadline_at", "owner_id", "state", "deadline_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[TaskKind] = mapped_column(Enum(TaskKind, native_enum=False, length=24))
    state: Mapped[TaskState] = mapped_column(Enum(TaskState, native_enum=False, length=16), default=TaskState.open,
                                             index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    parent_task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    title: Mapped[str] = mapped_column(String(200))
    deadline_at: Mapped[datetime] = mapped_column(index=True)
    own_planned_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    window_opens_at: Mapped[datetime | None]
    window_closes_at: Mapped[datetime | None]
    remind_minutes_before: Mapped[int] = mapped_column(default=15)
    # the rep's own reminder (null: `remind_minutes_before` the planned/due time, for call tasks)
    remind_at: Mapped[datetime | None]
    # 23:59:59 of the deadline's day in the owner's zone: worked until then, `expired` after (reps.deadlines)
    expires_at: Mapped[datetime | None]
    # the number to call, from the meeting's client (call tasks and callbacks about a meeting)
    client_phone: Mapped[str | None] = mapped_column(String(32))
    reminded_at: Mapped[datetime | None]
    attempt: Mapped[int] = mapped_column(default=1)
    completed_at: Mapped[datetime | None]
    call_outcome: Mapped[CallOutcome | None] = mapped_column(Enum(CallOutcome, native_enum=False, length=16))
    recording_id: Mapped[str | None] = mapped_column(ForeignKey("recordings.id"))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]
    # Optimistic concurrency: an UPDATE carries `WHERE version = <read>`, so of two writers one fails.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


def _expires_at(connection: Connection, task: Task) -> datetime:
    from models.accounts import User
    from reps.deadlines import expiry_moment

    time_zone = connection.scalar(select(User.time_zone).where(User.id == task.owner_id)) or "UTC"
    return expiry_moment(task.deadline_at, time_zone).astimezone(UTC)


@event.listens_for(Task, "before_insert")
def _fill_on_insert(mapper: Mapper, connection: Connection, task: Task) -> None:
    """Every task carries its expiry moment and, when it is about a meeting, the client's phone."""
    task.expires_at = _expires_at(connection, task)
    if task.meeting_id is not None and task.client_phone is None:
        from models.routes import Meeting

        task.client_phone = connection.scalar(select(Meeting.client_phone).where(Meeting.id == task.meeting_id))


@event.listens_for(Task, "before_update")
def _fill_on_update(mapper: Mapper, connection: Connection, task: Task) -> None:
    from sqlalchemy import inspect

    if inspect(task).attrs.deadline_at.history.has_changes() or task.expires_at is None:
        task.expires_at = _expires_at(connection, task)
