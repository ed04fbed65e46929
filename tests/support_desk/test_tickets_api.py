"""Tickets over the API: roles, isolation, every state rule, If-Match, the reopen window, response deadlines and
overdue flags (clock pinned), attachments, bulk close."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from models import Notification, Ticket
from tests.conftest import DEMO_PASSWORD, WEDNESDAY, WEDNESDAY_8AM

MOSCOW = ZoneInfo("Europe/Moscow")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def fresh_login(client, username: str) -> dict[str, str]:
    """A token made now (after the clock moved past the cached tokens' lifetime)."""
    token = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD}).json
    return {"Authorization": f"Bearer {token['access_token']}"}


def open_ticket(client, headers, text="Встреча отмечена как отменённая по моей вине, а отменил клиент", **extra):
    response = client.post("/api/v1/tickets", headers=headers, json={"text": text, "insist": True, **extra})
    assert response.status_code == 201, response.json
    return response


def act(client, headers, ticket_id, action, text=None, etag=None):
    if etag is None:
        etag = client.get(f"/api/v1/tickets/{ticket_id}", headers=headers).headers["ETag"]
    body = {"action": action} | ({"text": text} if text else {})
    return client.post(f"/api/v1/tickets/{ticket_id}/transitions", headers={**headers, "If-Match": etag}, json=body)


def test_a_ticket_goes_new_in_progress_resolved_closed_with_its_thread(client, login):
    rep, support, manager = login("rep1"), login("support"), login("manager")
    created = open_ticket(client, rep)
    ticket_id = created.json["id"]
    assert created.json["state"] == "new" and created.json["overdue"] is False
    assert created.headers["ETag"] == created.json["etag"]

    assert act(client, support, ticket_id, "take").json["state"] == "in_progress"
    resolved = act(client, support, ticket_id, "resolve", "Исправили: отмена по вине клиента.")
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["state"] == "resolved" and resolved.json["answer"].startswith("Исправили")
    assert resolved.json["response_due_at"] is None and resolved.json["reopen_until"] is not None

    closed = act(client, manager, ticket_id, "close")
    assert closed.status_code == 200 and closed.json["state"] == "closed"
    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=rep).json
    assert [(m["kind"], m["state_to"]) for m in detail["messages"]] == [
        ("event", "in_progress"), ("answer", "resolved"), ("event", "closed")]


def test_a_rep_never_closes_and_each_role_does_only_its_part(client, login):
    rep, support, manager = login("rep1"), login("support"), login("manager")
    ticket_id = open_ticket(client, rep).json["id"]
    act(client, support, ticket_id, "resolve", "Done.")
    refused = act(client, rep, ticket_id, "close")
    assert refused.status_code == 403
    assert act(client, manager, ticket_id, "resolve", "x").status_code == 403  # managers close, support answers
    assert act(client, support, ticket_id, "reopen", "x").status_code == 403  # only the rep reopens
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=rep).json["state"] == "resolved"
    assert client.post("/api/v1/tickets", headers=support, json={"text": "x"}).status_code == 403
    assert client.get("/api/v1/tickets", headers=login("qa")).status_code == 403


def test_illegal_moves_answer_409_with_what_is_allowed(client, login):
    rep, support, manager = login("rep1"), login("support"), login("manager")
    ticket_id = open_ticket(client, rep).json["id"]
    early = act(client, manager, ticket_id, "close")
    assert early.status_code == 409 and early.json["status_now"] == "new" and early.json["allowed"] == []
    assert act(client, rep, ticket_id, "reopen", "again").status_code == 409
    no_answer = act(client, support, ticket_id, "resolve")
    assert no_answer.status_code == 422 and "text" in no_answer.json["errors"]
    act(client, support, ticket_id, "reject", "The record is right.")
    act(client, manager, ticket_id, "close")
    assert act(client, support, ticket_id, "take").status_code == 409
    assert client.post(f"/api/v1/tickets/{ticket_id}/messages", headers=rep, json={"text": "hm"}).status_code == 409


