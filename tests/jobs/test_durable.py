"""Job rows as the source of truth: claims, leases, retries, the sweep (no worker needed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import tests.support.slow_jobs  # noqa: F401 - registers the test job kinds
from jobs import durable
from jobs.registry import PermanentJobError, job_handler
from models import BackgroundJob, JobState, utcnow
from storage.db import Database
from storage.migrations import upgrade_database

calls: list[int] = []


@job_handler("test.count")
def count(context) -> None:
    calls.append(context.attempt)


@job_handler("test.permanent")
def permanent(context) -> None:
    raise PermanentJobError("the input is unusable")


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    upgrade_database(url)
    db = Database(url)
    yield db
    db.dispose()


def _job(database, kind, max_attempts=3) -> int:
    with database.transaction() as session:
        return durable.create_job(session, kind, max_attempts=max_attempts).id


def _state(database, job_id) -> BackgroundJob:
    with database.transaction() as session:
        return session.get(BackgroundJob, job_id)


def test_a_job_runs_once_even_if_its_message_comes_twice(database):
    calls.clear()
    sent = []
    job_id = _job(database, "test.count")
    for _ in range(2):
        durable.run_job(database.session_factory, job_id, lease=timedelta(minutes=1), sender=lambda j, c: sent.append(j.id))
    assert calls == [1]
    assert _state(database, job_id).state is JobState.done


def test_a_running_job_cannot_be_claimed_until_its_lease_runs_out(database):
    job_id = _job(database, "test.count")
    with database.session_factory() as session:
        assert durable.claim(session, job_id, "worker-a", timedelta(minutes=5))
        assert not durable.claim(session, job_id, "worker-b", timedelta(minutes=5))
        job = session.get(BackgroundJob, job_id)
        job.lease_expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
        assert durable.claim(session, job_id, "worker-b", timedelta(minutes=5))
    assert _state(database, job_id).attempts == 2
    assert _state(database, job_id).lease_owner == "worker-b"


def test_a_failing_job_is_retried_with_backoff_then_marked_failed_with_its_reason(database):
    job_id = _job(database, "test.always_fails", max_attempts=2)
    resent = []
    state = durable.run_job(database.session_factory, job_id, lease=timedelta(minutes=1),
                            sender=lambda job, countdown: resent.append(countdown))
    assert state is JobState.queued and resent == [durable.backoff_seconds(1)]
    row = _state(database, job_id)
    assert row.not_before > utcnow() and "attempt 1 broke" in row.failure_reason
    assert durable.run_job(database.session_factory, job_id, lease=timedelta(minutes=1), sender=lambda *a: None) is None
    with database.transaction() as session:
        session.get(BackgroundJob, job_id).not_before = utcnow() - timedelta(seconds=1)
    state = durable.run_job(database.session_factory, job_id, lease=timedelta(minutes=1), sender=lambda *a: None)
    assert state is JobState.failed
    assert "gave up after 2 attempts" in _state(database, job_id).failure_reason


def test_a_permanent_error_fails_at_once(database):
    job_id = _job(database, "test.permanent")
    state = durable.run_job(database.session_factory, job_id, lease=timedelta(minutes=1), sender=lambda *a: None)
    assert state is JobState.failed
    row = _state(database, job_id)
    assert row.attempts == 1 and row.failure_reason == "the input is unusable"


def test_the_sweep_resends_lost_messages_and_expired_leases(database):
    lost = _job(database, "test.count")
    orphaned = _job(database, "test.count")
    fresh = _job(database, "test.count")
    exhausted = _job(database, "test.count", max_attempts=1)
    with database.transaction() as session:
        session.get(BackgroundJob, lost).queued_at = utcnow() - timedelta(minutes=10)
        for job_id, attempts in ((orphaned, 1), (exhausted, 1)):
            job = session.get(BackgroundJob, job_id)
            job.state, job.attempts = JobState.processing, attempts
            job.lease_expires_at = utcnow() - timedelta(seconds=5)
    sent: list[int] = []
    with database.session_factory() as session:
        resent = durable.requeue_stale(session, lambda job, countdown=0: sent.append(job.id),
                                       stale_after=timedelta(minutes=2))
    assert sorted(resent) == sorted([lost, orphaned]) == sorted(sent)
    assert fresh not in sent
    row = _state(database, exhausted)
    assert row.state is JobState.failed and "worker stopped" in row.failure_reason
