"""The route-plan and meetings API contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import CalendarDay, RecordId
from routes.lifecycle import ACTIONS, CAUSES


class MeetingSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    rep_id = RecordId(required=True)
    client_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    client_email = ma.fields.Email(allow_none=True)
    client_language = ma.fields.String(load_default="ru", validate=validate.Regexp(r"^[a-z]{2}$"))
    english_speaking_client = ma.fields.Boolean(load_default=False)
    address = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    latitude = ma.fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-90, 90))
    longitude = ma.fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-180, 180))
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)
    products = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)), load_default=list)
    offers = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)), load_default=list)
    status = ma.fields.Function(lambda meeting: meeting.status.value, dump_only=True)
    status_reason = ma.fields.String(dump_only=True)
    caused_by = ma.fields.String(dump_only=True)
    place_change_requested_by = ma.fields.String(dump_only=True)
    offers_presented = ma.fields.List(ma.fields.String(), dump_only=True)
    offers_accepted = ma.fields.List(ma.fields.String(), dump_only=True)
    route_day = ma.fields.Date(dump_only=True)
    version = ma.fields.Integer(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class MeetingUpdateSchema(ma.Schema):
    client_name = ma.fields.String(validate=validate.Length(min=1, max=200))
    client_phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    client_email = ma.fields.Email(allow_none=True)
    client_language = ma.fields.String(validate=validate.Regexp(r"^[a-z]{2}$"))
    english_speaking_client = ma.fields.Boolean()
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    products = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)))
    offers = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)))


class MeetingQuerySchema(ma.Schema):
    day = CalendarDay(metadata={"description": "a day in the rep's own time zone; default: today"})
    rep_id = RecordId(metadata={"description": "staff only: whose meetings"})


class RouteSchema(ma.Schema):
    day = ma.fields.Date()
    rep_id = ma.fields.Integer(allow_none=True)
    meetings = ma.fields.List(ma.fields.Nested(MeetingSchema))


class TransitionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=validate.OneOf(sorted(ACTIONS)))
    caused_by = ma.fields.String(validate=validate.OneOf(CAUSES), metadata={"description": "cancel / reschedule"})
    reason = ma.fields.String(validate=validate.Length(max=1000), metadata={"description": "cancel / fail"})
    starts_at = ma.fields.AwareDateTime(metadata={"description": "reschedule: the new interval"})
    ends_at = ma.fields.AwareDateTime()
    offers_presented = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)))
    offers_accepted = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)))


class PlaceChangeSchema(ma.Schema):
    address = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    latitude = ma.fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-90, 90))
    longitude = ma.fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-180, 180))
    requested_by = ma.fields.String(required=True, validate=validate.OneOf(["client", "rep", "manager"]),
                                    metadata={"description": "only a client's request is accepted"})


class SyncQuerySchema(ma.Schema):
    since = ma.fields.String(validate=validate.Length(max=40), metadata={"description": "token of the last sync"})
    rep_id = RecordId()


class SyncSchema(ma.Schema):
    meetings = ma.fields.List(ma.fields.Nested(MeetingSchema))
    deleted_ids = ma.fields.List(ma.fields.Integer())
    token = ma.fields.String()
    full_reload = ma.fields.Boolean()


class ImportReportSchema(ma.Schema):
    created = ma.fields.List(ma.fields.Integer())
    rejected = ma.fields.List(ma.fields.Dict(), metadata={"description": "[{row, errors: {field: [messages]}}]"})


class ImportFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                    "description": "CSV (header row) or JSON list"})
