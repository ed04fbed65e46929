"""Two people change one meeting at the same moment: one change wins, the other is told (409), the
version rises once per change and the change log never shows a transition the lifecycle forbids."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

import routes.service
from models import Meeting, MeetingChange, User
from routes.lifecycle import next_status
from tests.support.etags import if_match


def _plan_meeting(client, login, rep_id: int) -> int:
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    response = client.post("/api/v1/meetings", headers=login("manager"), json={
        "rep_id": rep_id, "client_name": "Concurrent Client", "address": "Moscow, Test st. 1",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _history(db, meeting_id: int) -> tuple[Meeting, list[MeetingChange]]:
    with db.transaction() as session:
        meeting = session.get(Meeting, meeting_id)
        changes = list(session.scalars(select(MeetingChange).where(MeetingChange.meeting_id == meeting_id)
                                       .order_by(MeetingChange.seq)))
        return meeting, changes


def _assert_history_is_legal(changes: list[MeetingChange]) -> None:
    for change in changes:
        status = change.changes.get("status")
        if status:
            from models import MeetingStatus

            assert next_status(MeetingStatus(status["old"]), change.action) is MeetingStatus(status["new"])
    statuses = [c.changes["status"] for c in changes if "status" in c.changes]
    for before, after in itertools.pairwise(statuses):
        assert after["old"] == before["new"], f"the log jumps: {statuses}"


def test_of_two_sessions_changing_one_meeting_the_second_write_fails(app, db, client, login, make_rep):
    meeting_id = _plan_meeting(client, login, make_rep())
    planned_version = _history(db, meeting_id)[0].version
    with app.app_context():
        first, second = db.session_factory(), db.session_factory()
        try:
            read_first, read_second = first.get(Meeting, meeting_id), second.get(Meeting, meeting_id)
            staff = first.scalar(select(User).where(User.username == "support"))
            etag = routes.service.quoted_etag(read_first)
            routes.service.transition(first, staff, read_first, "confirm", {}, etag)
            first.commit()
            with pytest.raises(StaleDataError):
                routes.service.transition(second, second.get(User, staff.id), read_second, "cancel",
                                          {"caused_by": "client", "reason": "ill"}, etag)
                second.commit()
            second.rollback()
        finally:
            first.close()
            second.close()
    meeting, changes = _history(db, meeting_id)
    assert meeting.status.value == "confirmed" and meeting.version == planned_version + 1
    assert [c.action for c in changes if c.action != "planned"] == ["confirm"]


@pytest.mark.parametrize("actions", [("confirm", "cancel"), ("confirm", "confirm")],
                         ids=["confirm+cancel", "confirm+confirm"])
def test_two_transitions_sent_at_once_one_wins_and_the_other_is_409(app, db, login, make_rep, monkeypatch, actions):
    client = app.test_client()
    rep_id = make_rep()
    meeting_id = _plan_meeting(client, login, rep_id)
    planned_version = _history(db, meeting_id)[0].version
    headers = if_match(client, login("support"), meeting_id)
    both_have_read = threading.Barrier(2, timeout=20)
    real_check = routes.service.check_if_match

    def check_after_both_read(meeting, if_match):
        both_have_read.wait()  # each request has read version 1 of the meeting
        return real_check(meeting, if_match)

    monkeypatch.setattr(routes.service, "check_if_match", check_after_both_read)
    bodies = {"confirm": {"action": "confirm"}, "cancel": {"action": "cancel", "caused_by": "client", "reason": "ill"}}
    answers: list = [None, None]

    def send(index: int, action: str) -> None:
        answers[index] = app.test_client().post(f"/api/v1/meetings/{meeting_id}/transitions", headers=headers,
                                                json=bodies[action])

    threads = [threading.Thread(target=send, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 409], [answer.json for answer in answers]
    loser = next(answer for answer in answers if answer.status_code == 409)
    assert loser.json["code"] == "concurrent_change" and "reload" in loser.json["message"]
    winner = next(answer for answer in answers if answer.status_code == 200)
    meeting, changes = _history(db, meeting_id)
    assert meeting.status.value == winner.json["status"]
    assert meeting.version == planned_version + 1, "raised exactly once"
    assert len([c for c in changes if c.action != "planned"]) == 1
    _assert_history_is_legal(changes)