def test_actions_need_the_current_etag(client, login):
    rep, support = login("rep1"), login("support")
    ticket = open_ticket(client, rep)
    missing = client.post(f"/api/v1/tickets/{ticket.json['id']}/transitions", headers=support, json={"action": "take"})
    assert missing.status_code == 428
    client.post(f"/api/v1/tickets/{ticket.json['id']}/messages", headers=rep, json={"text": "Фото акта приложу"})
    stale = act(client, support, ticket.json["id"], "resolve", "ok", etag=ticket.headers["ETag"])
    assert stale.status_code == 412 and stale.headers["ETag"] != ticket.headers["ETag"]


def test_support_asks_the_rep_and_the_reply_brings_it_back(client, login):
    rep, support = login("rep1"), login("support")
    ticket_id = open_ticket(client, rep).json["id"]
    asked = act(client, support, ticket_id, "ask", "Пришлите фото подписанного акта")
    assert asked.json["state"] == "waiting_for_rep" and asked.json["response_due_at"] is None
    assert asked.json["assignee_id"] is not None
    replied = client.post(f"/api/v1/tickets/{ticket_id}/messages", headers=rep, json={"text": "Вот акт"})
    assert replied.status_code == 201
    assert replied.json["state"] == "in_progress" and replied.json["response_due_at"] is not None
    assert replied.json["messages"][-1]["body"] == "Вот акт"


def test_reopen_within_the_period_and_not_after(app, client, login):
    rep, support = login("rep1"), login("support")
    ticket_id = open_ticket(client, rep).json["id"]
    act(client, support, ticket_id, "take")
    act(client, support, ticket_id, "resolve", "Fixed")
    reopened = act(client, rep, ticket_id, "reopen", "Не исправлено")
    assert reopened.status_code == 200 and reopened.json["state"] == "in_progress"
    assert reopened.json["reopened_count"] == 1
    act(client, support, ticket_id, "resolve", "Now fixed")
    days = app.extensions["fieldrep"].settings.ticket_reopen_days
    with time_machine.travel(datetime.now(UTC) + timedelta(days=days, hours=1)):
        late = act(client, fresh_login(client, "rep1"), ticket_id, "reopen", "Still wrong")
    assert late.status_code == 409 and "reopen_until" in late.json["errors"]


def test_a_rep_sees_only_their_own_tickets(client, login):
    mine = open_ticket(client, login("rep1")).json["id"]
    other = login("rep2")
    assert client.get(f"/api/v1/tickets/{mine}", headers=other).status_code == 404
    assert client.get(f"/api/v1/tickets/{mine + 999}", headers=other).json == \
        client.get(f"/api/v1/tickets/{mine}", headers=other).json
    assert client.post(f"/api/v1/tickets/{mine}/messages", headers=other, json={"text": "x"}).status_code == 404
    assert [t["id"] for t in client.get("/api/v1/tickets", headers=other).json] == []
    assert [t["id"] for t in client.get("/api/v1/tickets", headers=login("support")).json] == [mine]


def test_a_ticket_about_another_reps_meeting_is_404(client, login, plan_meeting_at):
    meeting = plan_meeting_at("rep2", WEDNESDAY + timedelta(days=300), "12:00")
    refused = client.post("/api/v1/tickets", headers=login("rep1"), json={"text": "wrong", "meeting_id": meeting})
    assert refused.status_code == 404


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_response_deadline_is_the_end_of_the_next_business_day_in_the_reps_zone(client, login):
    created = open_ticket(client, login("rep1")).json  # Wednesday 08:00 Moscow
    due = datetime.fromisoformat(created["response_due_at"]).astimezone(MOSCOW)
    assert (due.date(), due.time().replace(microsecond=0)) == (WEDNESDAY + timedelta(days=1), time(23, 59, 59))


@pytest.mark.time_machine(datetime(2026, 11, 27, 21, 30, tzinfo=MOSCOW))  # a Friday evening
def test_a_friday_ticket_is_due_on_monday(client, login):
    created = open_ticket(client, login("rep1")).json
    due = datetime.fromisoformat(created["response_due_at"]).astimezone(MOSCOW)
    assert due.date().isoformat() == "2026-11-30"


