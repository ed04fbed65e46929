"""The figures' and rewards' contract: the query filters (a period of local days, bounded) and the answers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import CalendarDay, RecordId
from reports.figures import GROUPS
from reports.periods import GRAINS, MAX_DAYS, PERIODS
from reports.targets import target_etag
from routes.schemas import PatchSchema


class ReportPeriodQuerySchema(ma.Schema):
    period = ma.fields.String(load_default="month", validate=validate.OneOf(PERIODS), metadata={
        "enum": list(PERIODS), "description": "day, week (Monday-Sunday) or month around `day`, or `range` "
                                              "(`date_from` to `date_to`); local days of each rep"})
    day = CalendarDay(metadata={"description": "the day the period is around; default: today in your time zone"})
    date_from = CalendarDay(metadata={"description": "first day of a `range`"})
    date_to = CalendarDay(metadata={"description": f"last day of a `range` (inclusive; at most {MAX_DAYS} days)"})
    rep_id = RecordId(metadata={"description": "one rep (a rep may name only themself)"})

    @ma.validates_schema
    def _range(self, data, **_kwargs):
        if data.get("period") == "range":
            missing = {name: ["Required for period=range."] for name in ("date_from", "date_to") if name not in data}
            if missing:
                raise ma.ValidationError(missing)
            if data["date_to"] < data["date_from"]:
                raise ma.ValidationError({"date_to": ["Must not be before date_from."]})
            if (data["date_to"] - data["date_from"]).days + 1 > MAX_DAYS:
                raise ma.ValidationError({"date_to": [f"A range spans at most {MAX_DAYS} days."]})
        elif "date_from" in data or "date_to" in data:
            raise ma.ValidationError({"period": ["date_from and date_to go with period=range."]})


class ReportQuerySchema(ReportPeriodQuerySchema):
    group_by = ma.fields.String(load_default="rep", validate=validate.OneOf(GROUPS),
                                metadata={"enum": list(GROUPS), "description": "a row per rep, per team, or one"})
    team = ma.fields.String(validate=validate.Length(min=1, max=100),
                            metadata={"description": "one team (the reps' region)"})


class ReportTrendQuerySchema(ReportQuerySchema):
    grain = ma.fields.String(load_default="day", validate=validate.OneOf(GRAINS), metadata={"enum": list(GRAINS)})


class PeriodSchema(ma.Schema):
    first = ma.fields.Date(required=True)
    last = ma.fields.Date(required=True)


def _count(description: str = "") -> ma.fields.Integer:
    return ma.fields.Integer(required=True, metadata={"description": description} if description else {})


def _rate(description: str) -> ma.fields.Float:
    return ma.fields.Float(required=True, allow_none=True, metadata={"description": description})


class FigureRowSchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"description": "the rep's id, the team, or `all`"})
    label = ma.fields.String(required=True)
    day = ma.fields.Date(allow_none=True, metadata={"description": "trends: the first day of the bucket"})
    planned = _count("meetings on the period's local days")
    completed = _count()
    cancelled = _count()
    cancelled_by_client = _count()
    cancelled_by_rep = _count()
    rescheduled_by_client = _count()
    rescheduled_by_rep = _count()
    no_shows = _count()
    failed = _count()
    cancellation_rate = _rate("cancellations the rep caused per planned meeting (null: none planned)")
    cancellation_rate_raw = _rate("every cancellation per planned meeting")
    reminder_calls_owed = _count("meetings not cancelled that have started")
    reminder_calls_on_time = _count()
    reminder_calls_off_window = _count()
    reminder_calls_missing = _count()
    morning_checks_submitted = _count()
    morning_checks_on_time = _count()
    morning_checks_missing = _count()
    morning_checks_failed = _count()
    calls_analysed = _count()
    violations = _count("counted violations: confirmed by QA, or recorded by the system")
    call_violations = _count("counted violations found in calls")
    violations_per_100_calls = _rate("call violations per 100 analysed calls")
    violations_by_criterion = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    adherence = _rate("average script adherence of the analysed calls (0-1)")
    offers_presented = _count()
    offers_accepted = _count()
    offers_presented_target = ma.fields.Float(required=True, metadata={"description": "the months' targets, "
                                                                     "each in proportion to its days in the period"})
    offers_accepted_target = ma.fields.Float(required=True)


class ReportFiguresSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema, required=True)
    group_by = ma.fields.String(required=True)
    rows = ma.fields.List(ma.fields.Nested(FigureRowSchema), required=True)
    totals = ma.fields.Nested(FigureRowSchema, required=True)


class ReportTrendSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema, required=True)
    group_by = ma.fields.String(required=True)
    grain = ma.fields.String(required=True)
    rows = ma.fields.List(ma.fields.Nested(FigureRowSchema), required=True)


class RewardLineSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"enum": ["completed_meetings", "client_changes", "rep_changes",
                                                              "offer_bonus", "violation"]})
    label = ma.fields.String(required=True)
    criterion = ma.fields.String(allow_none=True)
    quantity = ma.fields.Integer(required=True)
    rate = ma.fields.Integer(required=True)
    amount = ma.fields.Integer(required=True)


class RewardMeetingSchema(ma.Schema):
    meeting_id = ma.fields.Integer(required=True)
    day = ma.fields.Date(required=True)
    client_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    caused_by = ma.fields.String(allow_none=True)
    counts_as = ma.fields.String(required=True, metadata={"enum": ["completed", "client_change", "rep_change"]})
    amount = ma.fields.Integer(required=True)
    corrections = ma.fields.List(ma.fields.Integer(), required=True,
                                 metadata={"description": "support's corrections of this meeting (ids)"})


class RewardViolationSchema(ma.Schema):
    violation_id = ma.fields.Integer(required=True)
    criterion = ma.fields.String(required=True)
    meeting_id = ma.fields.Integer(allow_none=True)
    day = ma.fields.Date(allow_none=True)
    amount = ma.fields.Integer(required=True)


class RewardOffersSchema(ma.Schema):
    presented = ma.fields.Integer(required=True)
    accepted = ma.fields.Integer(required=True)
    presented_target = ma.fields.Float(required=True)
    accepted_target = ma.fields.Float(required=True)


class RewardSchema(ma.Schema):
    rep_id = ma.fields.Integer(required=True)
    rep_name = ma.fields.String(required=True)
    period = ma.fields.Nested(PeriodSchema, required=True)
    total = ma.fields.Integer(required=True, metadata={"description": "the sum of the lines' amounts"})
    lines = ma.fields.List(ma.fields.Nested(RewardLineSchema), required=True)
    meetings = ma.fields.List(ma.fields.Nested(RewardMeetingSchema), required=True)
    violations = ma.fields.List(ma.fields.Nested(RewardViolationSchema), required=True)
    offers = ma.fields.Nested(RewardOffersSchema, required=True)


MAX_OFFERS = 10_000


class OfferTargetSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    rep_id = RecordId(required=True)
    month = CalendarDay(required=True, metadata={
        "description": "any day of the month; the target is the calendar month's (stored as its first day)"})
    offers_presented = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_OFFERS))
    offers_accepted = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_OFFERS),
                                        metadata={"description": "at most offers_presented"})
    etag = ma.fields.Function(lambda target: f'"{target_etag(target)}"', dump_only=True,
                              metadata={"type": "string", "description": "send as If-Match to change it"})


class OfferTargetChangeSchema(PatchSchema):
    offers_presented = ma.fields.Integer(validate=validate.Range(min=0, max=MAX_OFFERS))
    offers_accepted = ma.fields.Integer(validate=validate.Range(min=0, max=MAX_OFFERS))


class OfferTargetQuerySchema(ma.Schema):
    rep_id = RecordId(metadata={"description": "managers: one rep's targets (a rep always gets their own)"})
    month = CalendarDay(metadata={"description": "any day of the month"})
