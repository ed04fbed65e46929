"""The lean read path answers what the schemas would: the same dicts for every kind of row, the same
bytes for the route and the sync, a 304 decided on (id, version) alone, and few statements a request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import json
from sqlalchemy import event, select, update

from accounts.auth import TOKEN_CHECK_SECONDS
from compliance.schemas import ViolationSchema
from models import Incident, LoginSession, Meeting, MeetingStatus, Task, User, Violation, utcnow
from reps.schemas import TaskSchema
from reps.today import TASK_ROWS, VIOLATION_ROWS
from reps.violations import record_system_violation
from routes import service
from routes.reads import MEETING_ROWS
from routes.schemas import MeetingSchema, RouteSchema
from support.incidents import active_for_rep
from support.schemas import IncidentSchema
from tests.conftest import WEDNESDAY, WEDNESDAY_8AM

pytestmark = pytest.mark.time_machine(WEDNESDAY_8AM)


@pytest.fixture
def varied_day(app, db, make_rep, plan_meeting_at):
    """A rep's Wednesday with meetings in several states, a deleted one, a retry task and violations."""
    rep_id = make_rep("rep9")
    ids = [plan_meeting_at("rep9", WEDNESDAY, at, products=["instant_debit_card"], offers=["premium"],
                           client_phone="+79161112233", latitude=55.7, longitude=37.6)
           for at in ("10:00", "11:00", "12:00", "13:00")]
    with app.app_context(), db.transaction() as session:
        manager = session.scalar(select(User).where(User.username == "manager"))
        first, second, third, fourth = (session.get_one(Meeting, meeting_id) for meeting_id in ids)
        service.transition(session, manager, first, "confirm", {}, service.meeting_etag(first))
        service.transition(session, manager, second, "cancel", {"caused_by": "client", "reason": "ill"},
                           service.meeting_etag(second))
        service.change_place(session, manager, third, address="Moscow, Tverskaya 1", requested_by="client",
                             latitude=None, longitude=None, if_match=service.meeting_etag(third))
        service.delete_meeting(session, manager, fourth, service.meeting_etag(fourth))
        record_system_violation(session, rep_id=rep_id, meeting_id=first.id, criterion="reminder_call_missing",
                                dedupe_key="hot-reads-1", evidence={"at": "10:00"})
        record_system_violation(session, rep_id=rep_id, meeting_id=None, criterion="morning_check_missing",
                                dedupe_key="hot-reads-2", evidence=None)
        session.add(Task(owner_id=rep_id, kind="follow_up", title="Follow up", note="n",
                         deadline_at=utcnow() + timedelta(hours=5), own_planned_at=utcnow() + timedelta(hours=1)))
    return rep_id, ids


def _row(session, model, key):
    return session.execute(select(*model.__table__.columns).where(model.__table__.primary_key.columns[0] == key)).one()


def test_rows_dump_exactly_as_the_schemas_dump_the_objects(app, db, varied_day):
    with app.app_context():
        session = db.session()
        for model, schema, rows in ((Meeting, MeetingSchema(), MEETING_ROWS), (Task, TaskSchema(), TASK_ROWS),
                                    (Violation, ViolationSchema(), VIOLATION_ROWS)):
            objects = session.scalars(select(model)).all()
            assert objects
            for obj in objects:
                assert rows.dump(_row(session, model, obj.id)) == schema.dump(obj), model.__name__


