"""Rate-limit counters in the app's own database, so every web process counts the same attempts.

flask-limiter's `memory://` storage counts inside one process: with N gunicorn workers a client
gets N times the limit. This storage (scheme `fieldrep+database://`, the default) keeps the
`limits` fixed-window counters in one table of the database the app already has: SQLite on the
embedded default, PostgreSQL at scale. Redis (`redis://`) stays the choice for heavy traffic.

Each hit is one atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), so concurrent
processes never lose a count.
"""

from __future__ import annotations

import hashlib
import time
from typing import cast

from limits.storage import Storage
from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from models import RateLimitCounter
from storage.db import rowcount

SCHEME = "fieldrep+database"
COUNTERS = cast(Table, RateLimitCounter.__table__)
MAX_KEY_LENGTH = 255


def _key(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """A `limits` storage over a SQLAlchemy engine: the `engine` storage option, or by default the
    engine of the Flask app handling the request (one limiter object serves every app of a process)."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - as limits declares it

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, engine: Engine | None = None,
                 **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is not None:
            return self._engine
        from services import current_services

        return current_services().database.engine

    def _insert(self):
        dialect = self.engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"{SCHEME}:// works on SQLite and PostgreSQL, not {dialect}; use redis://")
        return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(COUNTERS)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = COUNTERS
        statement = self._insert().values(key=_key(key), count=amount, expires_at=now + expiry)
        window_over = table.c.expires_at <= now
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((window_over, amount), else_=table.c.count + amount),
                "expires_at": case((window_over, now + expiry), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        with self.engine.begin() as connection:
            return int(connection.execute(statement).scalar_one())

    def _row(self, key: str) -> tuple[int, float] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(RateLimitCounter.count, RateLimitCounter.expires_at)
                                     .where(RateLimitCounter.key == _key(key))).first()
        if row is None or row[1] <= time.time():
            return None
        return int(row[0]), float(row[1])

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return rowcount(connection.execute(delete(RateLimitCounter)))

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == _key(key)))


def purge_expired_counters(session: Session) -> int:
    return rowcount(session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < time.time())))
