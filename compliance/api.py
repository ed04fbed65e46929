"""Recordings of reminder calls, their analysis, violations, and the call scripts."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from sqlalchemy import func, select

from accounts.auth import ALL_ROLES, roles_required
from api.context import app_settings, db_session, object_store
from api.contract import errors
from api.fields import ID_PATH
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.idempotency import idempotent
from api.pagination import SelectPage
from compliance import service
from compliance.schemas import (
    AudioUrlSchema,
    RecordingConfirmSchema,
    RecordingFileSchema,
    RecordingQuerySchema,
    RecordingSchema,
    RecordingUploadFormSchema,
    RecordingUploadSchema,
    ScriptCreateSchema,
    ScriptQuerySchema,
    ScriptSchema,
    TranscriptSchema,
    UploadUrlRequestSchema,
    UploadUrlSchema,
    ViolationQuerySchema,
    ViolationSchema,
)
from compliance.scripts import parse_script_text
from errors import Invalid
from models import CallScript, CriterionResult, Role, TranscriptSegment

recordings_blp = Blueprint(
    "recordings", __name__, url_prefix="/api/v1",
    description="Recorded reminder calls, their transcripts, criteria results and violations",
)
scripts_blp = Blueprint("scripts", __name__, url_prefix="/api/v1/scripts", description="Versioned call scripts")



@recordings_blp.route("/recordings")
class Recordings(MethodView):
    @roles_required(*ALL_ROLES)
    @recordings_blp.arguments(RecordingQuerySchema, location="query")
    @recordings_blp.response(200, RecordingSchema(many=True))
    @recordings_blp.paginate(SelectPage)
    def get(self, query):
        """List recordings: a rep sees their own, staff see all (filter by rep, meeting, status)."""
        return service.list_recordings(db_session(), current_user, **query)

    @roles_required(Role.rep)
    @idempotent
    @recordings_blp.arguments(RecordingUploadFormSchema, location="form")
    @recordings_blp.arguments(RecordingFileSchema, location="files")
    @recordings_blp.response(202, RecordingSchema)
    @recordings_blp.alt_response(413, description="The file is too large")
    @recordings_blp.alt_response(422, description="Not a usable recording (not audio, empty, too long)")
    @recordings_blp.doc(requestBody={"required": True,
                                     "content": {"multipart/form-data": {"schema": RecordingUploadSchema}}})
    @errors(404, e409="The meeting is not in a state to record a call for")
    def post(self, form, files):
        """Upload a reminder-call recording (multipart) for one of your meetings; analysis is queued.

        The file is stored before the answer. Retry with the same `Idempotency-Key`: no second
        recording is made.
        """
        upload = files["file"]
        if not hasattr(upload, "stream"):
            raise Invalid("Send the recording as a file part named `file`.", errors={"file": ["Not a file."]})
        session = db_session()
        recording = service.accept_recording(
            session, object_store(), app_settings(), user=current_user,
            incoming=service.IncomingRecording(
                meeting_id=form["meeting_id"], layout=form.get("layout"), call_started_at=form.get("call_started_at"),
                filename=upload.filename, content_type=upload.mimetype,
                retry_seed=request.headers.get(IDEMPOTENCY_HEADER) or None,
            ),
            stream=upload.stream,
        )
        return recording


@recordings_blp.route("/recordings/upload-url")
class RecordingUploadUrl(MethodView):
    @roles_required(Role.rep)
    @recordings_blp.arguments(UploadUrlRequestSchema)
    @recordings_blp.response(200, UploadUrlSchema)
    def post(self, body):
        """Get a time-limited URL to upload a recording to directly; then confirm it."""
        settings = app_settings()
        key = service.upload_key_for(current_user, body.get("filename"), body.get("content_type"))
        upload = object_store().upload_url(key, settings.upload_url_seconds, body.get("content_type"))
        return {"upload_url": upload.url, "method": upload.method, "headers": upload.headers,
                "object_key": upload.key, "expires_in": upload.expires_in}


@recordings_blp.route("/recordings/confirm")
class RecordingConfirm(MethodView):
    @roles_required(Role.rep)
    @idempotent
    @recordings_blp.arguments(RecordingConfirmSchema)
    @recordings_blp.response(202, RecordingSchema)
    @errors(413, e404="No such meeting, or nothing was uploaded under that object key")
    def post(self, body):
        """Register a recording uploaded through an upload URL; analysis is queued."""
        session = db_session()
        recording = service.accept_recording(
            session, object_store(), app_settings(), user=current_user,
            incoming=service.IncomingRecording(
                meeting_id=body["meeting_id"], layout=body.get("layout"), call_started_at=body.get("call_started_at"),
                filename=body.get("filename"), content_type=body.get("content_type"),
            ),
            object_key=body["object_key"],
        )
        return recording


@recordings_blp.route("/recordings/<string(length=32):recording_id>")
class RecordingItem(MethodView):
    @roles_required(*ALL_ROLES)
    @recordings_blp.response(200, RecordingSchema)
    def get(self, recording_id):
        """A recording and its analysis status (queued, processing, analysed, failed with the reason)."""
        return service.get_recording(db_session(), current_user, recording_id)


@recordings_blp.route("/recordings/<string(length=32):recording_id>/transcript")
class RecordingTranscript(MethodView):
    @roles_required(*ALL_ROLES)
    @recordings_blp.response(200, TranscriptSchema)
    def get(self, recording_id):
        """The masked transcript, per segment with speaker, times and language, and each criterion's result."""
        session = db_session()
        recording = service.get_recording(session, current_user, recording_id)
        segments = session.scalars(
            select(TranscriptSegment).where(TranscriptSegment.recording_id == recording.id)
            .order_by(TranscriptSegment.position)
        ).all()
        criteria = session.scalars(
            select(CriterionResult).where(CriterionResult.recording_id == recording.id).order_by(CriterionResult.id)
        ).all()
        return {"recording": recording, "segments": segments, "criteria": criteria}