def test_route_is_byte_for_byte_what_the_schema_gives_and_304_comes_from_versions(app, db, client, login,
                                                                                 varied_day):
    rep_id, _ids = varied_day
    rep = login("rep9")
    answer = client.get("/api/v1/route", headers=rep)
    with app.app_context():
        session = db.session()
        user = session.get_one(User, rep_id)
        meetings = service.meetings_of_day(session, user, day=WEDNESDAY)
        expected = RouteSchema().dump({"day": WEDNESDAY, "rep_id": rep_id, "meetings": meetings})
        assert answer.get_data() == app.json.response(expected).get_data()
        assert answer.headers["ETag"] == f'"{service.route_etag(meetings, WEDNESDAY, rep_id)}"'
    assert [m["status"] for m in answer.json["meetings"]] == [
        MeetingStatus.confirmed.value, MeetingStatus.cancelled.value, MeetingStatus.planned.value]
    not_modified = client.get("/api/v1/route", headers={**rep, "If-None-Match": answer.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.headers["ETag"] == answer.headers["ETag"]
    stale = client.get("/api/v1/route", headers={**rep, "If-None-Match": '"not-the-etag"'})
    assert stale.status_code == 200 and stale.get_data() == answer.get_data()


def test_sync_and_today_lists_are_what_the_schemas_give(app, db, client, login, varied_day):
    rep_id, ids = varied_day
    rep = login("rep9")
    full = client.get("/api/v1/meetings/changes", headers=rep).json
    today = client.get("/api/v1/today", headers=rep).json
    with app.app_context():
        session = db.session()
        user = session.get_one(User, rep_id)
        meetings = MeetingSchema(many=True).dump(service.meetings_of_day(session, user, day=WEDNESDAY))
        tasks = session.scalars(select(Task).where(Task.owner_id == rep_id, Task.state == "open")
                                .order_by(Task.deadline_at, Task.id)).all()
        violations = session.scalars(select(Violation).where(Violation.rep_id == rep_id)
                                     .order_by(Violation.created_at.desc())).all()
        assert full["meetings"] == meetings and full["full_reload"] is True
        assert today["route"] == meetings
        assert today["open_tasks"] == TaskSchema(many=True).dump(tasks)
        assert today["violations"] == json.loads(json.dumps(ViolationSchema(many=True).dump(violations)))
        planned = session.get_one(Meeting, ids[2])
        manager = session.scalar(select(User).where(User.username == "manager"))
        service.transition(session, manager, planned, "confirm", {}, service.meeting_etag(planned))
        session.commit()
        changed = MeetingSchema().dump(planned)
    delta = client.get(f"/api/v1/meetings/changes?since={full['token']}", headers=rep).json
    assert delta["meetings"] == [changed] and delta["deleted_ids"] == [] and delta["full_reload"] is False


def test_a_polled_route_costs_one_statement(app, db, client, login, varied_day):
    """The token is checked in full once (its login session and user in one SELECT); polled again within
    TOKEN_CHECK_SECONDS, only the route is read (or, for a 304, its versions)."""
    rep = login("rep9")
    statements: list[str] = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        etag = client.get("/api/v1/route", headers=rep).headers["ETag"]
        assert len(statements) == 2 and "login_sessions" in statements[0], statements
        statements.clear()
        assert client.get("/api/v1/route", headers=rep).status_code == 200
        assert len(statements) == 1 and "FROM meetings" in statements[0], statements
        statements.clear()
        assert client.get("/api/v1/route", headers={**rep, "If-None-Match": etag}).status_code == 304
        assert len(statements) == 1 and "meetings.client_name" not in statements[0], statements
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_a_logout_ends_a_polled_token_at_once(client, login, varied_day):
    rep = login("rep9")
    for path in ("/api/v1/route", "/api/v1/today", "/api/v1/meetings/changes"):
        assert client.get(path, headers=rep).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=rep, json={}).status_code == 204
    for path in ("/api/v1/route", "/api/v1/today", "/api/v1/meetings/changes"):
        answer = client.get(path, headers=rep)
        assert answer.status_code == 401 and answer.json["code"] == "token_revoked", path


def test_a_session_ended_by_another_process_is_refused_within_seconds(app, db, client, login, varied_day,
                                                                     time_machine):
    """Another web process's logout (here: an UPDATE this process's session never saw) is honoured once
    this process's check of the token is TOKEN_CHECK_SECONDS old."""
    rep = login("rep9")
    assert client.get("/api/v1/route", headers=rep).status_code == 200
    with app.app_context(), db.transaction() as session:
        session.execute(update(LoginSession).values(revoked_at=utcnow(), revoked_reason="logout"))
    assert client.get("/api/v1/route", headers=rep).status_code == 200  # still within the check's seconds
    time_machine.shift(timedelta(seconds=TOKEN_CHECK_SECONDS))
    answer = client.get("/api/v1/route", headers=rep)
    assert answer.status_code == 401 and answer.json["code"] == "token_revoked"


def test_a_deactivated_user_is_refused_at_once(app, db, client, login, varied_day):
    rep_id, _ids = varied_day
    rep = login("rep9")
    assert client.get("/api/v1/today", headers=rep).status_code == 200
    with app.app_context(), db.transaction() as session:
        session.get_one(User, rep_id).is_active = False
    answer = client.get("/api/v1/today", headers=rep)
    assert answer.status_code == 401 and answer.json["code"] == "user_inactive"


def test_staff_read_a_reps_route_and_changes(client, login, varied_day):
    rep_id, _ids = varied_day
    manager = login("manager")
    own = client.get("/api/v1/route", headers=login("rep9")).json
    assert client.get(f"/api/v1/route?rep_id={rep_id}&day={own['day']}", headers=manager).json == own
    assert client.get(f"/api/v1/meetings/changes?rep_id={rep_id}", headers=manager).json["meetings"]
    assert client.get("/api/v1/route?rep_id=999999", headers=manager).status_code == 404
    assert client.get("/api/v1/route?rep_id=0", headers=manager).status_code == 422
    assert client.get("/api/v1/meetings/changes?since=not-a-token", headers=manager).status_code == 410


def test_todays_incidents_are_what_the_schema_gives_the_rep(app, db, client, login, varied_day):
    rep_id, _ids = varied_day
    now = utcnow()
    with app.app_context(), db.transaction() as session:
        session.get_one(User, rep_id).region = "Ural"
        author = session.scalar(select(User).where(User.username == "support")).id
        for starts, ends, regions, rep_ids, closed in (
                (-2, None, [], [], False),  # everyone
                (-3, 5, ["Ural"], [], False),  # the rep's region, ending later
                (-1, None, ["Volga"], [rep_id], False),  # the rep named
                (-1, None, ["Volga"], [], False),  # another region
                (-5, -1, [], [], False),  # over
                (2, None, [], [], False),  # not yet
                (-4, None, [], [], True)):  # closed
            session.add(Incident(title="Сбой", text="Текст", starts_at=now + timedelta(hours=starts),
                                 ends_at=None if ends is None else now + timedelta(hours=ends), regions=regions,
                                 rep_ids=rep_ids, created_by_id=author, closed_at=now if closed else None))
    today = client.get("/api/v1/today", headers=login("rep9")).json
    with app.app_context():
        session = db.session()
        expected = IncidentSchema(many=True).dump(active_for_rep(session, session.get_one(User, rep_id), utcnow()))
    assert len(today["incidents"]) == 3
    assert today["incidents"] == json.loads(json.dumps(expected))
