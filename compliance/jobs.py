"""The analysis job: runs on the `transcribe` queue, so GPU workers can take only these."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from compliance import service
from compliance.audio import AudioError
from jobs.registry import JobContext, PermanentJobError, job_handler
from models import CallScript, Meeting, Recording, User
from storage.objects import ObjectNotFound

log = logging.getLogger(__name__)


@job_handler(service.ANALYZE_JOB, queue="transcribe")
def analyze_recording(context: JobContext) -> None:
    from compliance.pipeline import AnalysisOptions, analyze_file

    settings = context.services.settings
    store = context.services.objects
    with context.session_factory() as session:
        recording = session.get(Recording, context.subject_id)
        if recording is None:
            raise PermanentJobError(f"recording {context.subject_id} no longer exists")
        meeting = session.get(Meeting, recording.meeting_id)
        rep = session.get_one(User, recording.rep_id)
        try:
            script_row = service.script_in_force(session, service.DEFAULT_SCRIPT_NAME,
                                                 service.call_date(recording, rep))
        except Exception as exc:  # NotFound: nothing to check against
            raise PermanentJobError(f"no call script in force for the call's date: {exc}") from exc
        spec = service.spec_of(script_row)
        object_key, layout = recording.object_key, recording.layout.value
        english_meeting = bool(meeting and meeting.english_speaking_client)

    options = AnalysisOptions(
        layout=layout,
        english_meeting=english_meeting,
        match_threshold=settings.match_threshold,
        max_seconds=settings.max_recording_seconds,
        model=context.services.speech_model,
    )
    with tempfile.TemporaryDirectory() as scratch:
        try:
            path = store.fetch_to_file(object_key, Path(scratch))
        except ObjectNotFound as exc:
            raise PermanentJobError(f"the stored audio {object_key} is missing from object storage") from exc
        try:
            analysis = analyze_file(path, spec, options)
        except AudioError as exc:
            raise PermanentJobError(f"the audio could not be analysed: {exc}") from exc

    with context.session_factory() as session:
        recording = session.get_one(Recording, context.subject_id)  # recordings are never deleted
        script_row = session.get_one(CallScript, script_row.id)
        service.store_analysis(session, recording, script_row, analysis)
        context.complete_in(session)  # the results and the job's `done` commit together
        session.commit()
    log.info("recording %s analysed: adherence %.2f, %d violation(s)", context.subject_id,
             analysis.verdict.adherence, len(analysis.verdict.violations))
