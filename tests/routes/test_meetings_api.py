from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from models import Meeting, MeetingChange, Task, TaskKind, TaskState
from tests.conftest import MOSCOW, WEDNESDAY, WEDNESDAY_8AM
from tests.support.etags import if_match

WEDNESDAY_10AM = datetime.combine(WEDNESDAY, time(10, 5), MOSCOW)


def soon(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


def plan(client, headers, rep_id=4, start_in=30.0, minutes=60, key=None, **extra):
    body = {"rep_id": rep_id, "client_name": "Test Client", "address": "Moscow, Test st. 1",
            "starts_at": soon(start_in).isoformat(), "ends_at": soon(start_in + minutes / 60).isoformat(), **extra}
    headers = {**headers, **({"Idempotency-Key": key} if key else {})}
    return client.post("/api/v1/meetings", headers=headers, json=body)


@pytest.fixture
def route(plan_meeting_at) -> list[int]:
    """rep1's four meetings on Wednesday 25.11.2026 (today for the tests that pin the clock to that morning)."""
    return [
        plan_meeting_at("rep1", WEDNESDAY, "10:00", client_name="Sergey Volkov", products=["instant_debit_card"],
                        offers=["credit_card_limit_upgrade"]),
        plan_meeting_at("rep1", WEDNESDAY, "12:30", client_name="John Miller"),
        plan_meeting_at("rep1", WEDNESDAY, "15:00", minutes=90, client_name="Olga Smirnova"),
        plan_meeting_at("rep1", WEDNESDAY, "17:30", client_name="Igor Fedorov", client_phone="+79161234504"),
    ]


def test_manager_plans_a_meeting_with_its_reminder_call_and_a_retry_creates_nothing(app, db, client, login):
    manager = login("manager")
    starts = soon(30)  # once: a retry sends the same body, even if the clock ticked into the next second
    interval = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()}
    first = plan(client, manager, key="plan-1", **interval)
    assert first.status_code == 201, first.json
    again = plan(client, manager, key="plan-1", **interval)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        planned = select(func.count()).select_from(Meeting).where(Meeting.client_name == "Test Client")
        assert db.session.scalar(planned) == 1
        task = db.session.scalar(select(Task).where(Task.meeting_id == first.json["id"]))
        assert task.kind is TaskKind.reminder_call
        starts = datetime.fromisoformat(first.json["starts_at"])
        assert task.due_at == starts - timedelta(hours=1) and task.deadline_at == starts


