"""A rep's whole day through the API only, from the route a manager plans to the calls never made."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.conftest import DEMO_PASSWORD, MOSCOW, WEDNESDAY, WEDNESDAY_8AM
from tests.reps.test_morning_check import photo
from tests.support.etags import if_match

# rep1's route (Moscow time): (start, minutes, client, products, offers)
ROUTE = (
    ("09:00", 60, "Sergey Volkov", ["instant_debit_card"], ["credit_card_limit_upgrade"]),
    ("12:30", 60, "John Miller", ["instant_debit_card"], []),
    ("15:00", 90, "Olga Smirnova", ["deposit_agreement"], ["savings_account"]),
    ("17:30", 60, "Igor Fedorov", ["credit_card"], []),
)


@pytest.mark.time_machine(WEDNESDAY_8AM)  # 08:00: the first meeting starts in an hour, its reminder call is due now
def test_a_rep_does_a_whole_day_through_the_api(app, db, client, login, time_machine):
    rep, manager = login("rep1"), login("manager")
    rep_id = client.get("/api/v1/auth/me", headers=rep).json["id"]

    # The manager plans the route
    meetings = []
    for at, minutes, client_name, products, offers in ROUTE:
        starts_at = datetime.combine(WEDNESDAY, time.fromisoformat(at), MOSCOW)
        planned = client.post("/api/v1/meetings", headers=manager, json={
            "rep_id": rep_id, "client_name": client_name, "address": f"Moscow, {client_name}'s street 1",
            "starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(minutes=minutes)).isoformat(),
            "products": products, "offers": offers})
        assert planned.status_code == 201, planned.json
        meetings.append(planned.json["id"])
    first, second, third, fourth = meetings

    # Morning check
    selfie = client.post("/api/v1/morning-check/selfie", headers={**rep, "Idempotency-Key": "selfie-1"},
                         data={"file": (io.BytesIO(photo()), "me.jpg")}, content_type="multipart/form-data")
    assert selfie.status_code == 201
    checklist = client.post("/api/v1/morning-check/checklist", headers=rep,
                            json={"answers": {"passport": True, "cards_on_hand": 2, "route_rating": 5}})
    assert checklist.json["checklist_failures"] == []
    assert client.post(f"/api/v1/morning-checks/{selfie.json['id']}/selfie-review", headers=manager,
                       json={"decision": "approve"}).json["selfie_status"] == "approved"

    # The route and today's overview
    today = client.get("/api/v1/today", headers=rep).json
    assert today["morning_check"]["selfie_status"] == "approved" and today["morning_check"]["checklist_submitted"]
    assert [m["id"] for m in today["route"]] == meetings
    etags = {m["id"]: m["etag"] for m in today["route"]}  # each listed meeting carries the If-Match to change it
    assert today["morning_check"]["instant_card_meetings"] == 2 and not today["morning_check"]["late"]
    calls = sorted((t for t in today["open_tasks"] if t["kind"] == "reminder_call"), key=lambda t: t["deadline_at"])
    assert [t["meeting_id"] for t in calls] == meetings

    # The first meeting: the client does not answer at first, the retry gets through; then the visit
    now = datetime.now(UTC).isoformat()
    retry = client.post(f"/api/v1/tasks/{calls[0]['id']}/call", headers={**rep, "Idempotency-Key": "call-1"},
                        json={"outcome": "not_reachable", "called_at": now})
    assert retry.status_code == 201 and retry.json["call_outcome"] == "not_reachable"
    assert retry.json["next_task"]["kind"] == "retry_call"
    logged = client.post(f"/api/v1/tasks/{retry.json['next_task']['id']}/call", headers=rep,
                         json={"outcome": "confirmed", "called_at": now})
    assert logged.status_code == 201 and logged.json["state"] == "done" and logged.json["next_task"] is None
    confirmed = client.post(f"/api/v1/meetings/{first}/transitions", headers={**rep, "If-Match": etags[first]},
                            json={"action": "confirm"})
    assert confirmed.status_code == 200
    time_machine.move_to(datetime.combine(WEDNESDAY, time(8, 55), MOSCOW))  # at the client's door
    rep = {"Authorization": "Bearer " + client.post("/api/v1/auth/login", json={
        "username": "rep1", "password": DEMO_PASSWORD}).json["access_token"]}  # the morning's token has expired
    transitions = f"/api/v1/meetings/{first}/transitions"
    started = client.post(transitions, headers={**rep, "If-Match": confirmed.headers["ETag"]}, json={"action": "start"})
    assert started.status_code == 200
    done = client.post(transitions, headers={**rep, "If-Match": started.json["etag"]}, json={
        "action": "complete", "offers_presented": ["credit_card_limit_upgrade"], "offers_accepted": []})
    assert done.json["status"] == "completed"

    # The second client calls to cancel
    cancelled = client.post(f"/api/v1/meetings/{second}/transitions", headers={**rep, "If-Match": etags[second]},
                            json={"action": "cancel", "caused_by": "client", "reason": "Changed their mind"})
    assert cancelled.json["status"] == "cancelled" and cancelled.json["caused_by"] == "client"

    # The third asks to meet elsewhere and later
    moved = client.post(f"/api/v1/meetings/{third}/place", headers={**rep, "If-Match": etags[third]},
                        json={"address": "Client's office, Leninsky 50", "requested_by": "client"})
    assert moved.status_code == 200
    later = datetime.now(UTC) + timedelta(days=1)
    rescheduled = client.post(f"/api/v1/meetings/{third}/transitions", headers=if_match(client, rep, third), json={
        "action": "reschedule", "caused_by": "client", "starts_at": later.isoformat(),
        "ends_at": (later + timedelta(hours=1)).isoformat()})
    assert rescheduled.json["status"] == "rescheduled"

    # Nothing was flagged: every call on time, the morning check passed
    assert client.get("/api/v1/violations", headers=rep).json == []
    # The fourth meeting's call is never made: once it starts, the system records it
    with app.app_context():
        from reps.tasks import record_missed_reminder_calls

        fourth_starts = datetime.fromisoformat(client.get(f"/api/v1/meetings/{fourth}", headers=rep).json["starts_at"])
        with db.transaction() as session:
            assert record_missed_reminder_calls(session, now=fourth_starts + timedelta(minutes=1)) == 1
    assert [(v["criterion"], v["meeting_id"]) for v in client.get("/api/v1/violations", headers=rep).json] == [
        ("reminder_call_missing", fourth)]