@pytest.mark.time_machine(datetime(2026, 12, 31, 10, 0, tzinfo=MOSCOW))
def test_public_holidays_are_not_business_days(client, login):
    created = open_ticket(client, login("rep1")).json
    due = datetime.fromisoformat(created["response_due_at"]).astimezone(MOSCOW)
    assert due.date().isoformat() == "2027-01-11"  # 1-8 January are Russian public holidays, 9-10 a weekend


def test_overdue_tickets_are_flagged_and_filtered(client, login):
    rep, support = login("rep1"), login("support")
    ticket_id = open_ticket(client, rep).json["id"]
    with time_machine.travel(datetime.now(UTC) + timedelta(days=6)):
        support = fresh_login(client, "support")
        seen = client.get(f"/api/v1/tickets/{ticket_id}", headers=support).json
        assert seen["overdue"] is True
        assert [t["id"] for t in client.get("/api/v1/tickets?overdue=true", headers=support).json] == [ticket_id]
        act(client, support, ticket_id, "ask", "Which meeting?")
        assert client.get(f"/api/v1/tickets/{ticket_id}", headers=support).json["overdue"] is False
        assert client.get("/api/v1/tickets?overdue=true", headers=support).json == []


def test_the_queue_is_ordered_by_deadline(client, login, make_rep):
    make_rep("rep_far", time_zone="Asia/Vladivostok")
    make_rep("rep_west", time_zone="Europe/Kaliningrad")
    east = open_ticket(client, login("rep_far"), text="маршрут не грузится").json
    west = open_ticket(client, login("rep_west"), text="селфи отклонили").json
    queue = client.get("/api/v1/tickets?state=new", headers=login("support")).json
    expected = sorted([east, west], key=lambda t: (t["response_due_at"], t["id"]))
    assert [t["id"] for t in queue] == [t["id"] for t in expected]


def test_attachments_go_to_object_storage(client, login):
    rep = login("rep1")
    ticket_id = open_ticket(client, rep).json["id"]
    stored = client.post(f"/api/v1/tickets/{ticket_id}/attachments", headers={**rep, "Idempotency-Key": "photo-1"},
                         data={"file": (io.BytesIO(JPEG), "act.jpg")}, content_type="multipart/form-data")
    assert stored.status_code == 201, stored.json
    assert stored.json["content_type"] == "image/jpeg" and stored.json["size_bytes"] == len(JPEG)
    assert client.get(stored.json["download_url"]).data == JPEG
    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=login("support")).json
    assert [a["id"] for a in detail["attachments"]] == [stored.json["id"]]
    text = client.post(f"/api/v1/tickets/{ticket_id}/attachments", headers=rep,
                       data={"file": (io.BytesIO(b"hello"), "note.txt")}, content_type="multipart/form-data")
    assert text.status_code == 415


def test_managers_close_answered_tickets_in_bulk(client, login):
    rep, support, manager = login("rep1"), login("support"), login("manager")
    answered = [open_ticket(client, rep, text=text).json["id"] for text in ("селфи отклонили", "маршрут пустой")]
    still_open = open_ticket(client, rep, text="не пришла премия").json["id"]
    for ticket_id in answered:
        act(client, support, ticket_id, "resolve", "ok")
    assert client.post("/api/v1/tickets/close", headers=rep, json={}).status_code == 403
    closed = client.post("/api/v1/tickets/close", headers=manager, json={"state": ["resolved"]})
    assert closed.status_code == 200 and sorted(closed.json["ticket_ids"]) == sorted(answered)
    assert client.get(f"/api/v1/tickets/{still_open}", headers=rep).json["state"] == "new"


def test_the_rep_is_told_of_an_answer(app, client, login, db):
    rep, support = login("rep1"), login("support")
    ticket_id = open_ticket(client, rep).json["id"]
    act(client, support, ticket_id, "resolve", "Исправлено")
    with app.app_context(), db.transaction() as session:
        sent = session.scalars(select(Notification).where(Notification.kind == "ticket_update")).all()
        assert [n.recipient for n in sent] == ["rep1@fieldrep.example"]
        assert session.get(Ticket, ticket_id).answered_by_id is not None
