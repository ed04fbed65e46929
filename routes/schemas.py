"""The meetings API contract (read side; planning and the lifecycle come with the route-plan work)."""

from __future__ import annotations

import marshmallow as ma

from api.fields import CalendarDay, RecordId


class MeetingSchema(ma.Schema):
    id = ma.fields.Integer()
    rep_id = ma.fields.Integer()
    client_name = ma.fields.String()
    client_phone = ma.fields.String(allow_none=True)
    client_language = ma.fields.String()
    english_speaking_client = ma.fields.Boolean()
    address = ma.fields.String()
    latitude = ma.fields.Float(allow_none=True)
    longitude = ma.fields.Float(allow_none=True)
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    products = ma.fields.List(ma.fields.String())
    offers = ma.fields.List(ma.fields.String())
    status = ma.fields.Function(lambda meeting: meeting.status.value)


class MeetingQuerySchema(ma.Schema):
    day = CalendarDay(metadata={"description": "a day in the rep's own time zone; default: today"})
    rep_id = RecordId(metadata={"description": "staff only: whose meetings"})
