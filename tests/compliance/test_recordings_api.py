"""Recordings through the API, analysed by the job code the worker runs (eagerly, in the tests marked slow:
they run the real Whisper model; the others only queue the analysis)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from models import BackgroundJob, JobState, Recording
from tests.conftest import CALLS, WEDNESDAY


@pytest.fixture
def settings_overrides(request):
    return {"celery_always_eager": request.node.get_closest_marker("slow") is not None}


@pytest.fixture
def meeting(plan_meeting_at) -> int:
    """rep1's meeting, whose reminder call is uploaded."""
    return plan_meeting_at("rep1", WEDNESDAY, "10:00")


@pytest.fixture
def rep2_meeting(plan_meeting_at) -> int:
    return plan_meeting_at("rep2", WEDNESDAY, "11:00")


def upload(client, headers, meeting_id, name="missing_passport_ru.stereo.ogg", **form):
    data = {"meeting_id": str(meeting_id), "file": (io.BytesIO((CALLS / name).read_bytes()), name), **form}
    return client.post("/api/v1/recordings", headers=headers, data=data, content_type="multipart/form-data")


@pytest.mark.slow
def test_an_uploaded_call_ends_in_transcript_results_and_flagged_violations(client, login, meeting):
    rep = login("rep1")
    response = upload(client, rep, meeting)
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued", "202: stored and queued; the analysis follows"
    recording = client.get(f"/api/v1/recordings/{response.json['id']}", headers=rep).json
    assert recording["status"] == "analysed" and recording["adherence"] == pytest.approx(0.8)
    assert recording["layout"] == "rep-left" and recording["channels"] == 2

    transcript = client.get(f"/api/v1/recordings/{recording['id']}/transcript", headers=rep).json
    assert transcript["segments"] and {s["speaker"] for s in transcript["segments"]} == {"rep", "client"}
    results = {c["criterion"]: c for c in transcript["criteria"]}
    assert results["passport_reminder"]["passed"] is False and results["greeting"]["passed"] is True
    assert results["greeting"]["evidence"]["start_s"] < 2

    qa_view = client.get("/api/v1/violations?criterion=passport_reminder&status=flagged", headers=login("qa")).json
    assert [v["recording_id"] for v in qa_view] == [recording["id"]]
    # A flag awaits QA review: it does not count against the rep, and the rep does not see it as a fault yet.
    assert client.get("/api/v1/violations", headers=rep).json == []


def test_a_rep_never_reaches_another_reps_recording(client, login, meeting):
    recording = upload(client, login("rep1"), meeting).json
    other = login("rep2")
    for path in ("", "/transcript", "/audio-url"):
        response = client.get(f"/api/v1/recordings/{recording['id']}{path}", headers=other)
        assert response.status_code == 404, path
    assert client.get("/api/v1/recordings", headers=other).json == []
    assert client.get("/api/v1/violations", headers=other).json == []
    assert upload(client, other, meeting).status_code == 404, "nor upload for another rep's meeting"


def test_staff_can_listen_through_a_time_limited_link(client, login, meeting):
    recording = upload(client, login("rep1"), meeting).json
    link = client.get(f"/api/v1/recordings/{recording['id']}/audio-url", headers=login("qa")).json
    assert link["expires_in"] > 0
    audio = client.get(link["url"])
    assert audio.status_code == 200
    assert audio.data == (CALLS / "missing_passport_ru.stereo.ogg").read_bytes()


