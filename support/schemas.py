"""The support desk's API contract: tickets, their thread, deflection, incidents, meeting-record corrections."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import Moment, RecordId
from models import MeetingStatus, TicketKind, TicketState, utcnow
from routes.schemas import MeetingSchema, PatchSchema
from support import lifecycle

TEXT = validate.Length(min=1, max=5000)
ACTIONS = list(lifecycle.ACTIONS)
STATES = [state.value for state in TicketState]


def _etag(ticket) -> str:
    from support.service import ticket_etag

    return f'"{ticket_etag(ticket)}"'


def _reopen_until(ticket) -> str | None:
    from api.context import app_settings

    if ticket.state not in lifecycle.ANSWERED_STATES:
        return None
    until = lifecycle.reopen_until(ticket.answered_at, app_settings().ticket_reopen_days)
    return until.isoformat() if until else None


class TicketSchema(ma.Schema):
    id = ma.fields.Integer()
    rep_id = ma.fields.Integer()
    kind = ma.fields.Enum(TicketKind, by_value=True)
    state = ma.fields.Enum(TicketState, by_value=True)
    subject = ma.fields.String()
    text = ma.fields.String()
    meeting_id = ma.fields.Integer(allow_none=True)
    violation_id = ma.fields.Integer(allow_none=True, metadata={"description": "the disputed violation"})
    incident_id = ma.fields.Integer(allow_none=True, metadata={"description": "the incident the ticket is about"})
    resembles_ticket_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "the earlier ticket this one resembled when the rep insisted on creating it"})
    resemblance = ma.fields.Float(allow_none=True, metadata={"description": "how alike (0-100), when it resembled"})
    insisted = ma.fields.Boolean(metadata={"description": "created although shown a likely duplicate or incident"})
    assignee_id = ma.fields.Integer(allow_none=True)
    answer = ma.fields.String(allow_none=True)
    answered_by_id = ma.fields.Integer(allow_none=True)
    answered_at = ma.fields.DateTime(allow_none=True)
    response_due_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "support's central deadline for the next response (end of a business day in the rep's "
                       "zone); null while the ticket waits for the rep or is answered"})
    overdue = ma.fields.Function(lambda ticket: lifecycle.is_overdue(ticket.state, ticket.response_due_at, utcnow()),
                                 metadata={"type": "boolean", "description": "the response deadline has passed"})
    reopen_until = ma.fields.Function(_reopen_until, metadata={
        "type": "string", "format": "date-time", "nullable": True,
        "description": "an answered ticket: the rep may reopen it until then; otherwise null"})
    reopened_count = ma.fields.Integer()
    closed_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime(allow_none=True)
    etag = ma.fields.Function(_etag, metadata={"type": "string", "description": "send it as If-Match to act on it"})


class TicketMessageSchema(ma.Schema):
    id = ma.fields.Integer()
    author_id = ma.fields.Integer(allow_none=True)
    author_role = ma.fields.String(metadata={"description": "rep, support, manager, or system"})
    kind = ma.fields.String(validate=validate.OneOf(["message", "question", "answer", "reopen", "event"]),
                            metadata={"enum": ["message", "question", "answer", "reopen", "event"]})
    body = ma.fields.String()
    state_from = ma.fields.String(allow_none=True, metadata={"enum": [*STATES, None]})
    state_to = ma.fields.String(allow_none=True, metadata={"enum": [*STATES, None]})
    created_at = ma.fields.DateTime()


class AttachmentSchema(ma.Schema):
    id = ma.fields.Integer()
    ticket_id = ma.fields.Integer()
    uploaded_by_id = ma.fields.Integer()
    filename = ma.fields.String(allow_none=True)
    content_type = ma.fields.String(allow_none=True)
    size_bytes = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    download_url = ma.fields.String(metadata={"description": "a time-limited link to the file"})


class TicketDetailSchema(TicketSchema):
    messages = ma.fields.List(ma.fields.Nested(TicketMessageSchema), metadata={"description": "the thread, in order"})
    attachments = ma.fields.List(ma.fields.Nested(AttachmentSchema))


class TicketCreateSchema(ma.Schema):
    kind = ma.fields.Enum(TicketKind, by_value=True, load_default=TicketKind.meeting_record)
    subject = ma.fields.String(validate=validate.Length(max=200))
    text = ma.fields.String(required=True, validate=TEXT)
    meeting_id = RecordId(allow_none=True, metadata={"description": "the meeting whose record is wrong"})
    violation_id = RecordId(allow_none=True, metadata={"description": "kind violation_dispute: the violation"})
    incident_id = RecordId(allow_none=True, metadata={"description": "an active incident the ticket is about"})
    insist = ma.fields.Boolean(load_default=False, metadata={
        "description": "create the ticket although it resembles an earlier one or an incident (send after a "
                       "deflection, with a new Idempotency-Key)"})
    deflection_id = RecordId(allow_none=True, metadata={"description": "the deflection you insist over"})


class IncidentSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = ma.fields.String(required=True, validate=TEXT)
    starts_at = Moment(load_default=None, metadata={"description": "default: now"})
    ends_at = Moment(allow_none=True, load_default=None, metadata={"description": "null: until closed"})
    regions = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=100)), load_default=list,
                             validate=validate.Length(max=100),
                             metadata={"description": "the regions affected; with rep_ids both empty: every rep"})
    rep_ids = ma.fields.List(RecordId(), load_default=list, validate=validate.Length(max=1000))
    active = ma.fields.Function(lambda incident: _incident_active(incident), dump_only=True,
                                metadata={"type": "boolean", "readOnly": True})
    closed_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    created_by_id = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    etag = ma.fields.Function(lambda incident: f'"{_incident_etag(incident)}"', dump_only=True,
                              metadata={"type": "string", "readOnly": True})


def _incident_active(incident) -> bool:
    from support.incidents import is_active

    return is_active(incident, utcnow())


def _incident_etag(incident) -> str:
    from support.incidents import incident_etag

    return incident_etag(incident)


class IncidentUpdateSchema(PatchSchema):
    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    text = ma.fields.String(validate=TEXT)
    starts_at = Moment()
    ends_at = Moment(allow_none=True)
    regions = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=100)),
                             validate=validate.Length(max=100))
    rep_ids = ma.fields.List(RecordId(), validate=validate.Length(max=1000))


class IncidentQuerySchema(ma.Schema):
    active = ma.fields.Boolean(metadata={"description": "staff: only active (true) or only inactive (false)"})


class ResemblanceSchema(ma.Schema):
    kind = ma.fields.String(validate=validate.OneOf(["ticket", "incident"]), metadata={"enum": ["ticket", "incident"]})
    score = ma.fields.Float(metadata={"description": "how alike, 0-100"})
    ticket = ma.fields.Nested(TicketSchema, allow_none=True, metadata={
        "description": "your earlier ticket: its `answer` (or its state, if not answered yet)"})
    incident = ma.fields.Nested(IncidentSchema, allow_none=True)


class DeflectionSchema(ma.Schema):
    deflected = ma.fields.Boolean(metadata={"description": "always true: no ticket was created"})
    deflection_id = ma.fields.Integer()
    message = ma.fields.String()
    matches = ma.fields.List(ma.fields.Nested(ResemblanceSchema), metadata={"description": "most alike first"})


class TicketQuerySchema(ma.Schema):
    state = ma.fields.List(ma.fields.Enum(TicketState, by_value=True), metadata={"description": "repeatable"})
    rep_id = RecordId(metadata={"description": "staff only (a rep sees their own)"})
    kind = ma.fields.Enum(TicketKind, by_value=True)
    overdue = ma.fields.Boolean()
    assignee_id = RecordId()
    meeting_id = RecordId()
    incident_id = RecordId()


class TicketActionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=validate.OneOf(ACTIONS), metadata={"enum": ACTIONS})
    text = ma.fields.String(validate=TEXT, metadata={
        "description": "the answer (resolve, reject), the question (ask), or why (reopen)"})


class TicketMessageCreateSchema(ma.Schema):
    text = ma.fields.String(required=True, validate=TEXT)


class AttachmentFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                    "description": "a photo (JPEG, PNG, HEIC) or a PDF scan"})


ANSWERED = [TicketState.resolved.value, TicketState.rejected.value]


class BulkCloseSchema(ma.Schema):
    state = ma.fields.List(ma.fields.String(validate=validate.OneOf(ANSWERED)), metadata={
        "description": "answered states to close (default both)", "items": {"type": "string", "enum": ANSWERED}})
    rep_id = RecordId()
    kind = ma.fields.Enum(TicketKind, by_value=True)
    incident_id = RecordId()
    answered_before = Moment()


class BulkCloseResultSchema(ma.Schema):
    closed = ma.fields.Integer()
    ticket_ids = ma.fields.List(ma.fields.Integer())


class PeriodQuerySchema(ma.Schema):
    since = Moment(metadata={"description": "default: 30 days ago"})
    until = Moment(metadata={"description": "default: now"})


class DeflectionFiguresSchema(ma.Schema):
    since = ma.fields.DateTime()
    until = ma.fields.DateTime()
    deflected = ma.fields.Integer(metadata={"description": "shown an earlier answer or an incident, did not insist"})
    deflected_to_tickets = ma.fields.Integer()
    deflected_to_incidents = ma.fields.Integer()
    insisted = ma.fields.Integer(metadata={"description": "created anyway after a deflection"})
    tickets_created = ma.fields.Integer()


class IncidentAnswerSchema(ma.Schema):
    outcome = ma.fields.String(load_default="resolved", validate=validate.OneOf(ANSWERED), metadata={"enum": ANSWERED})
    text = ma.fields.String(required=True, validate=TEXT)


CAUSES = ["client", "rep"]


class CorrectionCreateSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=TEXT)
    ticket_id = RecordId(allow_none=True, metadata={"description": "the ticket the correction answers"})
    status = ma.fields.Enum(MeetingStatus, by_value=True)
    caused_by = ma.fields.String(allow_none=True, validate=validate.OneOf(CAUSES),
                                 metadata={"enum": [*CAUSES, None]})
    status_reason = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    offers_presented = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=100)),
                                      validate=validate.Length(max=50))
    offers_accepted = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=100)),
                                     validate=validate.Length(max=50))


class CorrectionSchema(ma.Schema):
    id = ma.fields.Integer()
    meeting_id = ma.fields.Integer()
    rep_id = ma.fields.Integer()
    ticket_id = ma.fields.Integer(allow_none=True)
    field = ma.fields.String(metadata={"enum": ["status", "caused_by", "status_reason", "offers_presented",
                                                "offers_accepted"]})
    old_value = ma.fields.Raw(allow_none=True, metadata={"description": "as the record said (string, list or null)"})
    new_value = ma.fields.Raw(allow_none=True)
    reason = ma.fields.String()
    corrected_by_id = ma.fields.Integer()
    at = ma.fields.DateTime()
    change_seq = ma.fields.Integer(metadata={"description": "the meeting change log's entry"})
    rederived = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "violations the correction re-derived: violation_id, criterion, status {old, new}"})


class CorrectionQuerySchema(PeriodQuerySchema):
    rep_id = RecordId()
    meeting_id = RecordId()
    ticket_id = RecordId()


class MeetingChangeSchema(ma.Schema):
    seq = ma.fields.Integer()
    action = ma.fields.String()
    changed_by_id = ma.fields.Integer(allow_none=True)
    changes = ma.fields.Dict()
    at = ma.fields.DateTime()


class MeetingRecordSchema(ma.Schema):
    meeting = ma.fields.Nested(MeetingSchema)
    history = ma.fields.List(ma.fields.Nested(MeetingChangeSchema), metadata={"description": "oldest first"})
    corrections = ma.fields.List(ma.fields.Nested(CorrectionSchema))
