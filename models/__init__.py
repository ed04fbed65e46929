"""SQLAlchemy 2 typed models, a module per domain; importing this package registers them all."""

from models.base import Base, utcnow
from models.accounts import RevokedToken, Role, User
from models.idempotency import IdempotencyRecord
from models.jobs import BackgroundJob, JobState
from models.routes import Meeting, MeetingChange, MeetingStatus
from models.tasks import CallOutcome, Task, TaskKind, TaskState
from models.notifications import Notification, NotificationState
from models.reps import ChecklistVersion, MorningCheck
from models.compliance import (
    CallScript,
    ChannelLayout,
    CriterionResult,
    Recording,
    TranscriptSegment,
    Violation,
    ViolationStatus,
)

__all__ = [
    "Base", "utcnow", "User", "Role", "RevokedToken", "IdempotencyRecord", "BackgroundJob",
    "JobState", "Meeting", "MeetingChange", "MeetingStatus", "Task", "TaskKind", "Notification", "NotificationState", "ChecklistVersion", "MorningCheck", "TaskState", "CallOutcome", "CallScript", "ChannelLayout", "Recording",
    "TranscriptSegment", "CriterionResult", "Violation", "ViolationStatus",
]
