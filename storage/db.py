"""Database engine and sessions, shared by the web app, the worker and the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session, sessionmaker


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            # WAL lets the web server read while the worker writes; foreign keys are off by default.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    engine = create_engine(url)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 10.0


def _ping_after_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it sat idle for a while (pool_pre_ping tests it
    before every request: a round trip each). One used seconds ago is alive but for a server restart
    in those seconds, which fails that one request and makes the pool drop the rest."""

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            if not engine.dialect.do_ping(dbapi_connection):
                raise DisconnectionError("the connection did not answer a ping")
        except DisconnectionError:
            raise
        except Exception as error:  # any failure of the ping means a dead connection
            raise DisconnectionError(str(error)) from error  # the pool retries with a new connection


def read_without_transaction(session: Session) -> None:
    """For a unit of work that only reads: on PostgreSQL its statements run in autocommit, without the
    BEGIN and ROLLBACK round trips (under READ COMMITTED every statement takes its own snapshot, in a
    transaction or not, so the answers are the same). Call it before the session's first statement."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched (`Session.execute` is typed as returning a plain `Result`)."""
    return cast(CursorResult[Any], result).rowcount


AFTER_COMMIT_KEY = "fieldrep.after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once this session's transaction has committed; forget it on rollback.

    For what must not happen unless the data is there for good: sending a job's message.
    """
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(AFTER_COMMIT_KEY, []):
        callback()


def _forget_after_commit(session: Session, _previous_transaction: Any = None) -> None:
    session.info.pop(AFTER_COMMIT_KEY, None)


class Database:
    """An engine plus a request/task-scoped session; one per app."""

    def __init__(self, url: str, scopefunc: Callable[[], Any] | None = None):
        self.url = url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        event.listen(self.session_factory, "after_commit", _run_after_commit)
        event.listen(self.session_factory, "after_rollback", _forget_after_commit)
        self.session = scoped_session(self.session_factory, scopefunc=scopefunc)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A fresh session committed on success, rolled back on error (for workers and scripts)."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def remove(self, _exc: BaseException | None = None) -> None:
        self.session.remove()

    def dispose(self) -> None:
        self.engine.dispose()
