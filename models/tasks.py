"""Tasks with central deadlines: reminder calls, retry calls, callbacks, follow-ups."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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
