from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from models import Notification
from notifications.outbox import queue_morning_digests
from tests.conftest import MOSCOW, WEDNESDAY


def callback(client, login, owner_id=4, hours=30):
    deadline = (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)
    response = client.post("/api/v1/tasks", headers=login("manager"), json={
        "owner_id": owner_id, "kind": "callback", "title": "Call back about the deposit",
        "deadline_at": deadline.isoformat(), "client_phone": "+79161234567"})
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.time_machine(datetime(2026, 11, 20, 15, 5, tzinfo=MOSCOW))  # a Friday afternoon
def test_an_unreachable_client_is_retried_within_two_business_days_then_escalated(app, db, client, login):
    rep = login("rep1")
    task = callback(client, login)
    called = datetime(2026, 11, 20, 15, 0, tzinfo=MOSCOW)  # five minutes ago
    for attempt in (1, 2):
        response = client.post(f"/api/v1/tasks/{task['id']}/call", headers=rep,
                               json={"outcome": "not_reachable", "called_at": called.isoformat()})
        assert response.status_code == 201, response.json
        assert response.json["id"] == task["id"] and response.json["call_outcome"] == "not_reachable"
        retry = response.json["next_task"]
        assert retry["kind"] == "callback" and retry["attempt"] == attempt + 1 and retry["state"] == "open"
        task = retry
    # Friday + 2 business days = Tuesday, workable to its end in the rep's zone
    assert datetime.fromisoformat(task["deadline_at"]) == datetime(2026, 11, 24, 23, 59, 59, tzinfo=MOSCOW)
    third = client.post(f"/api/v1/tasks/{task['id']}/call", headers=rep,
                        json={"outcome": "not_reachable", "called_at": called.isoformat()})
    assert third.status_code == 201 and third.json["id"] == task["id"] and third.json["state"] == "done"
    # the 3rd missed attempt: the managers are told, and the rep re-checks the client 5 business days later
    recheck = third.json["next_task"]
    assert recheck["kind"] == "follow_up" and recheck["attempt"] == 4 and recheck["client_phone"] == "+79161234567"
    assert datetime.fromisoformat(recheck["deadline_at"]) == datetime(2026, 11, 27, 23, 59, 59, tzinfo=MOSCOW)
    assert "escalated" in third.json["note"]
    with app.app_context():
        escalations = db.session.scalars(select(Notification).where(Notification.kind == "escalation")).all()
        assert [n.recipient for n in escalations] == ["manager@fieldrep.example"]


def test_staff_give_follow_ups_and_the_owner_closes_them(client, login):
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    task = client.post("/api/v1/tasks", headers=login("support"), json={
        "owner_id": 4, "kind": "follow_up", "title": "Send the signed copy", "deadline_at": deadline}).json
    assert client.post(f"/api/v1/tasks/{task['id']}/done", headers=login("rep2"), json={}).status_code == 404
    done = client.post(f"/api/v1/tasks/{task['id']}/done", headers=login("rep1"), json={"note": "sent"})
    assert done.status_code == 200 and done.json["state"] == "done"
    # a rep gives tasks only to themselves, and must choose when to be reminded
    assert client.post("/api/v1/tasks", headers=login("rep1"), json={
        "owner_id": 4, "kind": "follow_up", "title": "x", "deadline_at": deadline}).status_code == 422
    past = client.post("/api/v1/tasks", headers=login("manager"), json={
        "owner_id": 4, "kind": "follow_up", "title": "x", "deadline_at": "2001-01-01T00:00:00+00:00"})
    assert past.status_code == 422


def test_each_rep_gets_one_morning_digest_after_8_local(app, db, plan_meeting_at):
    plan_meeting_at("rep1", WEDNESDAY, "10:00", client_name="Sergey Volkov")
    plan_meeting_at("rep1", WEDNESDAY, "12:30", client_name="John Miller")
    plan_meeting_at("rep1", WEDNESDAY + timedelta(days=1), "10:00", client_name="Tomorrow's Client")
    moscow_7am = datetime.combine(WEDNESDAY, time(7, 0), MOSCOW)  # 09:00 in Yekaterinburg
    with app.app_context():
        with db.transaction() as session:
            assert queue_morning_digests(session, now=moscow_7am.astimezone(UTC)) == 1
        with db.transaction() as session:
            assert queue_morning_digests(session, now=(moscow_7am + timedelta(hours=2)).astimezone(UTC)) == 1
        with db.transaction() as session:
            assert queue_morning_digests(session, now=(moscow_7am + timedelta(hours=3)).astimezone(UTC)) == 0
        digests = db.session.scalars(select(Notification).where(Notification.kind == "morning_digest")).all()
        assert sorted(n.recipient for n in digests) == ["rep1@fieldrep.example", "rep2@fieldrep.example"]
        rep1 = next(n for n in digests if n.recipient.startswith("rep1"))
        assert "25.11.2026: 2 meetings" in rep1.subject
        assert "Sergey Volkov" in rep1.body and "John Miller" in rep1.body and "Tomorrow" not in rep1.body
        rep2 = next(n for n in digests if n.recipient.startswith("rep2"))
        assert "0 meetings" in rep2.subject
