"""QA review over the API: roles, the queue, claims (expiry, no double claim, the double-review sample),
decisions with every version kept, missed violations, what the rep sees, disputes, figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from models import CriterionResult, User
from tests.conftest import DEMO_PASSWORD

PASSPORT_CALL = "client_asks_passport_ru.stereo.ogg"  # rep1; the bot flags passport_reminder
FORCED_CALL = "forced_location_ru.stereo.ogg"  # rep2; flags forced_location
MISSING_ALL = "missing_all_ru.stereo.ogg"  # rep1; flags greeting, address_confirmation, passport_reminder
QUEUE = "/api/v1/qa/queue"


def call_url(recording_id: str, tail: str = "") -> str:
    return f"/api/v1/qa/calls/{recording_id}{tail}"


def decide(client, headers, violation_id: int, etag: str | None, **body):
    extra = {"If-Match": etag} if etag is not None else {}
    return client.post(f"/api/v1/qa/violations/{violation_id}/decisions", headers={**headers, **extra}, json=body)


def etag_of(client, headers, violation_id: int) -> str:
    return client.get(f"/api/v1/qa/violations/{violation_id}/decisions", headers=headers).headers["ETag"]


def test_only_qa_reviews_managers_read_and_reps_and_support_are_refused(client, login, calls, violation_of):
    recording = calls[PASSPORT_CALL]
    violation = violation_of(PASSPORT_CALL, "passport_reminder")
    for user in ("rep1", "support"):
        headers = login(user)
        assert client.get(QUEUE, headers=headers).status_code == 403
        assert client.get(call_url(recording), headers=headers).status_code == 403
        assert client.post(call_url(recording, "/claim"), headers=headers).status_code == 403
        assert decide(client, headers, violation, '"x"', decision="confirm").status_code == 403
        assert client.get("/api/v1/qa/figures", headers=headers).status_code == 403
    manager = login("manager")
    assert client.get(QUEUE, headers=manager).status_code == 200
    assert client.get(call_url(recording), headers=manager).status_code == 200
    assert client.post(call_url(recording, "/claim"), headers=manager).status_code == 403
    assert client.get(QUEUE).status_code == 401
    # qa reviews; only a QA lead accepts proposals and publishes
    assert client.post(call_url(recording, "/claim"), headers=login("qa")).status_code == 200
    assert client.post("/api/v1/qa/script-draft/publish", headers={**login("qa"), "If-Match": '"x"'},
                       json={"effective_from": "2026-12-01"}).status_code == 403


def test_unknown_ids_are_404(client, login, calls):
    headers = login("qa")
    assert client.get(call_url("f" * 32), headers=headers).status_code == 404
    assert client.post(call_url("f" * 32, "/claim"), headers=headers).status_code == 404
    assert decide(client, headers, 2_000_000_000, '"x"', decision="confirm").status_code == 404
    assert client.post("/api/v1/qa/proposals/2000000000/review", headers={**login("qalead"), "If-Match": '"x"'},
                       json={"decision": "accept"}).status_code == 404


def test_the_queue_puts_the_least_certain_first_and_filters(app, db, client, login, calls):
    with app.app_context(), db.transaction() as session:
        session.execute(update(CriterionResult).values(confidence=0.99))
        session.execute(update(CriterionResult).where(CriterionResult.recording_id == calls[MISSING_ALL],
                                                      CriterionResult.criterion == "greeting").values(confidence=0.52))
        session.execute(update(CriterionResult).where(CriterionResult.recording_id == calls[FORCED_CALL],
                                                      CriterionResult.criterion == "forced_location")
                        .values(confidence=0.61))
        rep1 = session.scalar(select(User).where(User.username == "rep1"))
        rep1.region = "Moscow"
        rep1_id = rep1.id
    headers = login("qa")
    items = client.get(QUEUE, headers=headers, query_string={"page_size": 50}).json
    assert [item["recording_id"] for item in items[:2]] == [calls[MISSING_ALL], calls[FORCED_CALL]]
    assert len(items) == 6 and all(item["status"] == "open" for item in items)
    assert items[0]["least_confidence"] == 0.52 and items[0]["flagged"] == [
        "address_confirmation", "greeting", "passport_reminder"]

    def ids(**query):
        return {item["recording_id"] for item in client.get(QUEUE, headers=headers, query_string=query).json}

    assert ids(rep_id=rep1_id) == ids(team="Moscow") == {calls[name] for name in (
        PASSPORT_CALL, MISSING_ALL, "english_meeting_russian_rep.stereo.ogg")}
    assert ids(criterion="forced_location") == {calls[FORCED_CALL]}
    # the demo calls are 1-3 days before Wednesday 2026-11-25 (the call is an hour before the meeting)
    assert ids(date_from="2026-11-24", date_to="2026-11-24") == {calls[PASSPORT_CALL], calls[FORCED_CALL]}
    assert ids(date_from="2026-11-26") == set()
    assert ids(status="reviewed") == set()


def test_a_claim_holds_the_call_for_one_reviewer_until_it_expires(app, client, login, calls, violation_of):
    recording = calls[PASSPORT_CALL]
    violation = violation_of(PASSPORT_CALL, "passport_reminder")
    qa, lead = login("qa"), login("qalead")
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        first = client.post(call_url(recording, "/claim"), headers=qa)
        assert first.status_code == 200 and first.json["slot"] == 1
        assert datetime.fromisoformat(first.json["expires_at"]) == start + timedelta(minutes=20)
        taken = client.post(call_url(recording, "/claim"), headers=lead)
        assert taken.status_code == 409 and taken.json["code"] == "claimed"
        item = next(i for i in client.get(QUEUE, headers=lead, query_string={"status": "in_review"}).json
                    if i["recording_id"] == recording)
        assert item["claimed_by"] == "qa" and not item["mine"]
        assert recording not in {i["recording_id"] for i in client.get(QUEUE, headers=lead).json}
        refused = decide(client, lead, violation, etag_of(client, lead, violation), decision="confirm")
        assert refused.status_code == 409 and refused.json["code"] == "not_claimed"

        clock.move_to(start + timedelta(minutes=21))  # abandoned: another reviewer takes it over
        assert client.post(call_url(recording, "/claim"), headers=lead).status_code == 200
        late = decide(client, qa, violation, etag_of(client, qa, violation), decision="confirm")
        assert late.status_code == 409 and late.json["code"] == "not_claimed"
        assert client.post(call_url(recording, "/claim"), headers=qa).status_code == 409


def test_a_retried_claim_replays_and_a_release_frees_the_call(client, login, calls):
    recording = calls[FORCED_CALL]
    qa = {**login("qa"), "Idempotency-Key": "claim-1"}
    first = client.post(call_url(recording, "/claim"), headers=qa)
    again = client.post(call_url(recording, "/claim"), headers=qa)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert client.delete(call_url(recording, "/claim"), headers=login("qa")).status_code == 204
    assert client.delete(call_url(recording, "/claim"), headers=login("qa")).status_code == 409
    assert client.post(call_url(recording, "/claim"), headers=login("qalead")).status_code == 200


@pytest.fixture
def settings_overrides(request):
    # tokens outlive the claims the tests let expire
    return {"access_token_minutes": 120, "qa_double_review_percent": 100 if "double" in request.node.name else 0}


def test_a_call_sampled_for_double_review_takes_two_different_reviewers(app, db, client, login, calls, violation_of):
    from accounts.service import create_user

    with app.app_context(), db.transaction() as session:
        create_user(session, username="qa2", password=DEMO_PASSWORD, role="qa", full_name="Second Reviewer",
                    time_zone="Europe/Moscow")
    recording = calls[PASSPORT_CALL]
    violation = violation_of(PASSPORT_CALL, "passport_reminder")
    qa, lead, third = login("qa"), login("qalead"), login("qa2")
    assert client.post(call_url(recording, "/claim"), headers=qa).json["slot"] == 1
    assert client.post(call_url(recording, "/claim"), headers=qa).json["slot"] == 1  # never both slots
    assert client.post(call_url(recording, "/claim"), headers=third).json["slot"] == 2
    assert client.post(call_url(recording, "/claim"), headers=lead).status_code == 409
    call = client.get(call_url(recording), headers=qa).json
    assert call["double_review"] is True and len(call["claims"]) == 2
    first = decide(client, qa, violation, etag_of(client, qa, violation), decision="confirm", comment="not said")
    second = decide(client, third, violation, first.headers["ETag"], decision="dismiss", comment="said at 0:25")
    assert second.status_code == 201
    assert second.json["violation"]["status"] == "confirmed", "the second review measures agreement only"
    figures = client.get("/api/v1/qa/figures", headers=lead).json
    assert figures["agreement"] == {"pairs": 1, "equal": 0, "share_equal": 0.0, "kappa": 0.0}
    assert recording in {i["recording_id"] for i in client.get(QUEUE, headers=lead,
                                                                query_string={"status": "reviewed"}).json}


def test_decisions_need_the_claim_the_etag_and_a_reason_to_dismiss_and_every_version_is_kept(
        client, login, calls, violation_of):
    recording = calls[MISSING_ALL]
    greeting = violation_of(MISSING_ALL, "greeting")
    qa = login("qa")
    assert client.post(call_url(recording, "/claim"), headers=qa).status_code == 200
    etag = etag_of(client, qa, greeting)
    assert decide(client, qa, greeting, None, decision="confirm").status_code == 428
    assert decide(client, qa, greeting, '"qv1-7"', decision="confirm").status_code == 412
    no_reason = decide(client, qa, greeting, etag, decision="dismiss")
    assert no_reason.status_code == 422 and "comment" in no_reason.json["errors"]

    confirmed = decide(client, qa, greeting, etag, decision="confirm", comment="no greeting at all")
    assert confirmed.status_code == 201 and confirmed.json["violation"]["status"] == "confirmed"
    stale = decide(client, qa, greeting, etag, decision="dismiss", comment="changed my mind")
    assert stale.status_code == 412 and stale.headers["ETag"] == confirmed.headers["ETag"]
    revised = decide(client, qa, greeting, confirmed.headers["ETag"], decision="dismiss",
                     comment="the greeting is there, only late")
    assert revised.status_code == 201 and revised.json["violation"]["status"] == "dismissed"
    history = client.get(f"/api/v1/qa/violations/{greeting}/decisions", headers=login("manager")).json["decisions"]
    assert [(d["seq"], d["decision"], d["comment"]) for d in history] == [
        (1, "confirm", "no greeting at all"), (2, "dismiss", "the greeting is there, only late")]
    assert history[1]["revises_id"] == history[0]["id"] and all(d["reviewer_id"] for d in history)
    assert all(d["created_at"] for d in history)


def test_deciding_every_flag_finishes_the_review_and_the_call_leaves_the_queue(client, login, calls, violation_of):
    recording = calls[MISSING_ALL]
    qa = login("qa")
    client.post(call_url(recording, "/claim"), headers=qa)
    for criterion in ("greeting", "address_confirmation", "passport_reminder"):
        assert recording in {i["recording_id"] for i in client.get(QUEUE, headers=qa).json}
        violation = violation_of(MISSING_ALL, criterion)
        assert decide(client, qa, violation, etag_of(client, qa, violation), decision="confirm").status_code == 201
    assert recording not in {i["recording_id"] for i in client.get(QUEUE, headers=qa).json}
    # claiming it again reopens the reviewer's own review, to revise a decision
    again = client.post(call_url(recording, "/claim"), headers=qa)
    assert again.status_code == 200 and again.json["finished_at"] is None


def test_a_reviewer_adds_a_violation_the_bot_missed(client, login, calls):
    recording = calls[PASSPORT_CALL]
    qa = login("qa")
    body = {"criterion": "forced_location", "at_s": 12.5, "comment": "pushes the client to the office"}
    assert client.post(call_url(recording, "/violations"), headers=qa, json=body).status_code == 409  # no claim
    client.post(call_url(recording, "/claim"), headers=qa)
    unknown = client.post(call_url(recording, "/violations"), headers=qa, json={**body, "criterion": "rudeness"})
    assert unknown.status_code == 422 and "criterion" in unknown.json["errors"]
    added = client.post(call_url(recording, "/violations"), headers=qa, json=body)
    assert added.status_code == 201, added.json
    violation = added.json["violation"]
    assert (violation["source"], violation["status"], violation["evidence"]["start_s"]) == ("qa", "confirmed", 12.5)
    assert added.json["decisions"][0]["decision"] == "add"
    assert client.post(call_url(recording, "/violations"), headers=qa, json=body).status_code == 409  # once
    figures = client.get("/api/v1/qa/figures", headers=qa).json
    assert next(f for f in figures["criteria"] if f["criterion"] == "forced_location")["added"] == 1


def test_the_rep_sees_a_flag_only_once_confirmed_and_may_dispute_it(client, login, calls, violation_of):
    passport = violation_of(PASSPORT_CALL, "passport_reminder")
    rep1, rep2, qa = login("rep1"), login("rep2"), login("qa")

    def shown() -> tuple[set[int], set[int]]:
        listed = {v["id"] for v in client.get("/api/v1/violations", headers=rep1).json}
        today = {v["id"] for v in client.get("/api/v1/today", headers=rep1).json["violations"]}
        return listed, today

    assert shown() == (set(), set()), "flags awaiting review are hidden from the rep"
    assert client.post(f"/api/v1/violations/{passport}/dispute", headers=rep1,
                       json={"reason": "I said it"}).status_code == 404
    client.post(call_url(calls[PASSPORT_CALL], "/claim"), headers=qa)
    confirmed = decide(client, qa, passport, etag_of(client, qa, passport), decision="confirm")
    assert shown() == ({passport}, {passport})
    assert client.get("/api/v1/violations", headers=rep1).json[0]["status"] == "confirmed"
    assert client.get("/api/v1/violations", headers=rep2).json == []

    assert client.post(f"/api/v1/violations/{passport}/dispute", headers=rep2,
                       json={"reason": "not mine"}).status_code == 404
    disputed = client.post(f"/api/v1/violations/{passport}/dispute", headers=rep1,
                           json={"reason": "I reminded the client at 0:25"})
    assert disputed.status_code == 201 and disputed.json["status"] == "open" and "ticket_id" in disputed.json
    assert client.post(f"/api/v1/violations/{passport}/dispute", headers=rep1,
                       json={"reason": "again"}).status_code == 409

    assert decide(client, qa, passport, confirmed.headers["ETag"], decision="dismiss",
                  comment="x").status_code == 409  # finished
    client.post(call_url(calls[PASSPORT_CALL], "/claim"), headers=qa)  # reopened to revise
    assert decide(client, qa, passport, confirmed.headers["ETag"], decision="dismiss",
                  comment="it was said").status_code == 201
    assert shown() == (set(), set()), "a dismissed flag is never the rep's violation"


def test_the_dispute_seam_opens_a_ticket_when_support_registers_one(client, login, calls, violation_of):
    from qa import disputes

    opened = []

    def open_ticket(session, dispute, violation):
        opened.append((dispute.rep_id, violation.id))
        return 77

    passport = violation_of(PASSPORT_CALL, "passport_reminder")
    qa = login("qa")
    client.post(call_url(calls[PASSPORT_CALL], "/claim"), headers=qa)
    decide(client, qa, passport, etag_of(client, qa, passport), decision="confirm")
    previous = disputes.register_ticket_opener(open_ticket)
    try:
        answer = client.post(f"/api/v1/violations/{passport}/dispute", headers=login("rep1"), json={"reason": "no"})
    finally:
        disputes.register_ticket_opener(previous)
    assert answer.json["ticket_id"] == 77 and opened and opened[0][1] == passport


def test_the_call_view_has_what_a_reviewer_needs(client, login, calls):
    call = client.get(call_url(calls[FORCED_CALL]), headers=login("qa")).json
    assert call["meeting"]["client_name"] == "Oleg Zaitsev" and call["rep"]["username"] == "rep2"
    assert call["audio"]["url"].startswith("/api/v1/objects/") and call["audio"]["expires_in"] > 0
    assert {s["speaker"] for s in call["segments"]} == {"rep", "client"}
    assert all(s["language"] == "ru" for s in call["segments"])
    flag = call["violations"][0]
    assert flag["violation"]["criterion"] == "forced_location" and flag["violation"]["evidence"]["start_s"] > 0
    assert flag["etag"] and flag["decisions"] == [] and flag["my_decision"] is None
    assert {c["criterion"] for c in call["criteria"]} >= {"greeting", "forced_location", "wrong_language"}
    audio = client.get(call["audio"]["url"])
    assert audio.status_code == 200 and audio.data[:4] == b"OggS"
