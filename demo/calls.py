"""Reminder calls for the demo's QA queue: the committed fixture recordings (tests/fixtures/calls).

Each is stored at once with its scripted turns as the transcript, scored by the real matcher (so the
queue has work in it the moment `make run` starts), and, as `make run` seeds them, queued for the worker
too: it analyses the real recording on start and its analysis replaces the scripted one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.masking import mask_personal_numbers
from compliance.matcher import Segment, evaluate_call
from compliance.pipeline import CallAnalysis
from compliance.service import reanalyze, spec_of, store_analysis
from models import BackgroundJob, CallScript, ChannelLayout, JobState, Meeting, MeetingStatus, Recording, User
from settings import Settings
from storage.objects import ObjectStore

CALLS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "calls"
LABELS = CALLS / "labels.json"


@dataclass(frozen=True)
class DemoCall:
    fixture: str  # a stereo recording in tests/fixtures/calls
    rep: str
    client: str
    days_ago: int
    local_hour: int


# Calls with something for a reviewer to decide: true flags, a client's words the bot may take for the
# rep's, an English meeting where the rep spoke Russian, a late greeting.
DEMO_CALLS = (
    DemoCall("client_asks_passport_ru.stereo.ogg", "rep1", "Pavel Sidorov", 1, 10),
    DemoCall("client_convenient_ru.stereo.ogg", "rep1", "Nina Orlova", 1, 12),
    DemoCall("forced_location_ru.stereo.ogg", "rep2", "Oleg Zaitsev", 1, 11),
    DemoCall("missing_address_ru.stereo.ogg", "rep2", "Vera Kozlova", 2, 14),
    DemoCall("english_meeting_russian_rep.stereo.ogg", "rep1", "James Carter", 2, 15),
    DemoCall("late_greeting_ru.stereo.ogg", "rep2", "Anton Belov", 3, 16),
    DemoCall("missing_all_ru.stereo.ogg", "rep1", "Yulia Romanova", 3, 11),
)


def fixture_labels() -> dict[str, dict]:
    return json.loads(LABELS.read_text(encoding="utf-8"))


def segments_of(turns: list[dict]) -> list[Segment]:
    return [Segment(index=index, speaker=turn["speaker"], start_s=turn["start_s"], end_s=turn["end_s"],
                    language=turn["language"], text=mask_personal_numbers(turn["text"], turn["language"]),
                    language_probability=0.95)
            for index, turn in enumerate(turns)]


def store_scored_call(session: Session, store: ObjectStore | None, *, meeting: Meeting, script: CallScript,
                      turns: list[dict], call_started_at: datetime, audio: Path | None = None,
                      layout: str = "rep-left") -> Recording:
    """A recording of `meeting` whose transcript is `turns`, scored with `script` and stored as analysed."""
    key = f"recordings/demo/{meeting.id:08d}{audio.suffix if audio else '.ogg'}"
    size = 0
    if store is not None and audio is not None:
        with open(audio, "rb") as handle:
            store.put(key, handle, "audio/ogg")
        size = audio.stat().st_size
    job = BackgroundJob(kind="compliance.analyze_recording", queue="default", state=JobState.done, attempts=1,
                        queued_at=call_started_at, started_at=call_started_at, finished_at=call_started_at)
    session.add(job)
    segments = segments_of(turns)
    duration = max((turn["end_s"] for turn in turns), default=0.0) + 1.0
    recording = Recording(meeting_id=meeting.id, rep_id=meeting.rep_id, object_key=key, size_bytes=size,
                          sha256="0" * 64, layout=ChannelLayout(layout), channels=2, duration_s=round(duration, 2),
                          call_started_at=call_started_at, content_type="audio/ogg", job=job,
                          original_filename=audio.name if audio else None)
    session.add(recording)
    session.flush()
    job.subject_id = recording.id
    verdict = evaluate_call(segments, spec_of(script), english_meeting=meeting.english_speaking_client)
    store_analysis(session, recording, script, CallAnalysis(duration, layout, 2, tuple(segments), verdict, {}))
    session.flush()
    return recording


def seed_demo_calls(session: Session, store: ObjectStore, users: dict[str, User], script: CallScript,
                    now: datetime | None = None, calls: tuple[DemoCall, ...] = DEMO_CALLS,
                    settings: Settings | None = None) -> dict[str, str]:
    """The demo QA queue: one analysed call per DEMO_CALLS entry, on past days; once (safe to run again).
    With `settings`, each call is also queued for the worker's real analysis. Returns the recording made
    for each fixture (none for those already there)."""
    labels = fixture_labels()
    now = now or datetime.now(UTC)
    made: dict[str, str] = {}
    for call in calls:
        rep = users[call.rep]
        label = labels[call.fixture]
        zone = ZoneInfo(rep.time_zone)
        day = now.astimezone(zone).date() - timedelta(days=call.days_ago)
        starts_at = datetime.combine(day, datetime.min.time(), zone).replace(hour=call.local_hour)
        if session.scalar(select(Meeting.id).where(Meeting.rep_id == rep.id, Meeting.starts_at == starts_at)):
            continue
        english = bool(label.get("english_meeting"))
        meeting = Meeting(rep_id=rep.id, client_name=call.client, client_language="en" if english else "ru",
                          english_speaking_client=english, address=f"{call.client}'s address, 1",
                          starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), route_day=day,
                          status=MeetingStatus.completed, products=["instant_debit_card"], offers=[])
        session.add(meeting)
        session.flush()
        recording = store_scored_call(session, store, meeting=meeting, script=script, turns=label["turns"],
                                      call_started_at=starts_at - timedelta(hours=1), audio=CALLS / call.fixture)
        if settings is not None:
            reanalyze(session, recording, settings)
        made[call.fixture] = recording.id
    return made
