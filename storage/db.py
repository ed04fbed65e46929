"""Database engine and sessions, shared by the web app, the worker and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
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
    return create_engine(url, pool_pre_ping=True)


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
