"""A real Celery worker on the embedded transport (SQLAlchemy over SQLite), killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobs import durable
from jobs.tasks import requeue_stale_jobs
from models import BackgroundJob, JobState
from settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def settings_overrides(tmp_path):
    return {
        "broker_url": f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}",
        "job_lease_seconds": 4,
        "job_stale_queued_seconds": 3600,
        "job_handler_modules": "compliance.jobs,tests.support.slow_jobs",
    }


def _start_worker(settings, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "FIELDREP_INSTANCE_PATH": settings.instance_path,
        "FIELDREP_SECRET_KEY": settings.secret_key,
        "FIELDREP_BROKER_URL": settings.broker_url,
        "FIELDREP_JOB_LEASE_SECONDS": str(settings.job_lease_seconds),
        "FIELDREP_JOB_HANDLER_MODULES": settings.job_handler_modules,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app", "worker", "--pool", "solo", "-Q", "default,transcribe", "--loglevel", "INFO"],
        cwd=PROJECT_ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_a_job_whose_worker_is_killed_is_run_again_by_the_next_worker(app, db, settings, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    log = tmp_path / "worker.log"
    with app.app_context(), db.transaction() as session:
        job = durable.create_job(session, "test.hang_first_attempt", payload={"markers": str(markers)})
        job_id = job.id  # its message is sent once this commits

    first = _start_worker(settings, log)
    try:
        _wait_for(lambda: (markers / "started-1").exists(), 90, "the first worker to take the job", log)
        with app.app_context():
            assert db.session.get(BackgroundJob, job_id).state is JobState.processing
        _kill(first)  # kill -9 mid-run: the transport has already hidden the message for good
    finally:
        _kill(first)

    time.sleep(settings.job_lease_seconds + 0.5)
    second = _start_worker(settings, log)
    try:
        with app.app_context():
            resent = requeue_stale_jobs.run()  # what beat runs every minute
        assert resent == [job_id]

        def finished() -> bool:
            with db.transaction() as session:
                return session.get(BackgroundJob, job_id).state is JobState.done

        _wait_for(finished, 90, "the second worker to finish the job", log)
    finally:
        _kill(second)
    with db.transaction() as session:
        job = session.get(BackgroundJob, job_id)
        assert job.attempts == 2
    assert (markers / "done-2").exists() and not (markers / "done-1").exists()
