"""The same migrations and models on SQLite and on a real PostgreSQL started by the tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from accounts.service import create_user
from models import BackgroundJob, Base, CallScript, JobState, Meeting, Recording, Role, User, utcnow
from storage.db import Database
from storage.migrations import downgrade_database, upgrade_database
from tests.support.servers import postgres_server


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])  # starts a real PostgreSQL
def database(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade_database(url)
    db = Database(url)
    yield db
    db.dispose()
    downgrade_database(url, "base")


def test_migrations_create_exactly_the_models_tables(database):
    tables = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)


def test_downgrade_to_base_removes_everything_and_upgrade_restores(database):
    downgrade_database(database.url, "base")
    assert set(inspect(database.engine).get_table_names()) - {"alembic_version"} == set()
    upgrade_database(database.url)
    assert "recordings" in inspect(database.engine).get_table_names()


def test_times_are_stored_in_utc_and_come_back_aware(database):
    vladivostok = timezone(timedelta(hours=10))
    with database.transaction() as session:
        rep = create_user(session, username="rep", password="long-password", role=Role.rep, full_name="R",
                          time_zone="Asia/Vladivostok")
        session.add(Meeting(rep_id=rep.id, client_name="C", address="A",
                            starts_at=datetime(2026, 11, 25, 9, 0, tzinfo=vladivostok),
                            ends_at=datetime(2026, 11, 25, 10, 0, tzinfo=vladivostok)))
    with database.transaction() as session:
        meeting = session.scalar(select(Meeting))
        assert meeting.starts_at == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
        assert meeting.starts_at.tzinfo is not None
        user = session.scalar(select(User))
        assert user.time_zone == "Asia/Vladivostok" and user.role is Role.rep


def test_naive_datetimes_are_refused(database):
    with pytest.raises(StatementError, match="naive datetimes"), database.transaction() as session:
        rep = create_user(session, username="rep", password="long-password", role="rep", full_name="R")
        session.add(Meeting(rep_id=rep.id, client_name="C", address="A",
                            starts_at=datetime(2026, 11, 25, 9), ends_at=datetime(2026, 11, 25, 10)))


def test_unique_and_foreign_key_constraints_hold(database):
    with database.transaction() as session:
        create_user(session, username="same", password="long-password", role="qa", full_name="Q")
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(User(username="same", full_name="Q2", role=Role.qa, password_hash="x"))
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(Meeting(rep_id=424242, client_name="C", address="A", starts_at=utcnow(), ends_at=utcnow()))
    with database.transaction() as session:
        session.add(CallScript(name="s", version=1, language="ru", effective_from=date(2026, 1, 1), body={}))
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(CallScript(name="s", version=1, language="ru", effective_from=date(2026, 2, 1), body={}))


def test_json_and_enum_columns_round_trip(database):
    with database.transaction() as session:
        session.add(BackgroundJob(kind="k", payload={"ключ": ["значение", 1]}, queued_at=utcnow()))
    with database.transaction() as session:
        job = session.scalar(select(BackgroundJob))
        assert job.payload == {"ключ": ["значение", 1]}
        assert job.state is JobState.queued and job.attempts == 0
        assert Recording.__table__.c.layout.type.length == 16
