"""SQLAlchemy 2 typed models, a module per domain; importing this package registers them all."""

from models.accounts import LoginSession, RateLimitCounter, RevokedToken, Role, User
from models.base import Base, utcnow
from models.compliance import (
    CallScript,
    ChannelLayout,
    CriterionResult,
    Recording,
    TranscriptSegment,
    Violation,
    ViolationStatus,
)
from models.idempotency import IdempotencyRecord
from models.jobs import BackgroundJob, JobState
from models.notifications import Notification, NotificationState
from models.reps import ChecklistVersion, MorningCheck
from models.routes import Meeting, MeetingChange, MeetingStatus
from models.tasks import CallOutcome, Task, TaskKind, TaskState

__all__ = [
    "BackgroundJob",
    "Base",
    "CallOutcome",
    "CallScript",
    "ChannelLayout",
    "ChecklistVersion",
    "CriterionResult",
    "IdempotencyRecord",
    "JobState",
    "LoginSession",
    "Meeting",
    "MeetingChange",
    "MeetingStatus",
    "MorningCheck",
    "Notification",
    "NotificationState",
    "RateLimitCounter",
    "Recording",
    "RevokedToken",
    "Role",
    "Task",
    "TaskKind",
    "TaskState",
    "TranscriptSegment",
    "User",
    "Violation",
    "ViolationStatus",
    "utcnow",
]
