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
from models.qa import ExampleProposal, ReviewClaim, ReviewDecision, ViolationDispute
from models.reports import OfferTarget
from models.reps import ChecklistVersion, MorningCheck
from models.routes import Meeting, MeetingChange, MeetingStatus
from models.support import (
    Incident,
    MeetingCorrection,
    Ticket,
    TicketAttachment,
    TicketDeflection,
    TicketKind,
    TicketMessage,
    TicketState,
)
from models.tasks import CallOutcome, Task, TaskKind, TaskState

__all__ = [
    "BackgroundJob",
    "Base",
    "CallOutcome",
    "CallScript",
    "ChannelLayout",
    "ChecklistVersion",
    "CriterionResult",
    "ExampleProposal",
    "IdempotencyRecord",
    "Incident",
    "JobState",
    "LoginSession",
    "Meeting",
    "MeetingChange",
    "MeetingCorrection",
    "MeetingStatus",
    "MorningCheck",
    "Notification",
    "NotificationState",
    "OfferTarget",
    "RateLimitCounter",
    "Recording",
    "ReviewClaim",
    "ReviewDecision",
    "RevokedToken",
    "Role",
    "Task",
    "TaskKind",
    "TaskState",
    "Ticket",
    "TicketAttachment",
    "TicketDeflection",
    "TicketKind",
    "TicketMessage",
    "TicketState",
    "TranscriptSegment",
    "User",
    "Violation",
    "ViolationDispute",
    "ViolationStatus",
    "utcnow",
]
