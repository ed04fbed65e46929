"""The reads a phone polls stay flat in history: each one is an index range, never a scan or a sort of
everything a rep (or the fleet) ever had. Checked on the plans SQLite and PostgreSQL choose for the
exact SQL the app runs, on a fleet's history (benchmarks/read_dataset.py) with fresh statistics."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from benchmarks.read_dataset import Fleet, build
from models import Meeting, User
from reps.today import today_lists
from routes import reads, service
from routes.sync_tokens import SyncTokens
from storage.db import Database
from storage.migrations import upgrade_database
from storage.raw_reads import read_connection
from tests.conftest import WEDNESDAY, WEDNESDAY_8AM
from tests.support.servers import postgres_server

# The fleet's history and the reads are pinned to one working day (a Wednesday, 08:00 in Moscow): the full
# reload skips meetings that ended before now - 12 h, so a real clock (a Sunday, a late hour, --clock-shift-hours)
# would move "today" away from the day the data was built around.
TODAY = WEDNESDAY
pytestmark = pytest.mark.time_machine(WEDNESDAY_8AM)
TOKENS = SyncTokens("query-plans-test-key-that-is-long-enough")


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def fleet_database(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'fleet.sqlite'}"
        fleet = Fleet(reps=6, years=1, today=TODAY)
    else:
        # PostgreSQL weighs the fleet's width too: with a handful of reps a day's meetings of all of them
        # are as few as one rep's, so its statistics need a fleet where they are not (as in production).
        url = request.getfixturevalue("postgres_url")
        fleet = Fleet(reps=300, years=0.1, today=TODAY)
    upgrade_database(url)
    build(url, fleet, password_hash="unused", now=WEDNESDAY_8AM)
    database = Database(url)
    yield database
    database.dispose()


class Captured:
    def __init__(self, database: Database):
        self.database, self.statements = database, []

    def __enter__(self):
        event.listen(self.database.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        event.remove(self.database.engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection, _cursor, statement, parameters, _context, _many):
        self.statements.append((statement, parameters))

    def one(self, *fragments: str) -> tuple[str, object]:
        found = [(sql, params) for sql, params in self.statements if all(part in sql for part in fragments)]
        assert len(found) == 1, (fragments, [sql for sql, _ in self.statements])
        return found[0]


def plan(database: Database, statement: str, parameters) -> str:
    """The plan as text: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's EXPLAIN lines."""
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database.engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(row[3] for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        raw.close()


def assert_index_range(database: Database, captured: tuple[str, object], index: str) -> None:
    text = plan(database, *captured)
    assert index in text, text
    if database.engine.dialect.name == "sqlite":
        assert "TEMP B-TREE" not in text and "SCAN" not in text, text
    else:
        # PostgreSQL may fetch the range's few rows by bitmap and sort just those: bounded by the range, not
        # by history. What must not appear is a scan of a whole table or of another, wider index.
        assert "Seq Scan" not in text and text.count("Index") == text.count(index) + text.count("Index Cond"), text


def _rep(session) -> User:
    return session.scalar(select(User).where(User.username == "rep3"))


def test_the_route_and_its_etag_read_one_index_range_in_route_order(fleet_database):
    session = fleet_database.session_factory()
    rep = _rep(session)
    with read_connection(fleet_database.engine) as connection, Captured(fleet_database) as captured:
        route = reads.day_bounds(connection, rep, day=TODAY)
        body, _etag = reads.route_body(connection, route)
        reads.route_etag(connection, route)
    assert len(body["meetings"]) == 8
    assert_index_range(fleet_database, captured.one("FROM meetings", "meetings.client_name"),
                       "ix_meetings_rep_id_starts_at")
    assert_index_range(fleet_database, captured.one("SELECT meetings.id, meetings.version"),
                       "ix_meetings_rep_id_starts_at")
    session.close()


def test_today_reads_open_tasks_and_newest_violations_by_index(fleet_database):
    session = fleet_database.session_factory()
    rep = _rep(session)
    with read_connection(fleet_database.engine) as connection, Captured(fleet_database) as captured:
        lists = today_lists(connection, rep, TODAY)
    assert len(lists["route"]) == 8 and lists["open_tasks"] and lists["violations"]
    assert_index_range(fleet_database, captured.one("FROM tasks"), "ix_tasks_owner_id_state_deadline_at")
    assert_index_range(fleet_database, captured.one("FROM violations"), "ix_violations_rep_id_created_at")
    session.close()


def test_changes_since_reads_the_reps_changes_and_the_token_age_by_index(fleet_database):
    session = fleet_database.session_factory()
    rep = _rep(session)
    full = service.changes_since(session, rep, None, tokens=TOKENS)
    assert full.full_reload and full.meetings
    meeting = session.scalar(select(Meeting).where(Meeting.rep_id == rep.id, Meeting.route_day > TODAY).limit(1))
    service.transition(session, rep, meeting, "confirm", {}, service.meeting_etag(meeting))
    session.commit()
    with Captured(fleet_database) as captured:
        page = service.changes_since(session, rep, full.token, tokens=TOKENS)
    assert [row.id for row in page.meetings] == [meeting.id]
    assert_index_range(fleet_database, captured.one("FROM meetings", "change_seq >"), "ix_meetings_rep_id_change_seq")
    token_age = plan(fleet_database, *captured.one("FROM meeting_changes", "LIMIT"))
    if fleet_database.engine.dialect.name == "sqlite":
        assert "USING INTEGER PRIMARY KEY" in token_age and "TEMP B-TREE" not in token_age, token_age
    else:
        assert "Index Scan using pk_meeting_changes" in token_age and "Seq Scan" not in token_age, token_age
    session.close()


def test_a_full_reload_skips_the_reps_past(fleet_database):
    session = fleet_database.session_factory()
    rep = _rep(session)
    with Captured(fleet_database) as captured:
        page = service.changes_since(session, rep, None, tokens=TOKENS)
    assert {row.route_day for row in page.meetings} >= {TODAY}
    assert min(row.route_day for row in page.meetings) >= date.fromordinal(TODAY.toordinal() - 1)
    assert_index_range(fleet_database, captured.one("FROM meetings", "ends_at >="), "ix_meetings_rep_id_starts_at")
    session.close()
