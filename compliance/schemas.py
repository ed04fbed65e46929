"""The compliance API contract: recordings, transcripts, results, violations, scripts."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fields import CalendarDay, Moment, RecordId
from compliance.audio import LAYOUTS
from compliance.service import STATUS_BY_JOB_STATE, status_of

RECORDING_STATUSES = sorted(set(STATUS_BY_JOB_STATE.values()))
VIOLATION_STATUSES = ["flagged", "confirmed", "dismissed"]


class RecordingUploadFormSchema(ma.Schema):
    meeting_id = RecordId(required=True)
    layout = ma.fields.String(validate=validate.OneOf(LAYOUTS), metadata={
        "description": "rep-left (default for stereo: left = rep, right = client), rep-right, or mono"})
    call_started_at = Moment(metadata={"description": "when the call began (ISO 8601 with offset)"})


class RecordingFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                    "description": "wav, mp3, m4a/aac, ogg/opus or flac"})


class RecordingUploadSchema(RecordingUploadFormSchema, RecordingFileSchema):
    """The whole multipart form, for the document (the view reads the form and the file part separately)."""


class UploadUrlRequestSchema(ma.Schema):
    filename = ma.fields.String(validate=validate.Length(max=255))
    content_type = ma.fields.String(validate=validate.Length(max=100))


class UploadUrlSchema(ma.Schema):
    upload_url = ma.fields.String(required=True)
    method = ma.fields.String(required=True)
    headers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    object_key = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True)


class RecordingConfirmSchema(RecordingUploadFormSchema):
    object_key = ma.fields.String(required=True, validate=validate.Length(max=255))
    filename = ma.fields.String(validate=validate.Length(max=255))
    content_type = ma.fields.String(validate=validate.Length(max=100))


class RecordingSchema(ma.Schema):
    id = ma.fields.String()
    meeting_id = ma.fields.Integer()
    rep_id = ma.fields.Integer()
    status = ma.fields.Function(status_of, metadata={"type": "string", "enum": RECORDING_STATUSES})
    failure_reason = ma.fields.Function(
        lambda r: r.job.failure_reason if r.job and r.job.state.value == "failed" else None,
        metadata={"type": "string", "nullable": True})
    attempts = ma.fields.Function(lambda r: r.job.attempts if r.job else 0, metadata={"type": "integer"})
    layout = ma.fields.Function(lambda r: r.layout.value, metadata={"type": "string", "enum": list(LAYOUTS)})
    channels = ma.fields.Integer(allow_none=True)
    duration_s = ma.fields.Float(allow_none=True)
    size_bytes = ma.fields.Integer()
    original_filename = ma.fields.String(allow_none=True)
    call_started_at = ma.fields.DateTime()
    created_at = ma.fields.DateTime()
    analysed_at = ma.fields.DateTime(allow_none=True, metadata={"description": "null until analysed"})
    language = ma.fields.String(allow_none=True, metadata={"description": "null until analysed"})
    expected_language = ma.fields.String(allow_none=True, metadata={"description": "null until analysed"})
    adherence = ma.fields.Float(allow_none=True, metadata={"description": "0-1; null until analysed"})


class RecordingQuerySchema(ma.Schema):
    rep_id = RecordId()
    meeting_id = RecordId()
    status = ma.fields.String(validate=validate.OneOf(RECORDING_STATUSES))


class EvidenceSchema(ma.Schema):
    segment = ma.fields.Integer()
    speaker = ma.fields.String()
    start_s = ma.fields.Float()
    end_s = ma.fields.Float()
    words = ma.fields.String()
    phrase = ma.fields.String(allow_none=True)
    language = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True, metadata={"description": "what the finding rests on"})


class SegmentSchema(ma.Schema):
    position = ma.fields.Integer()
    speaker = ma.fields.String()
    start_s = ma.fields.Float()
    end_s = ma.fields.Float()
    language = ma.fields.String()
    language_probability = ma.fields.Float()
    text = ma.fields.String()
    heard_as = ma.fields.String(allow_none=True, metadata={
        "description": "set when a script word was restored by the alignment check: what the recogniser wrote"})


class CriterionResultSchema(ma.Schema):
    criterion = ma.fields.String()
    kind = ma.fields.String()
    passed = ma.fields.Boolean()
    score = ma.fields.Float()
    confidence = ma.fields.Float(allow_none=True, metadata={
        "description": "the bot's confidence that `passed` is right, 0.5 (a coin toss) to 1"})
    evidence = ma.fields.Nested(EvidenceSchema, allow_none=True)


class TranscriptSchema(ma.Schema):
    recording = ma.fields.Nested(RecordingSchema)
    segments = ma.fields.List(ma.fields.Nested(SegmentSchema))
    criteria = ma.fields.List(ma.fields.Nested(CriterionResultSchema))


class AudioUrlSchema(ma.Schema):
    url = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True)


class ViolationSchema(ma.Schema):
    id = ma.fields.Integer()
    rep_id = ma.fields.Integer()
    meeting_id = ma.fields.Integer(allow_none=True)
    recording_id = ma.fields.String(allow_none=True)
    criterion = ma.fields.String()
    status = ma.fields.Function(lambda v: v.status.value, metadata={"enum": VIOLATION_STATUSES})
    source = ma.fields.String()
    score = ma.fields.Float(allow_none=True)
    confidence = ma.fields.Float(allow_none=True, metadata={
        "description": "the bot's confidence in the flag, 0.5-1 (null for violations found by rules or people)"})
    evidence = ma.fields.Dict(allow_none=True, metadata={
        "description": "bot violations: segment, speaker, start_s, end_s, words, phrase, language; "
                       "system ones: what was checked (times, day, reasons)"})
    created_at = ma.fields.DateTime()


class ViolationQuerySchema(ma.Schema):
    rep_id = RecordId()
    criterion = ma.fields.String(validate=validate.Length(max=64))
    status = ma.fields.String(validate=validate.OneOf(VIOLATION_STATUSES))
    recording_id = ma.fields.String(validate=validate.Length(max=32))


class ScriptCreateSchema(ma.Schema):
    effective_from = CalendarDay(required=True, metadata={"description": "first day (in the rep's zone) it applies"})
    body = ma.fields.Dict(metadata={"description": "the script as JSON (see the spec)"})
    body_yaml = ma.fields.String(metadata={"description": "or the same script as YAML text"})

    @ma.validates_schema
    def _one_body(self, data: dict, **_kwargs) -> None:
        if ("body" in data) == ("body_yaml" in data):
            raise ma.ValidationError("Give the script either as `body` (JSON) or as `body_yaml`.", "body")


class ScriptSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    version = ma.fields.Integer()
    language = ma.fields.String()
    effective_from = ma.fields.Date()
    body = ma.fields.Dict()
    created_at = ma.fields.DateTime()


class ScriptQuerySchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(max=100))
    on = CalendarDay(metadata={"description": "only the version in force on this date"})
