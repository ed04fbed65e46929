"""The route-plan and meetings API contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import CalendarDay, Moment, RecordId
from models import MeetingStatus
from routes.lifecycle import ACTIONS, CAUSES

PLACE_REQUESTERS = ["client", "rep", "manager"]


class PatchSchema(ma.Schema):
    """A PATCH changes something: an empty body is refused rather than answered as a change."""

    @ma.validates_schema(pass_original=True)
    def _not_empty(self, data: dict, original: object, **_kwargs) -> None:
        if not data and not (isinstance(original, dict) and original):
            raise ma.ValidationError("Send at least one field to change.", "_schema")


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
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)
    products = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)), load_default=list)
    offers = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)), load_default=list)
    status = ma.fields.Enum(MeetingStatus, by_value=True, dump_only=True)
    status_reason = ma.fields.String(dump_only=True, allow_none=True, metadata={"description": "cancel / fail"})
    caused_by = ma.fields.String(dump_only=True, allow_none=True, validate=validate.OneOf(CAUSES), metadata={
        "description": "who caused a cancellation or reschedule"})
    place_change_requested_by = ma.fields.String(dump_only=True, allow_none=True,
                                                 validate=validate.OneOf(PLACE_REQUESTERS))
    offers_presented = ma.fields.List(ma.fields.String(), dump_only=True)
    offers_accepted = ma.fields.List(ma.fields.String(), dump_only=True)
    route_day = ma.fields.Date(dump_only=True, allow_none=True, metadata={"description": "the rep's local day"})
    version = ma.fields.Integer(dump_only=True)
    etag = ma.fields.Function(lambda meeting: f'"{_etag(meeting)}"', dump_only=True, metadata={
        "type": "string", "description": "send it as If-Match to change the meeting (no need to read it first)"})
    updated_at = ma.fields.DateTime(dump_only=True, allow_none=True)


def _etag(meeting) -> str:
    from routes.service import meeting_etag

    return meeting_etag(meeting)


class MeetingUpdateSchema(PatchSchema):
    client_name = ma.fields.String(validate=validate.Length(min=1, max=200))
    client_phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    client_email = ma.fields.Email(allow_none=True)
    client_language = ma.fields.String(validate=validate.Regexp(r"^[a-z]{2}$"))
    english_speaking_client = ma.fields.Boolean()
    starts_at = Moment()
    ends_at = Moment()
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
    starts_at = Moment(metadata={"description": "reschedule: the new interval"})
    ends_at = Moment()
    offers_presented = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)))
    offers_accepted = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)))


class PlaceChangeSchema(ma.Schema):
    address = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    latitude = ma.fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-90, 90))
    longitude = ma.fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-180, 180))
    requested_by = ma.fields.String(required=True, validate=validate.OneOf(PLACE_REQUESTERS),
                                    metadata={"description": "only a client's request is accepted"})


class SyncQuerySchema(ma.Schema):
    since = ma.fields.String(metadata={
        "description": "the `token` of your last sync, unchanged (opaque; any token that cannot be served, "
                       "whatever the reason, answers 410: reload in full)"})
    rep_id = RecordId()


class SyncSchema(ma.Schema):
    meetings = ma.fields.List(ma.fields.Nested(MeetingSchema), required=True, metadata={
        "description": "new, changed and cancelled meetings (cancelled ones have status `cancelled`)"})
    deleted_ids = ma.fields.List(ma.fields.Integer(), required=True, metadata={
        "description": "meetings taken off the route: drop them"})
    token = ma.fields.String(required=True, metadata={"description": "send it as `since` next time"})
    full_reload = ma.fields.Boolean(required=True, metadata={
        "description": "true: this is the whole route from today on; replace what you hold"})


class ImportRejectSchema(ma.Schema):
    row = ma.fields.Integer(required=True, metadata={"description": "1-based data row (CSV: the header not counted)"})
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()), required=True,
                            metadata={"description": "field -> what to fix"})


class ImportReportSchema(ma.Schema):
    created = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": "ids of planned meetings"})
    rejected = ma.fields.List(ma.fields.Nested(ImportRejectSchema), required=True)


IMPORT_FORMATS = """**CSV** (UTF-8, a header row; column order free): `rep, date, start, end, client_name, address`
required; `client_phone, client_email, client_language (2 letters, default ru), english_speaking_client (true/false),
latitude, longitude, products, offers` optional, lists split by `;`. Example:

    rep,date,start,end,client_name,client_phone,address,products,offers
    rep1,2026-11-25,10:00,11:00,Anna Petrova,+79161234567,"Moscow, Tverskaya 1",instant_debit_card,savings_account

**JSON**: a list of objects with the same keys (or `{"meetings": [...]}`); `products`/`offers` as lists
or `;`-separated text. Sent as a `.json` file or with a JSON content type; anything else is read as CSV.

`rep` is the rep's **username**; `date` (YYYY-MM-DD), `start` and `end` (HH:MM) are the rep's **local**
day and times in the rep's time zone, not UTC. At most 2000 rows. Good rows are planned (each with its
reminder-call task); the answer lists every rejected row with the reason, and nothing is planned twice
when retried with the same Idempotency-Key."""


class ImportFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                    "description": "the plan as CSV or JSON (see the operation)"})
