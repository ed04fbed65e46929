"""Job rows are the source of truth: enqueue, claim with a lease, finish, retry, and re-send lost work.

Every step is a conditional UPDATE, so two workers given the same message never both run it, and a
message delivered twice finds the work done.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from jobs.registry import JobContext, PermanentJobError, handler_for
from models import BackgroundJob, JobState, utcnow

log = logging.getLogger(__name__)

Sender = Callable[[BackgroundJob, float], None]  # (job, countdown seconds) -> sends a Celery message
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 600


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def create_job(
    session: Session, kind: str, *, subject_id: str | None = None, payload: dict | None = None, max_attempts: int = 3
) -> BackgroundJob:
    """Add the job row to the caller's transaction; send it with `send_job` after the commit."""
    job = BackgroundJob(
        kind=kind,
        queue=handler_for(kind).queue,
        subject_id=subject_id,
        payload=payload or {},
        max_attempts=max_attempts,
        state=JobState.queued,
        queued_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def send_job(job: BackgroundJob, sender: Sender, countdown: float = 0) -> None:
    """Best effort: if the broker is down, the row stays queued and the sweep sends it later."""
    try:
        sender(job, countdown)
    except Exception:  # noqa: BLE001 - any broker failure is recovered by the sweep
        log.warning("could not send job %s to the broker; the sweep will retry", job.id, exc_info=True)


def backoff_seconds(attempt: int) -> int:
    return min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))


def claim(session: Session, job_id: int, owner: str, lease: timedelta) -> bool:
    now = utcnow()
    claimable = or_(
        BackgroundJob.state == JobState.queued,
        and_(BackgroundJob.state == JobState.processing, BackgroundJob.lease_expires_at < now),
    )
    result = session.execute(
        update(BackgroundJob)
        .where(
            BackgroundJob.id == job_id,
            claimable,
            BackgroundJob.attempts < BackgroundJob.max_attempts,
            or_(BackgroundJob.not_before.is_(None), BackgroundJob.not_before <= now),
        )
        .values(
            state=JobState.processing,
            attempts=BackgroundJob.attempts + 1,
            lease_owner=owner,
            lease_expires_at=now + lease,
            started_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _finish(session: Session, job_id: int, owner: str, **values: Any) -> bool:
    result = session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.lease_owner == owner, BackgroundJob.state == JobState.processing)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def run_job(
    session_factory: Callable[[], Session],
    job_id: int,
    *,
    lease: timedelta,
    sender: Sender,
    services: dict[str, Any] | None = None,
) -> JobState | None:
    """Claim the job, run its handler, record the outcome. Returns the new state, None if not claimed."""
    owner = worker_identity()
    with session_factory() as session:
        if not claim(session, job_id, owner, lease):
            log.info("job %s not claimable (done, running elsewhere, or waiting); skipping", job_id)
            return None
        job = session.get(BackgroundJob, job_id)
        context_data = (job.kind, job.subject_id, dict(job.payload or {}), job.attempts, job.max_attempts, job.queue)
    kind, subject_id, payload, attempt, max_attempts, queue = context_data

    def heartbeat() -> None:
        with session_factory() as beat_session:
            _finish(beat_session, job_id, owner, lease_expires_at=utcnow() + lease)

    context = JobContext(job_id, subject_id, payload, attempt, session_factory, heartbeat, services or {})
    try:
        handler_for(kind).function(context)
    except PermanentJobError as exc:
        with session_factory() as session:
            _finish(session, job_id, owner, state=JobState.failed, finished_at=utcnow(), failure_reason=str(exc))
        return JobState.failed
    except Exception as exc:  # noqa: BLE001 - a handler's bug must not kill the worker
        log.exception("job %s (%s) attempt %s failed", job_id, kind, attempt)
        reason = f"{type(exc).__name__}: {exc}"
        with session_factory() as session:
            if attempt >= max_attempts:
                _finish(
                    session, job_id, owner, state=JobState.failed, finished_at=utcnow(),
                    failure_reason=f"gave up after {attempt} attempts; last error: {reason}",
                )
                return JobState.failed
            delay = backoff_seconds(attempt)
            _finish(
                session, job_id, owner, state=JobState.queued, lease_owner=None, lease_expires_at=None,
                queued_at=utcnow(), not_before=utcnow() + timedelta(seconds=delay), failure_reason=reason,
            )
            job = session.get(BackgroundJob, job_id)
        send_job(job, sender, countdown=delay)
        return JobState.queued
    with session_factory() as session:
        _finish(session, job_id, owner, state=JobState.done, finished_at=utcnow(), failure_reason=None,
                lease_expires_at=None)
    return JobState.done


def requeue_stale(session: Session, sender: Sender, *, stale_after: timedelta, now: datetime | None = None) -> list[int]:
    """Re-send work whose message may be lost: leases that ran out, and queued rows nobody took.

    Jobs whose workers died on every attempt are marked failed with the reason.
    """
    now = now or utcnow()
    expired_lease = and_(BackgroundJob.state == JobState.processing, BackgroundJob.lease_expires_at < now)
    forgotten = and_(
        BackgroundJob.state == JobState.queued,
        BackgroundJob.queued_at < now - stale_after,
        or_(BackgroundJob.not_before.is_(None), BackgroundJob.not_before <= now),
    )
    resent: list[int] = []
    for job in session.scalars(select(BackgroundJob).where(or_(expired_lease, forgotten))).all():
        if job.attempts >= job.max_attempts:
            job.state = JobState.failed
            job.finished_at = now
            job.failure_reason = (
                f"the worker stopped (crashed or was killed) during each of {job.attempts} attempts"
            )
            continue
        job.queued_at = now
        session.commit()
        send_job(job, sender)
        resent.append(job.id)
    session.commit()
    return resent
