"""Login attempts are counted in storage every web process shares: the app's database by default
(SQLite here, PostgreSQL at scale), Redis when configured; never per process in production."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from settings import SettingsError, load_settings
from storage.db import Database
from storage.migrations import upgrade_database
from storage.ratelimit import DatabaseStorage

FIVE_PER_MINUTE = parse("5 per minute")


@pytest.fixture
def database_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    upgrade_database(url)
    return url


def _hits(url: str, attempts: int) -> list[bool]:
    """One web process: its own engine (its own connections) on the shared database."""
    database = Database(url)
    limiter = FixedWindowRateLimiter(DatabaseStorage(engine=database.engine))
    try:
        return [limiter.hit(FIVE_PER_MINUTE, "login", "10.0.0.1|rep1") for _ in range(attempts)]
    finally:
        database.dispose()


def test_processes_share_one_count(database_url):
    context = multiprocessing.get_context("spawn")  # separate interpreters, as gunicorn workers are
    with context.Pool(4) as pool:
        results = pool.starmap(_hits, [(database_url, 5)] * 4)
    allowed = sum(hit for process in results for hit in process)
    assert allowed == 5, f"20 attempts from 4 processes let {allowed} through (the limit is 5 per minute)"


def test_the_count_starts_again_with_the_next_window(database_url, monkeypatch):
    database = Database(database_url)
    storage = DatabaseStorage(engine=database.engine)
    limiter = FixedWindowRateLimiter(storage)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    assert [limiter.hit(FIVE_PER_MINUTE, "k") for _ in range(6)] == [True] * 5 + [False]
    assert storage.get(FIVE_PER_MINUTE.key_for("k")) == 6
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert limiter.hit(FIVE_PER_MINUTE, "k") and storage.get(FIVE_PER_MINUTE.key_for("k")) == 1
    database.dispose()


def test_the_app_counts_in_its_database_by_default(app, client, db):
    from models import RateLimitCounter

    client.post("/api/v1/auth/login", json={"username": "rep2", "password": "wrong-guess"})
    with app.app_context():
        counters = db.session.query(RateLimitCounter).all()
    assert counters and all(counter.count == 1 for counter in counters)


def test_production_refuses_a_per_process_limit_count():
    environ = {"FIELDREP_ENVIRONMENT": "production", "FIELDREP_SECRET_KEY": "k" * 40,
               "FIELDREP_RATE_LIMIT_STORAGE_URL": "memory://"}
    with pytest.raises(SettingsError, match="FIELDREP_RATE_LIMIT_STORAGE_URL"):
        load_settings(environ=environ)
    assert load_settings(environ={**environ, "FIELDREP_RATE_LIMIT_STORAGE_URL": "redis://cache:6379/1"})
    del environ["FIELDREP_RATE_LIMIT_STORAGE_URL"]
    assert load_settings(environ=environ).rate_limit_storage_url == ""  # the database
