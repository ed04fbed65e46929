"""Issue 14's remainder: the phone to call on every call task, one paging scheme, a task's expiry moment, the
rep's own reminder, the not-reachable decision tree in business days, the client told of changes, the digest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import Notification, Task, TaskKind
from notifications.outbox import queue_call_reminders, queue_morning_digests
from tests.conftest import MOSCOW
from tests.support.etags import if_match

PHONE = "+79161234567"


def at(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


def new_meeting(client, login, start_in_hours: float, rep_id: int, **fields) -> dict:
    response = client.post("/api/v1/meetings", headers=login("manager"), json={
        "rep_id": rep_id, "client_name": "Call Me", "client_phone": PHONE, "address": "Somewhere 1",
        "starts_at": at(start_in_hours).isoformat(), "ends_at": at(start_in_hours + 1).isoformat(), **fields})
    assert response.status_code == 201, response.json
    return response.json


def reminder_call(client, headers, meeting_id) -> dict:
    tasks = client.get("/api/v1/tasks?state=open", headers=headers).json
    return next(t for t in tasks if t["meeting_id"] == meeting_id and t["kind"] == "reminder_call")


def not_reachable(client, headers, task_id: int) -> dict:
    response = client.post(f"/api/v1/tasks/{task_id}/call", headers=headers,
                           json={"outcome": "not_reachable", "called_at": at(0).isoformat()})
    assert response.status_code == 201, response.json
    return response.json


def notifications(db, kind: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == kind)))


# (a) the phone to call ---------------------------------------------------------------------------------------

def test_every_call_task_carries_the_clients_phone(client, login, make_rep):
    rep_id, rep = make_rep(), login("rep9")
    meeting = new_meeting(client, login, 1.0, rep_id)
    task = reminder_call(client, rep, meeting["id"])
    assert task["client_phone"] == PHONE
    assert not_reachable(client, rep, task["id"])["next_task"]["client_phone"] == PHONE  # the retry too
    manager = login("manager")
    deadline = at(30).isoformat()
    about_meeting = client.post("/api/v1/tasks", headers=manager, json={
        "owner_id": rep_id, "kind": "callback", "title": "Call back", "deadline_at": deadline,
        "meeting_id": meeting["id"]})
    assert about_meeting.status_code == 201 and about_meeting.json["client_phone"] == PHONE
    no_phone = client.post("/api/v1/tasks", headers=manager, json={
        "owner_id": rep_id, "kind": "callback", "title": "Call back", "deadline_at": deadline})
    assert no_phone.status_code == 422 and "client_phone" in no_phone.json["errors"]
    phoneless = new_meeting(client, login, 50, rep_id, client_phone=None)
    refused = client.post("/api/v1/tasks", headers=manager, json={
        "owner_id": rep_id, "kind": "callback", "title": "Call back", "deadline_at": deadline,
        "meeting_id": phoneless["id"]})
    assert refused.status_code == 422 and "client_phone" in refused.json["errors"]


# (b) pagination -----------------------------------------------------------------------------------------------

def test_every_list_pages_the_same_way(app, db, client, login, make_rep):
    rep_id, rep = make_rep(), login("rep9")
    with app.app_context(), db.transaction() as session:
        for number in range(55):
            session.add(Task(owner_id=rep_id, kind=TaskKind.follow_up, title=f"Follow up {number}",
                             deadline_at=at(24 + number)))
    first = client.get("/api/v1/tasks", headers=rep)
    assert first.status_code == 200 and len(first.json) == 50, "50 a page by default"
    paging = json.loads(first.headers["X-Pagination"])
    assert paging["total"] == 55 and paging["next_page"] == 2 and paging["last_page"] == 2
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    second = client.get("/api/v1/tasks?page=2", headers=rep)
    assert len(second.json) == 5 and 'rel="prev"' in second.headers["Link"]
    assert client.get("/api/v1/tasks?page_size=201", headers=rep).status_code == 422, "at most 200"
    manager = login("manager")
    for path in ("/api/v1/users", "/api/v1/meetings", "/api/v1/scripts"):
        response = client.get(path, headers=manager)
        assert response.status_code == 200 and "total" in json.loads(response.headers["X-Pagination"]), path
    spec = client.get("/api/openapi.json").json
    for path in ("/api/v1/tasks", "/api/v1/users", "/api/v1/meetings", "/api/v1/scripts"):
        operation = spec["paths"][path]["get"]
        size = next(p for p in operation["parameters"] if p["name"] == "page_size")["schema"]
        assert size["default"] == 50 and size["maximum"] == 200, path
        assert {"X-Pagination", "Link"} <= set(operation["responses"]["200"]["headers"]), path
    assert "X-Pagination" not in spec["paths"]["/api/v1/route"]["get"]["responses"]["200"].get("headers", {})
    assert "not paginated" in spec["paths"]["/api/v1/route"]["get"]["description"].lower()


# (c) the expiry moment ---------------------------------------------------------------------------------------

def test_a_task_states_the_moment_it_expires(client, login, make_rep):
    zone = ZoneInfo("Asia/Yekaterinburg")
    rep_id = make_rep("rep8", time_zone="Asia/Yekaterinburg")
    deadline = at(30)
    task = client.post("/api/v1/tasks", headers=login("manager"), json={
        "owner_id": rep_id, "kind": "follow_up", "title": "Send the copy", "deadline_at": deadline.isoformat()}).json
    expected = datetime.combine(deadline.astimezone(zone).date(), time(23, 59, 59), zone)
    assert datetime.fromisoformat(task["expires_at"]) == expected
    assert datetime.fromisoformat(task["expires_at"]).utcoffset() is not None
    listed = client.get("/api/v1/today", headers=login("rep8")).json["open_tasks"]
    assert [datetime.fromisoformat(t["expires_at"]) for t in listed if t["id"] == task["id"]] == [expected]


# (d) the rep's own reminder ----------------------------------------------------------------------------------

def test_a_rep_gives_themselves_a_task_with_a_reminder_and_is_reminded_then(app, db, client, login, make_rep):
    rep_id, rep = make_rep(), login("rep9")
    body = {"kind": "follow_up", "title": "Bring the signed form", "deadline_at": at(26).isoformat()}
    missing = client.post("/api/v1/tasks", headers=rep, json=body)
    assert missing.status_code == 422 and "remind_at" in missing.json["errors"]
    past = client.post("/api/v1/tasks", headers=rep, json={**body, "remind_at": at(-1).isoformat()})
    assert past.status_code == 422 and "remind_at" in past.json["errors"]
    too_late = client.post("/api/v1/tasks", headers=rep, json={**body, "remind_at": at(80).isoformat()})
    assert too_late.status_code == 422 and "remind_at" in too_late.json["errors"]
    other = client.post("/api/v1/tasks", headers=rep, json={**body, "owner_id": 1, "remind_at": at(2).isoformat()})
    assert other.status_code == 422, "a rep's tasks are their own"
    remind_at = at(2)
    created = client.post("/api/v1/tasks", headers=rep, json={**body, "remind_at": remind_at.isoformat()})
    assert created.status_code == 201 and created.json["owner_id"] == rep_id
    assert datetime.fromisoformat(created.json["remind_at"]) == remind_at
    with app.app_context():
        with db.transaction() as session:
            queue_call_reminders(session, now=remind_at - timedelta(hours=1))
        assert notifications(db, "rep_task_reminder") == [], "not yet"
        with db.transaction() as session:
            queue_call_reminders(session, now=remind_at + timedelta(minutes=1))
        [sent] = notifications(db, "rep_task_reminder")
        assert sent.recipient == "rep9@fieldrep.example" and "Bring the signed form" in sent.subject
    later = at(5)
    moved = client.patch(f"/api/v1/tasks/{created.json['id']}", headers=rep, json={"remind_at": later.isoformat()})
    assert moved.status_code == 200 and datetime.fromisoformat(moved.json["remind_at"]) == later
    refused = client.patch(f"/api/v1/tasks/{created.json['id']}", headers=rep, json={"remind_at": at(-2).isoformat()})
    assert refused.status_code == 422


# seed 004: the decision tree for a client not reached on a reminder call ---------------------------------------

@pytest.mark.time_machine(datetime(2026, 11, 20, 15, 5, tzinfo=MOSCOW))  # a Friday afternoon
def test_a_client_not_reached_is_retried_in_business_days_then_escalated_and_rechecked(app, db, client, login,
                                                                                       make_rep):
    rep_id, rep = make_rep(), login("rep9")
    meeting = new_meeting(client, login, 1.0, rep_id)
    first = not_reachable(client, rep, reminder_call(client, rep, meeting["id"])["id"])
    retry = first["next_task"]
    assert retry["kind"] == "retry_call" and retry["attempt"] == 2, "a short retry before the meeting"
    second = not_reachable(client, rep, retry["id"])
    callback = second["next_task"]
    assert callback["kind"] == "callback" and callback["attempt"] == 3 and callback["client_phone"] == PHONE
    # Friday + 2 business days = Tuesday, to the end of that day in the rep's zone
    assert datetime.fromisoformat(callback["deadline_at"]) == datetime(2026, 11, 24, 23, 59, 59, tzinfo=MOSCOW)
    third = not_reachable(client, rep, callback["id"])
    recheck = third["next_task"]
    assert recheck["kind"] == "follow_up" and recheck["meeting_id"] == meeting["id"]
    assert datetime.fromisoformat(recheck["deadline_at"]) == datetime(2026, 11, 27, 23, 59, 59, tzinfo=MOSCOW)
    with app.app_context():
        assert [n.recipient for n in notifications(db, "escalation")] == ["manager@fieldrep.example"]


# the client is told ------------------------------------------------------------------------------------------

def test_the_client_is_told_of_a_cancellation_a_move_and_a_new_place(app, db, client, login, make_rep):
    rep_id, rep = make_rep(), login("rep9")
    email = {"client_email": "client@example.com"}
    cancelled = new_meeting(client, login, 30, rep_id, **email)
    moved = new_meeting(client, login, 34, rep_id, **email)
    placed = new_meeting(client, login, 38, rep_id, **email)
    path = "/api/v1/meetings/{}/transitions"
    assert client.post(path.format(cancelled["id"]), headers=if_match(client, rep, cancelled["id"]), json={
        "action": "cancel", "caused_by": "client", "reason": "ill"}).status_code == 200
    assert client.post(path.format(moved["id"]), headers=if_match(client, rep, moved["id"]), json={
        "action": "reschedule", "caused_by": "client", "starts_at": at(50).isoformat(),
        "ends_at": at(51).isoformat()}).status_code == 200
    assert client.post(f"/api/v1/meetings/{placed['id']}/place", headers=if_match(client, rep, placed["id"]), json={
        "address": "Tverskaya 7", "requested_by": "client"}).status_code == 200
    with app.app_context():
        assert [n.recipient for n in notifications(db, "client_meeting_cancelled")] == ["client@example.com"]
        [move] = notifications(db, "client_meeting_moved")
        assert move.recipient == "client@example.com" and "перенесена" in move.subject
        [place] = notifications(db, "client_meeting_place")
        assert "Tverskaya 7" in place.body


# the morning digest is visible -------------------------------------------------------------------------------

def test_the_morning_digest_shows_on_today_once_queued(app, db, client, login, make_rep):
    make_rep()
    rep = login("rep9")
    before = client.get("/api/v1/today", headers=rep).json
    assert before["digest"] is None, "nothing queued yet"
    with app.app_context(), db.transaction() as session:
        queue_morning_digests(session, "00:00")  # the beat job, at any hour of the rep's day
    today = client.get("/api/v1/today", headers=rep).json
    digest, day = today["digest"], datetime.fromisoformat(today["day"])
    assert digest["state"] == "pending" and "Good morning" in digest["body"]
    assert digest["subject"].startswith(f"Your day {day:%d.%m.%Y}")
