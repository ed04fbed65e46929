"""The tasks and "today" API contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import CalendarDay, RecordId
from compliance.schemas import ViolationSchema
from models import CallOutcome, TaskState
from routes.schemas import MeetingSchema


class TaskSchema(ma.Schema):
    id = ma.fields.Integer()
    owner_id = ma.fields.Integer()
    kind = ma.fields.Function(lambda task: task.kind.value)
    state = ma.fields.Function(lambda task: task.state.value)
    meeting_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    deadline_at = ma.fields.DateTime(metadata={"description": "the central deadline"})
    own_planned_at = ma.fields.DateTime(allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True)
    window_opens_at = ma.fields.DateTime(allow_none=True)
    window_closes_at = ma.fields.DateTime(allow_none=True)
    attempt = ma.fields.Integer()
    completed_at = ma.fields.DateTime(allow_none=True)
    call_outcome = ma.fields.Function(lambda task: task.call_outcome.value if task.call_outcome else None)
    recording_id = ma.fields.String(allow_none=True)


class TaskQuerySchema(ma.Schema):
    state = ma.fields.List(ma.fields.Enum(TaskState, by_value=True), metadata={"description": "repeatable"})
    owner_id = RecordId()


class TaskCreateSchema(ma.Schema):
    owner_id = RecordId(required=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(["callback", "follow_up"]))
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    deadline_at = ma.fields.AwareDateTime(required=True, metadata={"description": "the central deadline"})
    meeting_id = RecordId(allow_none=True)
    note = ma.fields.String(validate=validate.Length(max=2000))


class TaskDoneSchema(ma.Schema):
    note = ma.fields.String(validate=validate.Length(max=2000))


class OwnTimeSchema(ma.Schema):
    own_planned_at = ma.fields.AwareDateTime(required=True, allow_none=True,
                                             metadata={"description": "your own time, never after the deadline"})


class CallLogSchema(ma.Schema):
    outcome = ma.fields.Enum(CallOutcome, by_value=True, required=True)
    called_at = ma.fields.AwareDateTime(required=True)
    recording_id = ma.fields.String(validate=validate.Length(max=32))
    note = ma.fields.String(validate=validate.Length(max=2000))


class TodaySchema(ma.Schema):
    day = ma.fields.Date()
    time_zone = ma.fields.String()
    route = ma.fields.List(ma.fields.Nested(MeetingSchema))
    open_tasks = ma.fields.List(ma.fields.Nested(TaskSchema))
    violations = ma.fields.List(ma.fields.Nested(ViolationSchema))
    morning_check = ma.fields.Dict(metadata={"description": "selfie_status, checklist_submitted_at, deadline"})


class ChecklistVersionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    version = ma.fields.Integer(dump_only=True)
    effective_from = ma.fields.Date(required=True)
    questions = ma.fields.List(ma.fields.Dict(), required=True)


class MorningCheckSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True)
    rep_id = ma.fields.Integer()
    day = ma.fields.Date()
    deadline = ma.fields.String(metadata={"description": "local time in the rep's zone"})
    selfie_status = ma.fields.String(allow_none=True, metadata={"enum": ["pending", "approved", "rejected"]})
    selfie_taken_at = ma.fields.DateTime(allow_none=True)
    selfie_uploaded_at = ma.fields.DateTime(allow_none=True)
    selfie_reject_reason = ma.fields.String(allow_none=True)
    answers = ma.fields.Dict(allow_none=True)
    checklist_submitted_at = ma.fields.DateTime(allow_none=True)
    checklist_failures = ma.fields.List(ma.fields.String(), allow_none=True)
    checklist = ma.fields.Nested(ChecklistVersionSchema, allow_none=True)


class MorningQuerySchema(ma.Schema):
    day = CalendarDay()


class MorningQueueQuerySchema(ma.Schema):
    selfie_status = ma.fields.String(load_default="pending",
                                     validate=validate.OneOf(["pending", "approved", "rejected"]))
    day = CalendarDay()
    rep_id = RecordId()


class ChecklistAnswersSchema(ma.Schema):
    answers = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=64)), required=True)


class SelfieFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                    "description": "JPEG, PNG or HEIC photo"})


class SelfieReviewSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = ma.fields.String(validate=validate.Length(max=1000), metadata={"description": "required to reject"})


class LinkSchema(ma.Schema):
    url = ma.fields.String()
    expires_in = ma.fields.Integer()
