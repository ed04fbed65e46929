"""A demo rep's whole day through the API only."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from models import Meeting
from tests.reps.test_morning_check import photo


def test_a_rep_does_a_whole_day_through_the_api(app, db, client, login):
    rep = login("rep1")
    # Shift the demo route so that the first meeting starts in an hour: its reminder call is due now.
    with app.app_context():
        first = db.session.get(Meeting, 1)
        shift = datetime.now(timezone.utc) + timedelta(minutes=60) - first.starts_at
    # later meetings move first when the route moves later, so no meeting ever overlaps another
    for meeting_id in ((4, 3, 2, 1) if shift > timedelta(0) else (1, 2, 3, 4)):
        with app.app_context():
            meeting = db.session.get(Meeting, meeting_id)
            etag = f'"m{meeting.id}-v{meeting.version}"'
        moved = client.patch(f"/api/v1/meetings/{meeting_id}", headers={**login("manager"), "If-Match": etag}, json={
            "starts_at": (meeting.starts_at + shift).isoformat(), "ends_at": (meeting.ends_at + shift).isoformat()})
        assert moved.status_code == 200, moved.json

    # Morning check
    selfie = client.post("/api/v1/morning-check/selfie", headers={**rep, "Idempotency-Key": "selfie-1"},
                         data={"file": (io.BytesIO(photo()), "me.jpg")}, content_type="multipart/form-data")
    assert selfie.status_code == 201
    checklist = client.post("/api/v1/morning-check/checklist", headers=rep,
                            json={"answers": {"passport": True, "cards_on_hand": 2, "route_rating": 5}})
    assert checklist.json["checklist_failures"] == []
    assert client.post(f"/api/v1/morning-checks/{selfie.json['id']}/selfie-review", headers=login("manager"),
                       json={"decision": "approve"}).json["selfie_status"] == "approved"

    # The route and today's overview
    today = client.get("/api/v1/today", headers=rep).json
    assert today["morning_check"]["selfie_status"] == "approved" and today["morning_check"]["checklist_submitted"]
    calls = sorted((t for t in today["open_tasks"] if t["kind"] == "reminder_call"), key=lambda t: t["deadline_at"])
    assert len(calls) == 4

    # The first meeting: the client does not answer at first, the retry gets through; then the visit
    now = datetime.now(timezone.utc).isoformat()
    retry = client.post(f"/api/v1/tasks/{calls[0]['id']}/call", headers={**rep, "Idempotency-Key": "call-1"},
                        json={"outcome": "not_reachable", "called_at": now})
    assert retry.status_code == 201 and retry.json["kind"] == "retry_call"
    logged = client.post(f"/api/v1/tasks/{retry.json['id']}/call", headers=rep,
                         json={"outcome": "confirmed", "called_at": now})
    assert logged.status_code == 201 and logged.json["state"] == "done"
    for action in ("confirm", "start"):
        assert client.post("/api/v1/meetings/1/transitions", headers=rep, json={"action": action}).status_code == 200
    done = client.post("/api/v1/meetings/1/transitions", headers=rep, json={
        "action": "complete", "offers_presented": ["credit_card_limit_upgrade"], "offers_accepted": []})
    assert done.json["status"] == "completed"

    # The second client calls to cancel
    cancelled = client.post("/api/v1/meetings/2/transitions", headers=rep,
                            json={"action": "cancel", "caused_by": "client", "reason": "Changed their mind"})
    assert cancelled.json["status"] == "cancelled" and cancelled.json["caused_by"] == "client"

    # The third asks to meet elsewhere and later
    moved = client.post("/api/v1/meetings/3/place", headers=rep,
                        json={"address": "Client's office, Leninsky 50", "requested_by": "client"})
    assert moved.status_code == 200
    later = datetime.now(timezone.utc) + timedelta(days=1)
    rescheduled = client.post("/api/v1/meetings/3/transitions", headers=rep, json={
        "action": "reschedule", "caused_by": "client", "starts_at": later.isoformat(),
        "ends_at": (later + timedelta(hours=1)).isoformat()})
    assert rescheduled.json["status"] == "rescheduled"

    # Nothing was flagged: every call on time, the morning check passed
    assert client.get("/api/v1/violations", headers=rep).json == []
    # The fourth meeting's call is never made: once it starts, the system records it
    with app.app_context():
        from reps.tasks import record_missed_reminder_calls

        meeting4 = db.session.get(Meeting, 4)
        with db.transaction() as session:
            record_missed_reminder_calls(session, now=meeting4.starts_at + timedelta(minutes=1))
    assert [v["criterion"] for v in client.get("/api/v1/violations", headers=rep).json] == ["reminder_call_missing"]
