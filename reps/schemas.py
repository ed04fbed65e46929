"""The tasks and "today" API contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import CalendarDay, Moment, RecordId
from compliance.schemas import ViolationSchema
from models import CallOutcome, TaskKind, TaskState
from reps.checklist import QuestionSchema
from routes.schemas import MeetingSchema, PatchSchema
from support.schemas import IncidentSchema

SELFIE_STATUSES = ["pending", "approved", "rejected"]
# A checklist answer: yes_no -> boolean, count and rating -> integer, text -> string
ANSWER = ma.fields.Raw(metadata={"oneOf": [{"type": "boolean"}, {"type": "integer"}, {"type": "string"}]})


class TaskSchema(ma.Schema):
    id = ma.fields.Integer()
    owner_id = ma.fields.Integer()
    kind = ma.fields.Enum(TaskKind, by_value=True)
    state = ma.fields.Enum(TaskState, by_value=True)
    meeting_id = ma.fields.Integer(allow_none=True)
    parent_task_id = ma.fields.Integer(allow_none=True, metadata={"description": "the call this one retries"})
    title = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    deadline_at = ma.fields.DateTime(metadata={"description": "the central deadline"})
    expires_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "the last moment the task can be worked: 23:59:59 of the deadline's day in the owner's time "
                       "zone, as a UTC instant; after it the task turns `expired`"})
    own_planned_at = ma.fields.DateTime(allow_none=True)
    remind_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "when the owner is reminded of the task (chosen by the rep; never after expires_at). Null: "
                       "call tasks remind 15 minutes before the planned or due time"})
    client_phone = ma.fields.String(allow_none=True, metadata={
        "description": "the number to call: the meeting's client for reminder, retry and callback calls; null "
                       "only for a task with nothing to call"})
    due_at = ma.fields.DateTime(allow_none=True)
    window_opens_at = ma.fields.DateTime(allow_none=True)
    window_closes_at = ma.fields.DateTime(allow_none=True)
    attempt = ma.fields.Integer()
    completed_at = ma.fields.DateTime(allow_none=True)
    call_outcome = ma.fields.Enum(CallOutcome, by_value=True, allow_none=True)
    recording_id = ma.fields.String(allow_none=True)


class LoggedCallSchema(TaskSchema):
    next_task = ma.fields.Nested(TaskSchema, allow_none=True, metadata={
        "description": "the task the call led to: a retry (not reachable) or a callback's next try; else null"})


class TaskQuerySchema(ma.Schema):
    state = ma.fields.List(ma.fields.Enum(TaskState, by_value=True), metadata={"description": "repeatable"})
    owner_id = RecordId()


class TaskCreateSchema(ma.Schema):
    owner_id = RecordId(metadata={"description": "whose task; required for staff. A rep creates tasks for "
                                                 "themselves: leave it out (or send your own id)"})
    kind = ma.fields.String(required=True, validate=validate.OneOf(["callback", "follow_up"]))
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    deadline_at = Moment(required=True, metadata={"description": "the central deadline"})
    meeting_id = RecordId(allow_none=True)
    note = ma.fields.String(validate=validate.Length(max=2000))
    remind_at = Moment(allow_none=True, metadata={
        "description": "when to remind the owner: required when a rep creates a task; not in the past and not "
                       "after the task's expiry (23:59:59 of the deadline day in the owner's zone)"})
    client_phone = ma.fields.String(validate=validate.Length(min=3, max=32), metadata={
        "description": "the number to call for a callback not about a meeting; a callback about a meeting calls "
                       "the meeting's client. A callback with neither is 422"})


class TaskDoneSchema(ma.Schema):
    note = ma.fields.String(validate=validate.Length(max=2000))


class OwnTimeSchema(PatchSchema):
    own_planned_at = Moment(allow_none=True, metadata={"description": "your own time, never after the deadline"})
    remind_at = Moment(allow_none=True, metadata={
        "description": "when to be reminded: not in the past, not after the task's expires_at (null: the default)"})


class CallLogSchema(ma.Schema):
    outcome = ma.fields.Enum(CallOutcome, by_value=True, required=True)
    called_at = Moment(required=True)
    recording_id = ma.fields.String(validate=validate.Length(max=32))
    note = ma.fields.String(validate=validate.Length(max=2000))


class TodaySchema(ma.Schema):
    day = ma.fields.Date()
    time_zone = ma.fields.String()
    route = ma.fields.List(ma.fields.Nested(MeetingSchema))
    open_tasks = ma.fields.List(ma.fields.Nested(TaskSchema))
    violations = ma.fields.List(ma.fields.Nested(ViolationSchema))
    incidents = ma.fields.List(ma.fields.Nested(IncidentSchema), metadata={
        "description": "incidents support published that are active now and affect the rep"})
    morning_check = ma.fields.Nested("TodayMorningCheckSchema")
    digest = ma.fields.Nested("MorningDigestSchema", allow_none=True, metadata={
        "description": "today's morning digest as e-mailed to you (queued after 08:00 local, settings "
                       "morning_digest_at); null before it is queued"})


class MorningDigestSchema(ma.Schema):
    subject = ma.fields.String()
    body = ma.fields.String(metadata={"description": "the day's meetings and open tasks, as plain text"})
    state = ma.fields.String(validate=validate.OneOf(["pending", "sent", "failed"]),
                             metadata={"description": "the e-mail's delivery: pending, sent or failed"})
    queued_at = ma.fields.DateTime()
    sent_at = ma.fields.DateTime(allow_none=True)


class TodayMorningCheckSchema(ma.Schema):
    deadline = ma.fields.String(metadata={"description": "HH:MM, the rep's local time (see deadline_at)"})
    deadline_at = ma.fields.AwareDateTime(metadata={"description": "today's deadline as an instant"})
    selfie_status = ma.fields.String(allow_none=True, validate=validate.OneOf(SELFIE_STATUSES),
                                     metadata={"description": "null: no selfie yet"})
    checklist_submitted = ma.fields.Boolean()
    checklist_submitted_at = ma.fields.DateTime(allow_none=True)
    checklist_failures = ma.fields.List(ma.fields.String())
    instant_card_meetings = ma.fields.Integer(metadata={
        "description": "today's meetings handing over an instant card: the non-personalised cards you need"})
    late = ma.fields.Boolean(metadata={"description": "something was submitted after the deadline"})


class ChecklistVersionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "null for the built-in default, before anyone has answered it"})
    version = ma.fields.Integer(dump_only=True)
    effective_from = ma.fields.Date(required=True)
    questions = ma.fields.List(ma.fields.Nested(QuestionSchema), required=True)


class MorningCheckSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True)
    rep_id = ma.fields.Integer()
    day = ma.fields.Date()
    deadline = ma.fields.String(metadata={"description": "HH:MM, local time in the rep's zone"})
    deadline_at = ma.fields.AwareDateTime(metadata={"description": "the day's deadline as an instant"})
    late = ma.fields.Boolean(metadata={"description": "something was submitted after the deadline"})
    instant_card_meetings = ma.fields.Integer(metadata={
        "description": "the day's meetings handing over an instant card: the non-personalised cards needed"})
    selfie_status = ma.fields.String(allow_none=True, validate=validate.OneOf(SELFIE_STATUSES))
    selfie_taken_at = ma.fields.DateTime(allow_none=True)
    selfie_uploaded_at = ma.fields.DateTime(allow_none=True)
    selfie_reject_reason = ma.fields.String(allow_none=True)
    answers = ma.fields.Dict(keys=ma.fields.String(), values=ANSWER, allow_none=True)
    checklist_submitted_at = ma.fields.DateTime(allow_none=True)
    checklist_failures = ma.fields.List(ma.fields.String(), allow_none=True)
    checklist = ma.fields.Nested(ChecklistVersionSchema, allow_none=True)


class MorningQuerySchema(ma.Schema):
    day = CalendarDay()


class MorningQueueQuerySchema(ma.Schema):
    selfie_status = ma.fields.String(load_default="pending", validate=validate.OneOf(SELFIE_STATUSES))
    day = CalendarDay()
    rep_id = RecordId()


class ChecklistAnswersSchema(ma.Schema):
    answers = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=64)), values=ANSWER, required=True,
                             metadata={"description": "question id -> answer (yes_no: boolean, count and rating: "
                                                      "integer, text: string)"})


class SelfieFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                    "description": "JPEG, PNG or HEIC photo"})


class SelfieReviewSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = ma.fields.String(validate=validate.Length(max=1000), metadata={"description": "required to reject"})


class LinkSchema(ma.Schema):
    url = ma.fields.String()
    expires_in = ma.fields.Integer()