def test_overlapping_meetings_and_bad_intervals_are_refused(client, login):
    manager = login("manager")
    assert plan(client, manager, start_in=50).status_code == 201
    overlap = plan(client, manager, start_in=50.5)
    assert overlap.status_code == 409 and "already has a meeting" in overlap.json["message"]
    backwards = plan(client, manager, start_in=60, minutes=-30)
    assert backwards.status_code == 422 and "ends_at" in backwards.json["errors"]
    naive = client.post("/api/v1/meetings", headers=manager, json={
        "rep_id": 4, "client_name": "X", "address": "Y", "starts_at": "2030-01-01T10:00:00",
        "ends_at": "2030-01-01T11:00:00"})
    assert naive.status_code == 422, "times without an offset are ambiguous across 11 time zones"
    assert plan(client, login("rep1")).status_code == 403


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_the_route_answers_304_to_a_matching_if_none_match_and_changes_after_an_edit(client, login, route):
    rep = login("rep1")
    first = client.get("/api/v1/route", headers=rep)
    assert first.status_code == 200 and [m["id"] for m in first.json["meetings"]] == route
    etag = first.headers["ETag"]
    assert client.get("/api/v1/route", headers={**rep, "If-None-Match": etag}).status_code == 304
    meeting_id = first.json["meetings"][0]["id"]
    client.post(f"/api/v1/meetings/{meeting_id}/transitions", headers=if_match(client, rep, meeting_id),
                json={"action": "confirm"})
    after = client.get("/api/v1/route", headers={**rep, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_a_rep_never_reaches_another_reps_meeting(client, login, route, plan_meeting_at):
    rep2 = login("rep2")
    own = plan_meeting_at("rep2", WEDNESDAY, "11:00")
    meeting = f"/api/v1/meetings/{route[0]}"
    for method, path, body in (("get", meeting, None),
                               ("post", f"{meeting}/transitions", {"action": "confirm"}),
                               ("post", f"{meeting}/place", {"address": "x", "requested_by": "client"})):
        response = getattr(client, method)(path, headers={**rep2, "If-Match": '"m1-v1"'}, json=body)
        assert response.status_code == 404, path
    assert [m["id"] for m in client.get("/api/v1/route", headers=rep2).json["meetings"]] == [own]
    assert client.get(f"/api/v1/meetings/{route[0]}", headers=login("rep1")).status_code == 200


@pytest.mark.time_machine(WEDNESDAY_10AM)  # the first meeting's time has come
def test_lifecycle_through_the_api(app, db, client, login, route):
    rep, transitions = login("rep1"), f"/api/v1/meetings/{route[0]}/transitions"
    meeting = client.get(f"/api/v1/meetings/{route[0]}", headers=rep).json
    illegal = client.post(transitions, headers=if_match(client, rep, route[0]), json={"action": "complete"})
    assert illegal.status_code == 409
    assert illegal.json["allowed"] == ["confirm", "start", "cancel", "reschedule", "no_show", "fail"]
    assert illegal.json["status_now"] == "planned"
    incomplete = client.post(transitions, headers=if_match(client, rep, route[0]), json={"action": "cancel"})
    assert incomplete.status_code == 422 and {"caused_by", "reason"} <= set(incomplete.json["errors"])
    started = client.post(transitions, headers=if_match(client, rep, route[0]), json={"action": "start"})
    assert started.status_code == 200
    bad_offers = client.post(transitions, headers=if_match(client, rep, route[0]), json={
        "action": "complete", "offers_presented": ["a"], "offers_accepted": ["b"]})
    assert bad_offers.status_code == 422
    done = client.post(transitions, headers=if_match(client, rep, route[0]), json={
        "action": "complete", "offers_presented": ["credit_card_limit_upgrade"],
        "offers_accepted": ["credit_card_limit_upgrade"]})
    assert done.status_code == 200 and done.json["status"] == "completed"
    assert done.json["offers_accepted"] == ["credit_card_limit_upgrade"]
    assert done.json["version"] > meeting["version"]


def test_cancel_records_who_caused_it_and_cancels_the_reminder_call(app, db, client, login, route):
    rep = login("rep1")
    response = client.post(f"/api/v1/meetings/{route[1]}/transitions", headers=if_match(client, rep, route[1]),
                           json={"action": "cancel", "caused_by": "client", "reason": "Client is ill"})
    assert response.status_code == 200
    assert response.json["caused_by"] == "client" and response.json["status_reason"] == "Client is ill"
    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.meeting_id == route[1]))
        assert task.state is TaskState.cancelled


def test_reschedule_moves_the_reminder_call(app, db, client, login, route):
    rep = login("rep1")
    new_start = soon(72)
    response = client.post(f"/api/v1/meetings/{route[2]}/transitions", headers=if_match(client, rep, route[2]), json={
        "action": "reschedule", "caused_by": "rep", "starts_at": new_start.isoformat(),
        "ends_at": (new_start + timedelta(hours=1)).isoformat()})
    assert response.status_code == 200 and response.json["status"] == "rescheduled"
    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.meeting_id == route[2]))
        assert task.deadline_at == new_start and task.due_at == new_start - timedelta(hours=1)


def test_a_stale_if_match_gets_412_instead_of_overwriting(client, login, route):
    support, path = login("support"), f"/api/v1/meetings/{route[3]}"
    read = client.get(path, headers=support)
    etag = read.headers["ETag"]
    first = client.patch(path, headers={**support, "If-Match": etag}, json={"client_phone": "+79160000001"})
    assert first.status_code == 200
    stale = client.patch(path, headers={**login("manager"), "If-Match": etag},
                         json={"client_phone": "+79160000002"})
    assert stale.status_code == 412 and stale.json["current_etag"]
    assert client.get(path, headers=support).json["client_phone"] == "+79160000001"


def test_the_place_changes_only_when_the_client_asked(client, login, route):
    rep, path = login("rep1"), f"/api/v1/meetings/{route[3]}/place"
    refused = client.post(path, headers=if_match(client, rep, route[3]),
                          json={"address": "Near the metro", "requested_by": "rep"})
    assert refused.status_code == 409
    moved = client.post(path, headers=if_match(client, rep, route[3]),
                        json={"address": "Client's office, Tverskaya 1", "requested_by": "client"})
    assert moved.status_code == 200
    assert moved.json["address"] == "Client's office, Tverskaya 1"
    assert moved.json["place_change_requested_by"] == "client"


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_changes_since_includes_changes_cancellations_and_deletions(app, db, client, login, route, plan_meeting_at):
    rep, manager = login("rep1"), login("manager")
    plan_meeting_at("rep1", WEDNESDAY - timedelta(days=1), "10:00")  # yesterday's is not in a full load
    full = client.get("/api/v1/meetings/changes", headers=rep).json
    assert full["full_reload"] is True and [m["id"] for m in full["meetings"]] == route
    token = full["token"]
    assert client.get(f"/api/v1/meetings/changes?since={token}", headers=rep).json["meetings"] == []
    first, second, third, _ = route
    client.post(f"/api/v1/meetings/{first}/transitions", headers=if_match(client, rep, first),
                json={"action": "confirm"})
    client.post(f"/api/v1/meetings/{second}/transitions", headers=if_match(client, rep, second),
                json={"action": "cancel", "caused_by": "rep", "reason": "Car broke down"})
    assert client.delete(f"/api/v1/meetings/{third}", headers=if_match(client, manager, third)).status_code == 204
    plan(client, manager, rep_id=5)  # another rep's change is not in this rep's feed
    delta = client.get(f"/api/v1/meetings/changes?since={token}", headers=rep).json
    assert {m["id"]: m["status"] for m in delta["meetings"]} == {first: "confirmed", second: "cancelled"}
    assert delta["deleted_ids"] == [third]
    assert delta["token"] != token
    assert client.get(f"/api/v1/meetings/{third}", headers=rep).status_code == 404


