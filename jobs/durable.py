"""Job rows are the source of truth: enqueue, claim with a lease, finish, retry, and re-send lost work.

Every step is a conditional UPDATE, so two workers given the same message never both run it, and a
message delivered twice finds the work done. A running job's lease is renewed by a heartbeat, so
only a dead worker's job is ever taken over, and a worker that was taken over cannot store results.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from jobs.registry import JobContext, LeaseLost, PermanentJobError, handler_for
from models import BackgroundJob, JobState, utcnow
from storage.db import after_commit, rowcount
from storage.heartbeat import Heartbeat

if TYPE_CHECKING:
    from services import Services

log = logging.getLogger(__name__)

Sender = Callable[[BackgroundJob, float], None]  # (job, countdown seconds) -> sends a Celery message
JOB_SENDER_INFO_KEY = "fieldrep.job_sender"  # a Sender in Session.info, set by the composition root
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 600
# A job created but never sent (the process died between commit and send) is sent by the sweep after this.
UNSENT_GRACE = timedelta(seconds=30)


def worker_identity() -> str:
    """Unique per run of a job: a restarted worker reusing a pid is still another owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def create_job(
    session: Session, kind: str, *, subject_id: str | None = None, payload: dict[str, Any] | None = None,
    max_attempts: int = 3,
) -> BackgroundJob:
    """Add the job row to the caller's transaction; its message is sent once that transaction commits."""
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
    sender = session.info.get(JOB_SENDER_INFO_KEY)
    if sender is not None:
        job_id = job.id
        after_commit(session, lambda: _send_after_commit(session, job_id, sender))
    return job


def _send_after_commit(session: Session, job_id: int, sender: Sender) -> None:
    # The committed session cannot be used here; the sender needs only the id and the queue.
    with Session(bind=session.get_bind(), info={}) as own:
        job = own.get(BackgroundJob, job_id)
        if job is not None:
            send_job(own, job, sender)
            own.commit()


def send_job(session: Session, job: BackgroundJob, sender: Sender, countdown: float = 0) -> None:
    """Best effort: if the broker is down, the row stays unsent and the sweep sends it later."""
    try:
        sender(job, countdown)
    except Exception:  # any broker failure is recovered by the sweep
        log.warning("could not send job %s to the broker; the sweep will retry", job.id, exc_info=True)
        return
    session.execute(
        update(BackgroundJob).where(BackgroundJob.id == job.id, BackgroundJob.state == JobState.queued)
        .values(sent_at=utcnow(), sends=BackgroundJob.sends + 1)
        .execution_options(synchronize_session=False)
    )


def backoff_seconds(attempt: int) -> int:
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1)))


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
    return rowcount(result) == 1


def _update_owned(session: Session, job_id: int, owner: str, **values: Any) -> bool:
    """Change the job only while `owner` still holds it; in the caller's transaction."""
    result = session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.lease_owner == owner,
               BackgroundJob.state == JobState.processing)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def _finish(session: Session, job_id: int, owner: str, **values: Any) -> bool:
    done = _update_owned(session, job_id, owner, **values)
    session.commit()
    return done


def run_job(
    session_factory: Callable[[], Session],
    job_id: int,
    *,
    lease: timedelta,
    sender: Sender,
    services: Services,
) -> JobState | None:
    """Claim the job, run its handler, record the outcome. Returns the new state, None if not claimed."""
    owner = worker_identity()
    with session_factory() as session:
        if not claim(session, job_id, owner, lease):
            log.info("job %s not claimable (done, running elsewhere, or waiting); skipping", job_id)
            return None
        job = session.get(BackgroundJob, job_id)
        assert job is not None
        kind, subject_id, payload = job.kind, job.subject_id, dict(job.payload or {})
        attempt, max_attempts = job.attempts, job.max_attempts

    def renew() -> bool:
        with session_factory() as beat_session:
            return _finish(beat_session, job_id, owner, lease_expires_at=utcnow() + lease)

    def complete_in(work_session: Session) -> None:
        if not _update_owned(work_session, job_id, owner, state=JobState.done, finished_at=utcnow(),
                             failure_reason=None, lease_expires_at=None):
            raise LeaseLost(f"job {job_id} was taken over by another worker")

    context = JobContext(job_id, subject_id, payload, attempt, session_factory, services, complete_in)
    try:
        with Heartbeat(renew, interval=max(lease.total_seconds() / 3, 0.5), name=f"job-{job_id}-lease"):
            handler_for(kind).function(context)
    except LeaseLost:
        log.warning("job %s (%s): another worker took it over; this run's results were dropped", job_id, kind)
        return None
    except PermanentJobError as exc:
        with session_factory() as session:
            _finish(session, job_id, owner, state=JobState.failed, finished_at=utcnow(), failure_reason=str(exc))
        return JobState.failed
    except Exception as exc:  # a handler's bug must not kill the worker
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
            if not _finish(
                session, job_id, owner, state=JobState.queued, lease_owner=None, lease_expires_at=None,
                queued_at=utcnow(), not_before=utcnow() + timedelta(seconds=delay), failure_reason=reason,
            ):
                return None
            job = session.get(BackgroundJob, job_id)
            assert job is not None
            send_job(session, job, sender, countdown=delay)
            session.commit()
        return JobState.queued
    with session_factory() as session:
        # A handler that did not call complete_in is done once it returns.
        _finish(session, job_id, owner, state=JobState.done, finished_at=utcnow(), failure_reason=None,
                lease_expires_at=None)
    return JobState.done


def requeue_stale(session: Session, sender: Sender, *, stale_after: timedelta,
                  now: datetime | None = None) -> list[int]:
    """Re-send work whose message or worker was lost, once each time it is found lost.

    Lost: a lease that ran out (its worker died: a live one renews it), a job committed but never
    sent, or one sent longer than `stale_after` ago and still not taken. A job merely waiting its
    turn behind others is left alone. Jobs whose workers died on every attempt are marked failed.
    """
    now = now or utcnow()
    expired_lease = and_(BackgroundJob.state == JobState.processing, BackgroundJob.lease_expires_at < now)
    due = or_(BackgroundJob.not_before.is_(None), BackgroundJob.not_before <= now)
    never_sent = and_(BackgroundJob.state == JobState.queued, BackgroundJob.sent_at.is_(None),
                      BackgroundJob.queued_at < now - UNSENT_GRACE, due)
    sent_long_ago = and_(BackgroundJob.state == JobState.queued, BackgroundJob.sent_at < now - stale_after, due)
    resent: list[int] = []
    for job in session.scalars(select(BackgroundJob).where(or_(expired_lease, never_sent, sent_long_ago))).all():
        if job.state == JobState.processing:
            if job.attempts >= job.max_attempts:
                job.state = JobState.failed
                job.finished_at = now
                job.failure_reason = (
                    f"the worker stopped (crashed or was killed) during each of {job.attempts} attempts")
                session.commit()
                continue
            # Back to the queue, so the next sweep sees a sent job waiting, not a lease to re-send again.
            claimed_back = rowcount(session.execute(
                update(BackgroundJob)
                .where(BackgroundJob.id == job.id, BackgroundJob.state == JobState.processing,
                       BackgroundJob.lease_expires_at < now)
                .values(state=JobState.queued, lease_owner=None, lease_expires_at=None, queued_at=now)
                .execution_options(synchronize_session=False)
            ))
            session.commit()
            if not claimed_back:
                continue
        send_job(session, job, sender)
        session.commit()
        resent.append(job.id)
    return resent
