"""Compliance use cases: scripts, accepting recordings, running the analysis, reading results.

No Flask here: callers pass a session, the object store and settings.
"""

from __future__ import annotations

import hashlib
import mimetypes
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from compliance.audio import ACCEPTED_EXTENSIONS, AudioError, effective_layout, probe
from compliance.scripts import CallScriptSpec, load_script
from errors import Conflict, Invalid, NotFound, PayloadTooLarge
from jobs.durable import create_job
from models import (
    BackgroundJob,
    CallScript,
    ChannelLayout,
    CriterionResult,
    JobState,
    Recording,
    Role,
    TranscriptSegment,
    User,
    Violation,
    ViolationStatus,
    utcnow,
)
from qa.visibility import shown_to_rep
from routes.service import get_meeting
from settings import Settings
from storage.objects import ObjectNotFound, ObjectStore, new_object_key

ANALYZE_JOB = "compliance.analyze_recording"
DEFAULT_SCRIPT_NAME = "reminder-call"
STATUS_BY_JOB_STATE = {
    JobState.queued: "queued",
    JobState.processing: "processing",
    JobState.done: "analysed",
    JobState.failed: "failed",
}


# --- scripts ---------------------------------------------------------------------------------

def add_script_version(
    session: Session, body: dict, *, effective_from: date, created_by: User | None = None
) -> CallScript:
    spec = load_script(body)
    latest = session.scalar(select(func.max(CallScript.version)).where(CallScript.name == spec.name))
    if latest is not None and spec.version <= latest:
        raise Conflict(
            f"Script {spec.name!r} already has version {latest}; give the new one version {latest + 1} or higher.",
            errors={"version": [f"Must be greater than {latest}."]},
        )
    row = CallScript(
        name=spec.name, version=spec.version, language=spec.language, effective_from=effective_from, body=body,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(row)
    session.flush()
    return row


def script_in_force(session: Session, name: str, on: date) -> CallScript:
    row = session.scalar(
        select(CallScript)
        .where(CallScript.name == name, CallScript.effective_from <= on)
        .order_by(CallScript.effective_from.desc(), CallScript.version.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound(f"No version of script {name!r} is in force on {on.isoformat()}.")
    return row


def get_script(session: Session, script_id: int) -> CallScript:
    row = session.get(CallScript, script_id)
    if row is None:
        raise NotFound("No such script.")
    return row


def spec_of(row: CallScript) -> CallScriptSpec:
    return load_script(row.body)


# --- recordings ------------------------------------------------------------------------------

@dataclass(frozen=True)
class IncomingRecording:
    meeting_id: int
    layout: str | None
    call_started_at: datetime | None
    filename: str | None
    content_type: str | None
    retry_seed: str | None = None  # the caller's Idempotency-Key: a retry overwrites, never adds, the file


def _suffix(filename: str | None, content_type: str | None) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix in ACCEPTED_EXTENSIONS:
        return suffix
    guessed = mimetypes.guess_extension(content_type or "") or ""
    return guessed if guessed in ACCEPTED_EXTENSIONS else ".audio"


def _spool(stream: BinaryIO, limit_bytes: int, directory: str) -> tuple[Path, str, int]:
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=directory, delete=False) as handle:
        for block in iter(lambda: stream.read(1 << 20), b""):
            size += len(block)
            if size > limit_bytes:
                raise PayloadTooLarge(f"The recording is larger than {limit_bytes // (1024 * 1024)} MB.")
            digest.update(block)
            handle.write(block)
    return Path(handle.name), digest.hexdigest(), size


def _check_audio(path: Path, settings: Settings, layout: str | None) -> tuple[int, float, str]:
    try:
        info = probe(path)
        resolved_layout = effective_layout(layout, info.channels)
    except AudioError as exc:
        raise Invalid(f"The file is not a usable call recording: {exc}.", errors={"file": [str(exc)]}) from exc
    if info.duration_s > settings.max_recording_seconds:
        raise Invalid(
            f"The recording lasts {info.duration_s / 60:.1f} min; the limit is "
            f"{settings.max_recording_seconds / 60:.0f} min. Upload the reminder call alone.",
            errors={"file": ["too long"]},
        )
    return info.channels, info.duration_s, resolved_layout


def accept_recording(
    session: Session,
    store: ObjectStore,
    settings: Settings,
    *,
    user: User,
    incoming: IncomingRecording,
    stream: BinaryIO | None = None,
    object_key: str | None = None,
) -> Recording:
    """Check, store, record and queue a call recording. The file is stored before this returns."""
    meeting = get_meeting(session, user, incoming.meeting_id)
    with tempfile.TemporaryDirectory() as scratch:
        if stream is not None:
            path, sha256, size = _spool(stream, settings.max_upload_bytes, scratch)
            channels, duration, layout = _check_audio(path, settings, incoming.layout)
            # Same key and same bytes: the same object, so a retry of a killed upload leaves no orphan copy.
            seed = f"{user.id}:{incoming.retry_seed}:{sha256}" if incoming.retry_seed else None
            key = new_object_key("recordings", _suffix(incoming.filename, incoming.content_type), seed)
            with open(path, "rb") as handle:
                store.put(key, handle, incoming.content_type)
        else:
            key = _uploaded_key(user, object_key)
            try:
                path = store.fetch_to_file(key, Path(scratch))
            except ObjectNotFound:
                raise NotFound("Nothing was uploaded to that URL (or it expired); upload the file first.") from None
            size = path.stat().st_size
            if size > settings.max_upload_bytes:
                raise PayloadTooLarge(f"The recording is larger than {settings.max_upload_mb} MB.")
            with open(path, "rb") as handle:
                sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
            channels, duration, layout = _check_audio(path, settings, incoming.layout)
    recording = Recording(
        meeting_id=meeting.id,
        rep_id=meeting.rep_id,
        object_key=key,
        original_filename=(incoming.filename or "")[:255] or None,
        content_type=incoming.content_type,
        size_bytes=size,
        sha256=sha256,
        layout=ChannelLayout(layout),
        channels=channels,
        duration_s=round(duration, 2),
        call_started_at=incoming.call_started_at or utcnow(),
    )
    session.add(recording)
    session.flush()
    job = create_job(session, ANALYZE_JOB, subject_id=recording.id, max_attempts=settings.job_max_attempts)
    recording.job = job
    session.flush()
    return recording


def upload_key_for(user: User, filename: str | None, content_type: str | None) -> str:
    return new_object_key(f"uploads/{user.id}", _suffix(filename, content_type))


def _uploaded_key(user: User, object_key: str | None) -> str:
    if not object_key or not object_key.startswith(f"uploads/{user.id}/"):
        raise NotFound("Unknown upload; ask for an upload URL first and upload the file to it.")
    return object_key


def status_of(recording: Recording) -> str:
    return STATUS_BY_JOB_STATE[recording.job.state] if recording.job else "queued"


def get_recording(session: Session, user: User, recording_id: str) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None or (user.role == Role.rep and recording.rep_id != user.id):
        raise NotFound("No such recording.")
    return recording


def list_recordings(session: Session, user: User, *, rep_id: int | None = None, meeting_id: int | None = None,
                    status: str | None = None):
    statement = select(Recording).order_by(Recording.created_at.desc())
    if user.role == Role.rep:
        statement = statement.where(Recording.rep_id == user.id)
    elif rep_id is not None:
        statement = statement.where(Recording.rep_id == rep_id)
    if meeting_id is not None:
        statement = statement.where(Recording.meeting_id == meeting_id)
    if status is not None:
        states = [state for state, name in STATUS_BY_JOB_STATE.items() if name == status]
        statement = statement.join(BackgroundJob, Recording.job_id == BackgroundJob.id).where(
            BackgroundJob.state.in_(states)
        )
    return statement


def list_violations(session: Session, user: User, *, rep_id: int | None = None, criterion: str | None = None,
                    status: str | None = None, recording_id: str | None = None):
    statement = select(Violation).order_by(Violation.created_at.desc(), Violation.id)
    if user.role == Role.rep:  # only what counts against them: never a flag awaiting review (qa.visibility)
        statement = statement.where(Violation.rep_id == user.id, shown_to_rep())
    elif rep_id is not None:
        statement = statement.where(Violation.rep_id == rep_id)
    if criterion:
        statement = statement.where(Violation.criterion == criterion)
    if status:
        statement = statement.where(Violation.status == ViolationStatus(status))
    if recording_id:
        statement = statement.where(Violation.recording_id == recording_id)
    return statement


def reanalyze(session: Session, recording: Recording, settings: Settings) -> Recording:
    if recording.job and recording.job.state in (JobState.queued, JobState.processing):
        raise Conflict("The recording is already queued or being analysed.")
    job = create_job(session, ANALYZE_JOB, subject_id=recording.id, max_attempts=settings.job_max_attempts)
    recording.job = job
    session.flush()
    return recording


# --- analysis (runs in the worker) -------------------------------------------------------------

def call_date(recording: Recording, rep: User) -> date:
    return recording.call_started_at.astimezone(ZoneInfo(rep.time_zone)).date()


def store_analysis(session: Session, recording: Recording, script_row: CallScript, analysis) -> None:
    """Replace this recording's results; safe to run twice (the second run rewrites, never duplicates)."""
    session.execute(delete(TranscriptSegment).where(TranscriptSegment.recording_id == recording.id))
    session.execute(delete(CriterionResult).where(CriterionResult.recording_id == recording.id))
    # Reviewed violations (confirmed/dismissed) and reviewers' own stay; only the bot's open flags are redone.
    session.execute(
        delete(Violation).where(
            Violation.recording_id == recording.id, Violation.source == "bot",
            Violation.status == ViolationStatus.flagged,
        )
    )
    reviewed = set(
        session.scalars(
            select(Violation.criterion).where(Violation.recording_id == recording.id, Violation.source == "bot")
        )
    )
    for segment in analysis.segments:
        session.add(TranscriptSegment(
            recording_id=recording.id, position=segment.index, speaker=segment.speaker, start_s=segment.start_s,
            end_s=segment.end_s, language=segment.language, language_probability=segment.language_probability,
            avg_logprob=segment.avg_logprob, text=segment.text, heard_as=analysis.revisions.get(segment.index),
        ))
    for outcome in analysis.verdict.criteria:
        data = outcome.as_dict()
        session.add(CriterionResult(
            recording_id=recording.id, criterion=outcome.criterion, kind=outcome.kind, passed=outcome.passed,
            score=data["score"], evidence=data["evidence"], confidence=data["confidence"],
        ))
    for violation in analysis.verdict.violations:
        if violation.criterion in reviewed:
            continue
        data = violation.as_dict()
        session.add(Violation(
            rep_id=recording.rep_id, meeting_id=recording.meeting_id, recording_id=recording.id,
            criterion=violation.criterion, status=ViolationStatus.flagged, source="bot", score=data["score"],
            evidence=data["evidence"], confidence=data["confidence"],
        ))
    recording.script_id = script_row.id
    recording.language = analysis.verdict.language
    recording.expected_language = analysis.verdict.expected_language
    recording.adherence = analysis.verdict.adherence
    recording.duration_s = round(analysis.duration_s, 2)
    recording.analysed_at = utcnow()