@recordings_blp.route("/recordings/<string(length=32):recording_id>/audio-url")
class RecordingAudioUrl(MethodView):
    @roles_required(*ALL_ROLES)
    @recordings_blp.response(200, AudioUrlSchema)
    def get(self, recording_id):
        """A time-limited link to listen to the recording."""
        recording = service.get_recording(db_session(), current_user, recording_id)
        seconds = app_settings().download_url_seconds
        return {"url": object_store().download_url(recording.object_key, seconds), "expires_in": seconds}


@recordings_blp.route("/recordings/<string(length=32):recording_id>/reanalyze")
class RecordingReanalyze(MethodView):
    @roles_required(Role.qa, Role.manager)
    @idempotent
    @recordings_blp.response(202, RecordingSchema)
    @errors(e409="The recording is already queued or being analysed")
    def post(self, recording_id):
        """Analyse the recording again (after a failure, a script change or a model change)."""
        session = db_session()
        recording = service.get_recording(session, current_user, recording_id)
        service.reanalyze(session, recording, app_settings())
        return recording


@recordings_blp.route("/violations")
class Violations(MethodView):
    @roles_required(*ALL_ROLES)
    @recordings_blp.arguments(ViolationQuerySchema, location="query")
    @recordings_blp.response(200, ViolationSchema(many=True))
    @recordings_blp.paginate(SelectPage)
    def get(self, query):
        """Violations: a rep sees their own that count (confirmed, and the rules' own), never the bot's flags
        awaiting review; staff see all (filter by rep, criterion, status, recording)."""
        return service.list_violations(db_session(), current_user, **query)


@scripts_blp.route("")
class Scripts(MethodView):
    @roles_required(*ALL_ROLES)
    @scripts_blp.arguments(ScriptQuerySchema, location="query")
    @scripts_blp.response(200, ScriptSchema(many=True))
    @scripts_blp.paginate()
    @errors(e404="With `on`: no version of the script is in force on that date")
    def get(self, query, pagination_parameters):
        """Script versions, newest first; with `on`, only the version in force on that date."""
        session = db_session()
        if "on" in query:
            found = service.script_in_force(session, query.get("name", service.DEFAULT_SCRIPT_NAME), query["on"])
            pagination_parameters.item_count = 1
            return [found] if pagination_parameters.first_item == 0 else []
        statement = select(CallScript).order_by(CallScript.name, CallScript.version.desc())
        if "name" in query:
            statement = statement.where(CallScript.name == query["name"])
        pagination_parameters.item_count = session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())) or 0
        return session.scalars(statement.offset(pagination_parameters.first_item)
                               .limit(pagination_parameters.page_size)).all()

    @roles_required(Role.manager)
    @idempotent
    @scripts_blp.arguments(ScriptCreateSchema)
    @scripts_blp.response(201, ScriptSchema)
    @scripts_blp.alt_response(409, description="The version is not newer than the latest")
    def post(self, data):
        """Add a script version (JSON `body` or YAML `body_yaml`); it applies from `effective_from`.

        Validation errors name the bad field, e.g. `criteria[1].kind`.
        """
        body = data.get("body")
        if body is None:
            body = parse_script_text(data["body_yaml"])
        session = db_session()
        row = service.add_script_version(session, body, effective_from=data["effective_from"], created_by=current_user)
        session.flush()
        return row


@scripts_blp.route(f"/<{ID_PATH}:script_id>")
class ScriptItem(MethodView):
    @roles_required(*ALL_ROLES)
    @scripts_blp.response(200, ScriptSchema)
    def get(self, script_id):
        """One script version."""
        return service.get_script(db_session(), script_id)