@pytest.mark.slow
def test_presigned_upload_then_confirm(client, login, meeting, rep2_meeting):
    rep = login("rep1")
    grant = client.post("/api/v1/recordings/upload-url", headers=rep,
                        json={"filename": "call.ogg", "content_type": "audio/ogg"}).json
    assert grant["object_key"].startswith("uploads/")
    put = client.put(grant["upload_url"], data=(CALLS / "compliant_ru.stereo.ogg").read_bytes(),
                     headers=grant["headers"])
    assert put.status_code == 204
    confirmed = client.post("/api/v1/recordings/confirm", headers=rep,
                            json={"object_key": grant["object_key"], "meeting_id": meeting, "filename": "call.ogg"})
    assert confirmed.status_code == 202, confirmed.json
    analysed = client.get(f"/api/v1/recordings/{confirmed.json['id']}", headers=rep).json
    assert analysed["status"] == "analysed" and analysed["adherence"] == 1.0
    stolen = client.post("/api/v1/recordings/confirm", headers=login("rep2"),
                         json={"object_key": grant["object_key"], "meeting_id": rep2_meeting})
    assert stolen.status_code == 404, "an upload key works only for the rep it was issued to"


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(4000), "not a readable audio file|no audio track"),
    (b"RIFF....WAVEfmt garbage garbage", "not a readable audio file|no audio track"),
])
def test_bad_files_are_refused_with_a_reason_and_nothing_is_kept(app, db, client, login, meeting, content, message):
    response = client.post("/api/v1/recordings", headers=login("rep1"),
                           data={"meeting_id": str(meeting), "file": (io.BytesIO(content), "call.wav")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.json["errors"]["file"]
    import re

    assert re.search(message, response.json["message"])
    with app.app_context():
        assert db.session.scalars(select(Recording)).all() == []


def test_a_ten_hour_recording_is_refused(client, login, tmp_path, meeting):
    from tests.compliance.test_audio import ten_hour_mp3

    path = ten_hour_mp3(tmp_path / "long.mp3")
    response = client.post("/api/v1/recordings", headers=login("rep1"),
                           data={"meeting_id": str(meeting), "file": (io.BytesIO(path.read_bytes()), "long.mp3")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "600.0 min" in response.json["message"] and "limit" in response.json["message"]


def test_missing_form_fields_are_422(client, login, meeting):
    response = client.post("/api/v1/recordings", headers=login("rep1"), data={"layout": "sideways"},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert {"meeting_id", "layout"} <= set(response.json["errors"])
    no_file = client.post("/api/v1/recordings", headers=login("rep1"), data={"meeting_id": str(meeting)},
                          content_type="multipart/form-data")
    assert no_file.status_code == 422 and "file" in no_file.json["errors"]


@pytest.mark.slow
def test_a_recording_that_breaks_later_is_failed_with_its_reason_and_kept(app, db, client, login, settings, meeting):
    rep = login("rep1")
    recording = upload(client, rep, meeting).json
    with app.app_context():
        row = db.session.get(Recording, recording["id"])
        stored = Path(settings.objects_path) / row.object_key
    stored.write_bytes(b"bit rot")
    again = client.post(f"/api/v1/recordings/{recording['id']}/reanalyze", headers=login("qa"))
    assert again.status_code == 202 and again.json["status"] == "queued"
    failed = client.get(f"/api/v1/recordings/{recording['id']}", headers=rep).json
    assert failed["status"] == "failed"
    assert "could not be analysed" in failed["failure_reason"]
    assert stored.exists(), "the recording is never deleted"
    assert client.get(f"/api/v1/recordings/{recording['id']}", headers=rep).json["status"] == "failed"
    # the earlier, successful analysis keeps its violations (flagged, for QA to review)
    qa_view = client.get("/api/v1/violations?status=flagged", headers=login("qa")).json
    assert [v["criterion"] for v in qa_view] == ["passport_reminder"]


@pytest.mark.slow
def test_reanalysis_replaces_results_without_duplicates(client, login, meeting):
    recording = upload(client, login("rep1"), meeting).json
    for _ in range(2):
        assert client.post(f"/api/v1/recordings/{recording['id']}/reanalyze", headers=login("qa")).status_code == 202
    violations = client.get(f"/api/v1/violations?recording_id={recording['id']}", headers=login("qa")).json
    assert [v["criterion"] for v in violations] == ["passport_reminder"]
    transcript = client.get(f"/api/v1/recordings/{recording['id']}/transcript", headers=login("qa")).json
    positions = [s["position"] for s in transcript["segments"]]
    assert positions == sorted(set(positions))


def test_only_qa_and_managers_reanalyse(client, login, meeting):
    recording = upload(client, login("rep1"), meeting).json
    assert client.post(f"/api/v1/recordings/{recording['id']}/reanalyze", headers=login("rep1")).status_code == 403


@pytest.mark.slow
def test_the_job_row_records_the_attempt(app, db, client, login, meeting):
    recording = upload(client, login("rep1"), meeting).json
    with app.app_context():
        job = db.session.scalar(select(BackgroundJob).where(BackgroundJob.subject_id == recording["id"]))
        assert job.state is JobState.done and job.attempts == 1 and job.queue == "transcribe"
