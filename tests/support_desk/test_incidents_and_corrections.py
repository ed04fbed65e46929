"""Incidents (whom they reach, the rep's today, If-Match), audited meeting-record corrections (the log, the
re-derived violations, the rep told, the figures' query), and a disputed violation becoming a ticket."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from models import (
    Meeting,
    MeetingStatus,
    Notification,
    User,
    Violation,
    ViolationStatus,
)

INCIDENT = {"title": "Сбой входа", "text": "Вход в приложение недоступен, ведутся работы."}


def test_reps_see_the_active_incidents_that_affect_them(app, client, login, db, make_rep):
    support = login("support")
    with app.app_context(), db.transaction() as session:
        session.scalar(select(User).where(User.username == "rep2")).region = "Ural"
    everyone = client.post("/api/v1/incidents", headers=support, json=INCIDENT).json["id"]
    ural = client.post("/api/v1/incidents", headers=support, json={**INCIDENT, "regions": ["Ural"]}).json["id"]
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    client.post("/api/v1/incidents", headers=support, json={**INCIDENT, "starts_at": later})
    assert {i["id"] for i in client.get("/api/v1/incidents", headers=login("rep1")).json} == {everyone}
    assert {i["id"] for i in client.get("/api/v1/incidents", headers=login("rep2")).json} == {everyone, ural}
    assert client.get(f"/api/v1/incidents/{ural}", headers=login("rep1")).status_code == 404
    today = client.get("/api/v1/today", headers=login("rep2")).json
    assert {i["id"] for i in today["incidents"]} == {everyone, ural}
    assert len(client.get("/api/v1/incidents", headers=support).json) == 3
    assert client.post("/api/v1/incidents", headers=login("rep1"), json=INCIDENT).status_code == 403


def test_support_updates_and_closes_an_incident_with_if_match(client, login):
    support = login("support")
    created = client.post("/api/v1/incidents", headers=support, json=INCIDENT)
    incident_id = created.json["id"]
    assert client.patch(f"/api/v1/incidents/{incident_id}", headers=support, json={"title": "x"}).status_code == 428
    updated = client.patch(f"/api/v1/incidents/{incident_id}", headers={**support, "If-Match": created.headers["ETag"]},
                           json={"title": "Сбой входа устранён частично"})
    assert updated.status_code == 200 and updated.json["title"].endswith("частично")
    close = f"/api/v1/incidents/{incident_id}/close"
    stale = client.post(close, headers={**support, "If-Match": created.headers["ETag"]})
    assert stale.status_code == 412
    closed = client.post(close, headers={**support, "If-Match": updated.headers["ETag"]})
    assert closed.status_code == 200 and closed.json["active"] is False
    assert client.get("/api/v1/incidents", headers=login("rep1")).json == []
    assert client.get("/api/v1/today", headers=login("rep1")).json["incidents"] == []


def _meeting_cancelled_by_rep(client, login, plan_meeting_at) -> int:
    day = date.today() - timedelta(days=3)
    meeting_id = plan_meeting_at("rep1", day, "12:00")
    rep = login("rep1")
    etag = client.get(f"/api/v1/meetings/{meeting_id}", headers=rep).headers["ETag"]
    cancelled = client.post(f"/api/v1/meetings/{meeting_id}/transitions", headers={**rep, "If-Match": etag},
                            json={"action": "cancel", "caused_by": "rep", "reason": "не успел"})
    assert cancelled.status_code == 200, cancelled.json
    return meeting_id


def _correct(client, headers, meeting_id, **body):
    etag = client.get(f"/api/v1/meetings/{meeting_id}", headers=headers).headers["ETag"]
    return client.post(f"/api/v1/meetings/{meeting_id}/corrections", headers={**headers, "If-Match": etag}, json=body)


def test_a_correction_is_audited_in_the_history_and_the_rep_is_told(app, client, login, db, plan_meeting_at):
    meeting_id = _meeting_cancelled_by_rep(client, login, plan_meeting_at)
    rep, support = login("rep1"), login("support")
    ticket = client.post("/api/v1/tickets", headers=rep, json={
        "text": "Отмену записали на меня, а отменил клиент", "meeting_id": meeting_id, "insist": True}).json
    missing = client.post(f"/api/v1/meetings/{meeting_id}/corrections", headers=support,
                          json={"caused_by": "client", "reason": "Клиент звонил в банк"})
    assert missing.status_code == 428
    made = _correct(client, support, meeting_id, caused_by="client", reason="Клиент звонил в банк и отменил",
                    ticket_id=ticket["id"])
    assert made.status_code == 201, made.json
    assert [(c["field"], c["old_value"], c["new_value"]) for c in made.json] == [("caused_by", "rep", "client")]
    assert made.json[0]["ticket_id"] == ticket["id"] and made.json[0]["corrected_by_id"] is not None

    record = client.get(f"/api/v1/meetings/{meeting_id}/record", headers=rep).json  # the rep sees the fix
    assert record["meeting"]["caused_by"] == "client"
    last = record["history"][-1]
    assert last["action"] == "corrected" and last["changes"]["reason"] == "Клиент звонил в банк и отменил"
    assert last["changes"]["caused_by"] == {"old": "rep", "new": "client"} and last["changed_by_id"] is not None
    assert [c["id"] for c in record["corrections"]] == [made.json[0]["id"]]
    thread = client.get(f"/api/v1/tickets/{ticket['id']}", headers=rep).json["messages"]
    assert "caused_by: rep → client" in thread[-1]["body"]
    with app.app_context(), db.transaction() as session:
        told = session.scalars(select(Notification).where(Notification.kind == "meeting_corrected")).all()
        assert [n.recipient for n in told] == ["rep1@fieldrep.example"]

    queried = client.get(f"/api/v1/corrections?rep_id={record['meeting']['rep_id']}", headers=login("manager")).json
    assert [c["id"] for c in queried] == [made.json[0]["id"]]
    assert client.get("/api/v1/corrections", headers=rep).status_code == 403
    assert _correct(client, rep, meeting_id, caused_by="rep", reason="x").status_code == 403


def test_a_correction_must_hold_together_and_change_something(client, login, plan_meeting_at):
    meeting_id = _meeting_cancelled_by_rep(client, login, plan_meeting_at)
    support = login("support")
    assert _correct(client, support, meeting_id, caused_by="rep", reason="same").status_code == 422
    assert _correct(client, support, meeting_id, caused_by=None, reason="no cause").status_code == 422
    assert _correct(client, support, meeting_id, status="completed", offers_presented=["a"], offers_accepted=["b"],
                    reason="x").status_code == 422
    done = _correct(client, support, meeting_id, status="completed", offers_presented=["a"], offers_accepted=["a"],
                    reason="Встреча состоялась, акт подписан")
    assert done.status_code == 201
    assert {c["field"] for c in done.json} == {"status", "caused_by", "offers_presented", "offers_accepted"}


def test_correcting_a_state_re_derives_the_violation_built_on_it(app, client, login, db, plan_meeting_at):
    """A missed reminder call was recorded for a meeting the client had in fact cancelled: corrected to
    cancelled by the client, the violation no longer stands; corrected back, it stands again."""
    meeting_id = plan_meeting_at("rep1", date.today() - timedelta(days=1), "12:00")
    from reps.tasks import record_missed_reminder_calls

    with app.app_context(), db.transaction() as session:
        assert record_missed_reminder_calls(session, datetime.now(UTC)) == 1
        violation_id = session.scalar(select(Violation.id).where(Violation.meeting_id == meeting_id))
    support = login("support")
    made = _correct(client, support, meeting_id, status="cancelled", caused_by="client",
                    reason="Клиент отменил накануне, рep не должен был звонить")
    assert made.status_code == 201, made.json
    assert made.json[0]["rederived"] == [{"violation_id": violation_id, "criterion": "reminder_call_missing",
                                         "status": {"old": "flagged", "new": "dismissed"}}]
    with app.app_context(), db.transaction() as session:
        assert session.get(Violation, violation_id).status == ViolationStatus.dismissed
        assert session.get(Meeting, meeting_id).status == MeetingStatus.cancelled
    back = _correct(client, support, meeting_id, status="completed", reason="Ошиблись: встреча была")
    assert back.json[0]["rederived"][0]["status"] == {"old": "dismissed", "new": "flagged"}
    violations = client.get("/api/v1/today", headers=login("rep1")).json["violations"]
    assert violation_id in [v["id"] for v in violations]


def test_a_disputed_violation_becomes_a_ticket(app, client, login, db, plan_meeting_at):
    meeting_id = plan_meeting_at("rep1", date.today() - timedelta(days=2), "12:00")
    with app.app_context(), db.transaction() as session:
        rep = session.scalar(select(User).where(User.username == "rep1"))
        violation = Violation(rep_id=rep.id, meeting_id=meeting_id, criterion="passport_reminder",
                              status=ViolationStatus.confirmed, source="bot")
        session.add(violation)
        session.flush()
        violation_id = violation.id
    rep = login("rep1")
    created = client.post("/api/v1/tickets", headers=rep, json={
        "kind": "violation_dispute", "violation_id": violation_id, "text": "Я напомнил про паспорт на 0:35"})
    assert created.status_code == 201, created.json
    assert created.json["kind"] == "violation_dispute" and created.json["violation_id"] == violation_id
    assert created.json["meeting_id"] == meeting_id
    again = client.post("/api/v1/tickets", headers=rep, json={
        "kind": "violation_dispute", "violation_id": violation_id, "text": "ещё раз"})
    assert again.status_code == 409
    other = client.post("/api/v1/tickets", headers=login("rep2"), json={
        "kind": "violation_dispute", "violation_id": violation_id, "text": "x"})
    assert other.status_code == 404
    with app.app_context(), db.transaction() as session:
        from models import ViolationDispute

        dispute = session.scalar(select(ViolationDispute).where(ViolationDispute.violation_id == violation_id))
        assert dispute.ticket_id == created.json["id"]
