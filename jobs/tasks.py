"""Celery tasks: the one generic job runner, the stale-job sweep and the housekeeping purge."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app as current_celery
from celery import shared_task
from flask import current_app

from jobs import durable
from models import BackgroundJob

log = logging.getLogger(__name__)


def send_via_celery(job: BackgroundJob, countdown: float = 0) -> None:
    current_celery.send_task(
        "fieldrep.run_job", args=[job.id], queue=job.queue, countdown=countdown or None
    )


def sender_for_app():
    """In eager mode (tests, single process) run the job right here instead of sending a message."""
    settings = current_app.extensions["fieldrep_settings"]
    if settings.celery_always_eager:
        return lambda job, countdown=0: run_job.apply(args=[job.id]) if not countdown else None
    return send_via_celery


@shared_task(name="fieldrep.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> str | None:
    settings = current_app.extensions["fieldrep_settings"]
    database = current_app.extensions["fieldrep_db"]
    state = durable.run_job(
        database.session_factory,
        job_id,
        lease=timedelta(seconds=settings.job_lease_seconds),
        sender=sender_for_app(),
        services=current_app.extensions["fieldrep_services"],
    )
    return state.value if state else None


@shared_task(name="fieldrep.requeue_stale_jobs")
def requeue_stale_jobs() -> list[int]:
    settings = current_app.extensions["fieldrep_settings"]
    database = current_app.extensions["fieldrep_db"]
    with database.session_factory() as session:
        resent = durable.requeue_stale(
            session, sender_for_app(), stale_after=timedelta(seconds=settings.job_stale_queued_seconds)
        )
    if resent:
        log.warning("re-sent %d job(s) whose message or worker was lost: %s", len(resent), resent)
    return resent


@shared_task(name="fieldrep.purge_old_records")
def purge_old_records() -> dict:
    from accounts.service import purge_expired_revocations
    from api.idempotency import purge_old_keys

    database = current_app.extensions["fieldrep_db"]
    with database.transaction() as session:
        return {"idempotency_keys": purge_old_keys(session), "revoked_tokens": purge_expired_revocations(session)}
