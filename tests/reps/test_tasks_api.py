from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Task, TaskState, Violation
from reps.tasks import expire_overdue_tasks, record_missed_reminder_calls
from tests.conftest import WEDNESDAY, WEDNESDAY_8AM


def at(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


def new_meeting(client, login, start_in_hours: float, rep_id: int) -> dict:
    response = client.post("/api/v1/meetings", headers=login("manager"), json={
        "rep_id": rep_id, "client_name": "Call Me", "client_phone": "+79161234567", "address": "Somewhere 1",
        "starts_at": at(start_in_hours).isoformat(), "ends_at": at(start_in_hours + 1).isoformat()})
    assert response.status_code == 201, response.json
    return response.json


def call_task(client, headers, meeting_id) -> dict:
    tasks = client.get("/api/v1/tasks?state=open", headers=headers).json
    return next(t for t in tasks if t["meeting_id"] == meeting_id and t["kind"] == "reminder_call")


def test_own_planned_time_after_the_central_deadline_is_refused(client, login, make_rep):
    rep_id, rep = make_rep(), login("rep9")
    meeting = new_meeting(client, login, 100, rep_id)
    task = call_task(client, rep, meeting["id"])
    late = (datetime.fromisoformat(task["deadline_at"]) + timedelta(minutes=1)).isoformat()
    refused = client.patch(f"/api/v1/tasks/{task['id']}", headers=rep, json={"own_planned_at": late})
    assert refused.status_code == 422 and "own_planned_at" in refused.json["errors"]
    early = (datetime.fromisoformat(task["deadline_at"]) - timedelta(hours=2)).isoformat()
    accepted = client.patch(f"/api/v1/tasks/{task['id']}", headers=rep, json={"own_planned_at": early})
    assert accepted.status_code == 200 and accepted.json["own_planned_at"] == early


def test_a_call_in_the_window_is_clean(app, db, client, login, make_rep):
    rep_id, rep = make_rep(), login("rep9")
    meeting = new_meeting(client, login, 1.0, rep_id)  # due now
    task = call_task(client, rep, meeting["id"])
    response = client.post(f"/api/v1/tasks/{task['id']}/call", headers=rep,
                           json={"outcome": "confirmed", "called_at": at(0).isoformat()})
    assert response.status_code == 201 and response.json["state"] == "done"
    with app.app_context():
        assert db.session.scalars(select(Violation).where(Violation.meeting_id == meeting["id"])).all() == []


def test_a_call_outside_the_window_is_recorded_as_off_window(app, db, client, login, make_rep):
    rep_id, rep = make_rep(), login("rep9")
    meeting = new_meeting(client, login, 3.0, rep_id)  # due in two hours: calling now is too early
    task = call_task(client, rep, meeting["id"])
    client.post(f"/api/v1/tasks/{task['id']}/call", headers=rep,
                json={"outcome": "confirmed", "called_at": at(0).isoformat()})
    criteria = [v["criterion"] for v in client.get("/api/v1/violations", headers=rep).json]
    assert criteria == ["reminder_call_off_window"]


def test_not_reachable_creates_a_retry_task_with_a_short_deadline(client, login, make_rep):
    rep_id, rep = make_rep(), login("rep9")
    meeting = new_meeting(client, login, 1.0, rep_id)
    task = call_task(client, rep, meeting["id"])
    logged = client.post(f"/api/v1/tasks/{task['id']}/call", headers=rep,
                         json={"outcome": "not_reachable", "called_at": at(0).isoformat(), "note": "no answer"})
    assert logged.status_code == 201
    assert logged.json["id"] == task["id"] and logged.json["state"] == "done" and logged.json["note"] == "no answer"
    retry = logged.json["next_task"]
    assert retry["kind"] == "retry_call" and retry["state"] == "open" and retry["attempt"] == 2
    assert retry["parent_task_id"] == task["id"]
    deadline = datetime.fromisoformat(retry["deadline_at"])
    assert deadline <= at(0.55) and deadline <= datetime.fromisoformat(meeting["starts_at"])
    again = client.post(f"/api/v1/tasks/{task['id']}/call", headers=rep,
                        json={"outcome": "confirmed", "called_at": at(0).isoformat()})
    assert again.status_code == 409, "the first call is logged already"


def test_no_call_by_the_start_is_reminder_call_missing_once(app, db, client, login, make_rep):
    meeting = new_meeting(client, login, 0.5, make_rep())  # the only meeting in this test's database
    with app.app_context():
        with db.transaction() as session:
            assert record_missed_reminder_calls(session, now=at(0.2)) == 0, "not started yet"
        with db.transaction() as session:
            assert record_missed_reminder_calls(session, now=at(0.6)) == 1
        with db.transaction() as session:
            assert record_missed_reminder_calls(session, now=at(0.7)) == 0, "recorded once"
    mine = [v for v in client.get("/api/v1/violations", headers=login("rep9")).json if v["meeting_id"] == meeting["id"]]
    assert [v["criterion"] for v in mine] == ["reminder_call_missing"]


def test_open_tasks_expire_after_the_end_of_the_deadline_day_in_the_owners_zone(app, db, client, login, make_rep):
    meeting = new_meeting(client, login, 2.0, make_rep("rep8", "Asia/Yekaterinburg"))
    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.meeting_id == meeting["id"]))
        from reps.deadlines import end_of_deadline_day

        end = end_of_deadline_day(task.deadline_at, "Asia/Yekaterinburg")
        with db.transaction() as session:
            expire_overdue_tasks(session, now=end - timedelta(seconds=1))
        assert db.session.get(Task, task.id).state is TaskState.open
        with db.transaction() as session:
            expire_overdue_tasks(session, now=end)
        db.session.expire_all()
        assert db.session.get(Task, task.id).state is TaskState.expired


def test_tasks_of_another_rep_are_404(client, login):
    meeting = new_meeting(client, login, 100, 5)
    task = call_task(client, login("rep2"), meeting["id"])
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=login("rep1")).status_code == 404
    assert client.post(f"/api/v1/tasks/{task['id']}/call", headers=login("rep1"),
                       json={"outcome": "confirmed", "called_at": at(0).isoformat()}).status_code == 404


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_today_shows_route_open_tasks_and_violations(client, login, plan_meeting_at):
    today_ids = [plan_meeting_at("rep1", WEDNESDAY, at) for at in ("10:00", "12:30", "15:00")]
    plan_meeting_at("rep1", WEDNESDAY + timedelta(days=1), "10:00")  # tomorrow: its call is open, it is not today's
    plan_meeting_at("rep2", WEDNESDAY, "11:00")  # another rep's
    today = client.get("/api/v1/today", headers=login("rep1"))
    assert today.status_code == 200
    assert today.json["day"] == WEDNESDAY.isoformat() and today.json["time_zone"] == "Europe/Moscow"
    assert [m["id"] for m in today.json["route"]] == today_ids
    assert [t["kind"] for t in today.json["open_tasks"]] == ["reminder_call"] * 4
    assert today.json["violations"] == []
    assert client.get("/api/v1/today", headers=login("qa")).status_code == 403
