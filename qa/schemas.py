"""The QA review API contract: the queue, the call, claims, decisions, figures, proposals, the next script."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import CalendarDay, RecordId
from compliance.schemas import (
    CriterionResultSchema,
    RecordingSchema,
    ScriptSchema,
    SegmentSchema,
    ViolationSchema,
)
from qa import rules, teaching
from qa.service import QUEUE_STATUSES

COMMENT = validate.Length(max=2000)


class QueueQuerySchema(ma.Schema):
    rep_id = RecordId()
    team = ma.fields.String(validate=validate.Length(max=100), metadata={"description": "the rep's team (region)"})
    date_from = CalendarDay(metadata={"description": "calls from this day (UTC), inclusive"})
    date_to = CalendarDay(metadata={"description": "calls up to this day (UTC), inclusive"})
    criterion = ma.fields.String(validate=validate.Length(max=64), metadata={
        "description": "only calls with a flag of this criterion"})
    status = ma.fields.String(load_default="open", validate=validate.OneOf([*QUEUE_STATUSES, "all"]), metadata={
        "description": "open (a review you can do now, or yours in progress; the default), in_review (others "
                       "hold it), reviewed, or all"})


class RepBriefSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    full_name = ma.fields.String()
    team = ma.fields.String(attribute="region", allow_none=True)


class QueueItemSchema(ma.Schema):
    recording_id = ma.fields.Function(lambda item: item.recording.id, metadata={"type": "string"})
    meeting_id = ma.fields.Function(lambda item: item.recording.meeting_id, metadata={"type": "integer"})
    rep = ma.fields.Nested(RepBriefSchema)
    call_started_at = ma.fields.Function(lambda item: item.recording.call_started_at.isoformat(),
                                         metadata={"type": "string", "format": "date-time"})
    duration_s = ma.fields.Function(lambda item: item.recording.duration_s,
                                    metadata={"type": "number", "nullable": True})
    least_confidence = ma.fields.Float(allow_none=True, metadata={
        "description": "the lowest confidence of the bot's verdicts on the call (0.5 a coin toss): the queue's order"})
    flagged = ma.fields.List(ma.fields.String(), metadata={"description": "criteria whose flags await a decision"})
    criteria = ma.fields.List(ma.fields.String(), metadata={"description": "criteria of all the bot's flags"})
    status = ma.fields.String(metadata={"enum": list(QUEUE_STATUSES)})
    double_review = ma.fields.Boolean(metadata={"description": "sampled to be reviewed by two reviewers"})
    claimed_by = ma.fields.String(allow_none=True)
    claim_expires_at = ma.fields.DateTime(allow_none=True)
    mine = ma.fields.Boolean(metadata={"description": "you hold the call now"})


class ClaimSchema(ma.Schema):
    recording_id = ma.fields.String()
    slot = ma.fields.Integer(metadata={"description": "1: the review; 2: the second, independent review"})
    reviewer_id = ma.fields.Integer()
    claimed_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime(metadata={"description": "the call is free for others after this; each "
                                                             "decision renews it"})
    finished_at = ma.fields.DateTime(allow_none=True)


class MarkSchema(ma.Schema):
    segment = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=100_000), metadata={
        "description": "the transcript segment's position"})
    words = ma.fields.String(required=True, validate=validate.Length(min=1, max=300), metadata={
        "description": "words of that segment"})
    carries = ma.fields.Boolean(required=True, metadata={
        "description": "true: these words carried the criterion's meaning (a proposed example); false: they did "
                       "not, though the bot took them for it (a proposed near-miss)"})


class DecisionSchema(ma.Schema):
    id = ma.fields.Integer()
    seq = ma.fields.Integer(metadata={"description": "the version: 1, 2, ... per violation"})
    reviewer_id = ma.fields.Integer()
    slot = ma.fields.Integer()
    decision = ma.fields.String(metadata={"enum": ["confirm", "dismiss", "add"]})
    comment = ma.fields.String(allow_none=True)
    marks = ma.fields.List(ma.fields.Nested(MarkSchema))
    revises_id = ma.fields.Integer(allow_none=True, metadata={"description": "the reviewer's earlier decision"})
    created_at = ma.fields.DateTime()


class ViolationReviewSchema(ma.Schema):
    violation = ma.fields.Nested(ViolationSchema)
    etag = ma.fields.String(metadata={"description": "send it as If-Match with a decision on this violation"})
    decisions = ma.fields.List(ma.fields.Nested(DecisionSchema),
                               metadata={"description": "every version, oldest first"})
    my_decision = ma.fields.Nested(DecisionSchema, allow_none=True)


class MeetingContextSchema(ma.Schema):
    id = ma.fields.Integer()
    client_name = ma.fields.String()
    client_language = ma.fields.String(allow_none=True)
    english_speaking_client = ma.fields.Boolean()
    address = ma.fields.String()
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    status = ma.fields.Function(lambda m: m.status.value, metadata={"type": "string"})


class AudioSchema(ma.Schema):
    url = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True)


class CallSchema(ma.Schema):
    recording = ma.fields.Nested(RecordingSchema)
    meeting = ma.fields.Nested(MeetingContextSchema)
    rep = ma.fields.Nested(RepBriefSchema)
    script = ma.fields.Function(lambda view: None if view.script is None else
                                {"id": view.script.id, "name": view.script.name, "version": view.script.version},
                                metadata={"type": "object", "nullable": True,
                                          "description": "the script version the call was scored with"})
    audio = ma.fields.Nested(AudioSchema, metadata={"description": "a short-lived link to listen to the call"})
    segments = ma.fields.List(ma.fields.Nested(SegmentSchema))
    criteria = ma.fields.List(ma.fields.Nested(CriterionResultSchema))
    violations = ma.fields.List(ma.fields.Nested(ViolationReviewSchema))
    criterion_ids = ma.fields.List(ma.fields.String(), metadata={"description": "what a missed violation may name"})
    claims = ma.fields.List(ma.fields.Nested(ClaimSchema))
    my_claim = ma.fields.Nested(ClaimSchema, allow_none=True)
    double_review = ma.fields.Boolean()


class DecideSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(rules.DECISIONS))
    comment = ma.fields.String(validate=COMMENT, metadata={"description": "why; required to dismiss"})
    marks = ma.fields.List(ma.fields.Nested(MarkSchema), load_default=list, validate=validate.Length(max=20))


class AddViolationSchema(ma.Schema):
    criterion = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    at_s = ma.fields.Float(required=True, validate=validate.Range(min=0, max=86_400), metadata={
        "description": "the second of the call where it is heard (or should have been)"})
    comment = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    marks = ma.fields.List(ma.fields.Nested(MarkSchema), load_default=list, validate=validate.Length(max=20))


class FiguresQuerySchema(ma.Schema):
    date_from = CalendarDay()
    date_to = CalendarDay()
    period = ma.fields.String(load_default="week", validate=validate.OneOf(["day", "week", "month"]))


class CriterionFiguresSchema(ma.Schema):
    criterion = ma.fields.String()
    flagged = ma.fields.Integer(metadata={"description": "the bot's flags awaiting a decision"})
    confirmed = ma.fields.Integer()
    dismissed = ma.fields.Integer(metadata={"description": "the bot's false positives"})
    added = ma.fields.Integer(metadata={"description": "violations the bot missed, added by reviewers"})
    precision = ma.fields.Float(allow_none=True, metadata={"description": "confirmed / (confirmed + dismissed)"})


class PeriodFiguresSchema(ma.Schema):
    period_start = ma.fields.Date()
    confirmed = ma.fields.Integer()
    dismissed = ma.fields.Integer()
    added = ma.fields.Integer()
    precision = ma.fields.Float(allow_none=True)


class AgreementSchema(ma.Schema):
    pairs = ma.fields.Integer(metadata={"description": "flags decided by both reviewers of a double review"})
    equal = ma.fields.Integer()
    share_equal = ma.fields.Float(allow_none=True)
    kappa = ma.fields.Float(allow_none=True, metadata={"description": "Cohen's kappa; null when undefined"})


class FiguresSchema(ma.Schema):
    date_from = ma.fields.Date(allow_none=True)
    date_to = ma.fields.Date(allow_none=True)
    criteria = ma.fields.List(ma.fields.Nested(CriterionFiguresSchema))
    total = ma.fields.Nested(CriterionFiguresSchema)
    periods = ma.fields.List(ma.fields.Nested(PeriodFiguresSchema))
    agreement = ma.fields.Nested(AgreementSchema)


class ProposalQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(teaching.PROPOSAL_STATUSES))
    criterion = ma.fields.String(validate=validate.Length(max=64))
    name = ma.fields.String(validate=validate.Length(max=100), metadata={"description": "the script's name"})


class ProposalSchema(ma.Schema):
    id = ma.fields.Integer()
    etag = ma.fields.Function(teaching.proposal_etag, metadata={"type": "string", "description": "for If-Match"})
    script_name = ma.fields.String()
    criterion = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(teaching.KINDS)})
    language = ma.fields.String()
    text = ma.fields.String()
    score = ma.fields.Float(allow_none=True, metadata={"description": "the bot's score of the words for the "
                                                                      "criterion when proposed"})
    recording_id = ma.fields.String(allow_none=True)
    proposed_by_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": list(teaching.PROPOSAL_STATUSES)})
    reviewed_by_id = ma.fields.Integer(allow_none=True)
    reviewed_at = ma.fields.DateTime(allow_none=True)
    review_reason = ma.fields.String(allow_none=True)
    published_script_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()


class ProposalReviewSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(["accept", "reject"]))
    reason = ma.fields.String(validate=COMMENT, metadata={"description": "required to reject"})


class DraftQuerySchema(ma.Schema):
    name = ma.fields.String(load_default=teaching.DEFAULT_SCRIPT_NAME, validate=validate.Length(max=100))


class CountsSchema(ma.Schema):
    true_positives = ma.fields.Integer()
    false_positives = ma.fields.Integer()
    false_negatives = ma.fields.Integer()
    true_negatives = ma.fields.Integer()
    precision = ma.fields.Float(allow_none=True)
    recall = ma.fields.Float(allow_none=True)


class RescoreSchema(ma.Schema):
    criterion = ma.fields.String()
    before = ma.fields.Nested(CountsSchema, metadata={"description": "with the latest published version"})
    after = ma.fields.Nested(CountsSchema, metadata={"description": "with the proposed version"})


class PreviewSchema(ma.Schema):
    name = ma.fields.Function(lambda p: p.draft.base.name, metadata={"type": "string"})
    base_version = ma.fields.Function(lambda p: p.draft.base.version, metadata={"type": "integer"})
    version = ma.fields.Function(lambda p: p.draft.body["version"], metadata={"type": "integer"})
    etag = ma.fields.Function(lambda p: p.draft.etag, metadata={"type": "string", "description": "If-Match to publish"})
    proposals = ma.fields.Function(lambda p: ProposalSchema(many=True).dump(p.draft.proposals),
                                   metadata={"type": "array", "items": {"$ref": "#/components/schemas/Proposal"},
                                             "description": "the accepted proposals the version takes in"})
    body = ma.fields.Function(lambda p: p.draft.body, metadata={"type": "object", "description": "the proposed script"})
    notes = ma.fields.Function(lambda p: p.draft.notes, metadata={"type": "array", "items": {"type": "string"}})
    calls = ma.fields.Integer(metadata={"description": "reviewed calls scored again from their stored transcripts"})
    figures = ma.fields.List(ma.fields.Nested(RescoreSchema), metadata={
        "description": "per criterion (and `all`), against the reviewers' decisions"})


class PublishSchema(ma.Schema):
    name = ma.fields.String(load_default=teaching.DEFAULT_SCRIPT_NAME, validate=validate.Length(max=100))
    effective_from = CalendarDay(required=True, metadata={"description": "first day the version applies"})


class DisputeCreateSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DisputeSchema(ma.Schema):
    id = ma.fields.Integer()
    violation_id = ma.fields.Integer()
    reason = ma.fields.String()
    status = ma.fields.String()
    ticket_id = ma.fields.Integer(allow_none=True, metadata={"description": "support's ticket, once support takes "
                                                                            "disputes (null until then)"})
    created_at = ma.fields.DateTime()


__all__ = ["ScriptSchema"]
