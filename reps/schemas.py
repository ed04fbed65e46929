"""The tasks and "today" API contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import RecordId
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