def test_a_token_too_old_to_serve_is_410(app, db, client, login, route):
    rep = login("rep1")
    token = client.get("/api/v1/meetings/changes", headers=rep).json["token"]
    client.post(f"/api/v1/meetings/{route[0]}/transitions", headers=if_match(client, rep, route[0]),
                json={"action": "confirm"})
    with app.app_context():
        db.session.execute(update(MeetingChange).values(at=datetime.now(UTC) - timedelta(days=45)))
        db.session.commit()
    gone = client.get(f"/api/v1/meetings/changes?since={token}", headers=rep)
    assert gone.status_code == 410 and "reload" in gone.json["message"]
    assert client.get("/api/v1/meetings/changes?since=garbage", headers=rep).status_code == 410  # one recovery path


CSV = """rep,date,start,end,client_name,client_phone,address,english_speaking_client,products,offers
rep1,2030-03-04,10:00,11:00,Good One,+79161112233,"Moscow, Arbat 1",false,instant_debit_card;credit_card,premium
rep1,2030-03-04,10:30,11:30,Overlaps,+79161112234,"Moscow, Arbat 2",false,,
nobody,2030-03-04,12:00,13:00,Unknown Rep,,"Moscow, Arbat 3",false,,
rep2,2030-02-30,12:00,13:00,Bad Date,,"Yekaterinburg, Lenina 1",false,,
rep2,2030-03-04,15:00,14:00,Backwards,,"Yekaterinburg, Lenina 2",false,,
rep2,2030-03-04,09:00,10:00,Good Two,,"Yekaterinburg, Lenina 3",yes,,
rep2,2030-03-04,,10:00,,,,false,,
"""


def test_import_plans_good_rows_and_reports_bad_rows_with_reasons(app, db, client, login):
    response = client.post("/api/v1/meetings/import", headers=login("manager"),
                           data={"file": (io.BytesIO(CSV.encode()), "plan.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    report = response.json
    assert len(report["created"]) == 2
    rejected = {row["row"]: row["errors"] for row in report["rejected"]}
    assert set(rejected) == {2, 3, 4, 5, 7}
    assert "starts_at" in rejected[2] and "rep" in rejected[3] and "date" in rejected[4]
    assert "ends_at" in rejected[5] and {"start", "client_name", "address"} <= set(rejected[7])
    with app.app_context():
        good = db.session.get(Meeting, report["created"][1])
        assert good.english_speaking_client is True
        assert good.starts_at == datetime(2030, 3, 4, 4, 0, tzinfo=UTC), "09:00 in Yekaterinburg (UTC+5)"
        first = db.session.get(Meeting, report["created"][0])
        assert first.products == ["instant_debit_card", "credit_card"]


def test_json_import_and_unusable_files(client, login):
    manager = login("manager")
    rows = (b'[{"rep": "rep1", "date": "2030-05-05", "start": "10:00", "end": "11:00", "client_name": "J",'
            b' "address": "A"}]')
    ok = client.post("/api/v1/meetings/import", headers=manager, data={"file": (io.BytesIO(rows), "plan.json")},
                     content_type="multipart/form-data")
    assert ok.status_code == 200 and len(ok.json["created"]) == 1
    broken = client.post("/api/v1/meetings/import", headers=manager,
                         data={"file": (io.BytesIO(b"\xff\xfe\x00garbage"), "plan.csv")},
                         content_type="multipart/form-data")
    assert broken.status_code == 422
    headerless = client.post("/api/v1/meetings/import", headers=manager,
                             data={"file": (io.BytesIO(b"a,b\n1,2\n"), "plan.csv")}, content_type="multipart/form-data")
    assert headerless.status_code == 422 and "header" in headerless.json["message"]
