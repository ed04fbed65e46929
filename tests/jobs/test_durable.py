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


def _run(database, job_id, sender=lambda *a: None):
    return durable.run_job(database.session_factory, job_id, lease=timedelta(minutes=1), sender=sender, services=None)


def _state(database, job_id) -> BackgroundJob:
    with database.transaction() as session:
        return session.get(BackgroundJob, job_id)


def test_a_job_runs_once_even_if_its_message_comes_twice(database):
    calls.clear()
    sent = []
    job_id = _job(database, "test.count")
    for _ in range(2):
        _run(database, job_id, sender=lambda job, countdown: sent.append(job.id))
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
                            sender=lambda job, countdown: resent.append(countdown), services=None)
    assert state is JobState.queued and resent == [durable.backoff_seconds(1)]
    row = _state(database, job_id)
    assert row.not_before > utcnow() and "attempt 1 broke" in row.failure_reason
    assert _run(database, job_id) is None
    with database.transaction() as session:
        session.get(BackgroundJob, job_id).not_before = utcnow() - timedelta(seconds=1)
    state = _run(database, job_id)
    assert state is JobState.failed
    assert "gave up after 2 attempts" in _state(database, job_id).failure_reason


def test_a_permanent_error_fails_at_once(database):
    job_id = _job(database, "test.permanent")
    state = _run(database, job_id)
    assert state is JobState.failed
    row = _state(database, job_id)
    assert row.attempts == 1 and row.failure_reason == "the input is unusable"


def test_the_sweep_resends_lost_messages_and_expired_leases(database):
    lost = _job(database, "test.count")
    orphaned = _job(database, "test.count")
    fresh = _job(database, "test.count")
    exhausted = _job(database, "test.count", max_attempts=1)
    with database.transaction() as session:
        session.get(BackgroundJob, lost).queued_at = utcnow() - timedelta(minutes=10)  # and never sent
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


def _sweep(database, sent: list[int], stale_after=timedelta(minutes=30)) -> list[int]:
    with database.session_factory() as session:
        return durable.requeue_stale(session, lambda job, countdown=0: sent.append(job.id), stale_after=stale_after)


def test_the_sweep_leaves_a_job_waiting_its_turn_alone_and_resends_a_lost_one_once(database):
    waiting = _job(database, "test.count")
    orphaned = _job(database, "test.count")
    with database.transaction() as session:
        for job_id in (waiting, orphaned):
            job = session.get(BackgroundJob, job_id)
            job.queued_at, job.sent_at = utcnow() - timedelta(minutes=20), utcnow() - timedelta(minutes=20)
        job = session.get(BackgroundJob, orphaned)
        job.state, job.attempts, job.lease_expires_at = JobState.processing, 1, utcnow() - timedelta(seconds=5)
    sent: list[int] = []
    for _ in range(3):  # beat runs the sweep every minute
        _sweep(database, sent)
    assert sent == [orphaned], "waiting behind other jobs is not being lost; a dead worker's job goes once"
    row = _state(database, orphaned)
    assert row.state is JobState.queued and row.sends == 1 and row.lease_owner is None


def test_a_lease_is_renewed_while_a_long_job_runs(database):
    """A job running longer than its lease is not taken over while its worker is alive."""
    import threading
    import time

    started, finish = threading.Event(), threading.Event()

    @job_handler("test.long")
    def long_job(context) -> None:
        started.set()
        finish.wait(10)

    job_id = _job(database, "test.long")
    runner = threading.Thread(target=durable.run_job, args=(database.session_factory, job_id),
                              kwargs={"lease": timedelta(seconds=1.5), "sender": lambda *a: None, "services": None})
    runner.start()
    try:
        assert started.wait(10)
        time.sleep(3.5)  # more than twice the lease
        with database.session_factory() as session:
            assert not durable.claim(session, job_id, "another-worker", timedelta(minutes=1))
        sent: list[int] = []
        assert _sweep(database, sent) == []
    finally:
        finish.set()
        runner.join(10)
    row = _state(database, job_id)
    assert row.state is JobState.done and row.attempts == 1


def test_a_worker_taken_over_cannot_store_its_results(database):
    stored: list[str] = []

    @job_handler("test.taken_over")
    def taken_over(context) -> None:
        with context.session_factory() as session:  # meanwhile another worker took the job
            session.execute(BackgroundJob.__table__.update().where(BackgroundJob.id == context.job_id)
                            .values(lease_owner="the-other-worker"))
            session.commit()
        with context.session_factory() as session:
            stored.append("results")
            context.complete_in(session)
            session.commit()

    job_id = _job(database, "test.taken_over")
    state = durable.run_job(database.session_factory, job_id, lease=timedelta(minutes=1), sender=lambda *a: None,
                            services=None)
    assert state is None
    row = _state(database, job_id)
    assert row.state is JobState.processing and row.lease_owner == "the-other-worker"


def test_a_jobs_message_is_sent_after_its_transaction_commits_and_never_after_a_rollback(database):
    sent: list[int] = []
    database.session_factory.configure(info={durable.JOB_SENDER_INFO_KEY: lambda job, countdown=0: sent.append(job.id)})
    with database.session_factory() as session:
        kept = durable.create_job(session, "test.count").id
        assert sent == [], "not before the commit: the worker would not find the row"
        session.commit()
    assert sent == [kept]
    assert _state(database, kept).sent_at is not None
    with database.session_factory() as session:
        durable.create_job(session, "test.count")
        session.rollback()
    assert sent == [kept]


def test_delivered_broker_messages_are_purged(tmp_path):
    from datetime import datetime

    from kombu import Connection

    from jobs.broker import purge_delivered_messages

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    with Connection(url) as connection:
        queue = connection.SimpleQueue("default")
        for number in range(3):
            queue.put({"n": number})
        queue.get(timeout=1).ack()  # delivered: hidden, never deleted by the transport
        queue.close()
    assert purge_delivered_messages(url) == 0, "delivered a moment ago: kept for now"
    assert purge_delivered_messages(url, now=datetime.now() + timedelta(hours=2)) == 1
    with Connection(url) as connection:
        queue = connection.SimpleQueue("default")
        assert {queue.get(timeout=1).payload["n"] for _ in range(2)} == {1, 2}, "undelivered ones stay"
        queue.close()
