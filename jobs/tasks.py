"""Celery tasks: the one generic job runner, the stale-job sweep and the housekeeping purge."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Task, shared_task

from jobs import broker, durable
from jobs.celery_app import services_of

log = logging.getLogger(__name__)


@shared_task(bind=True, name="fieldrep.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(self: Task, job_id: int) -> str | None:
    services = services_of(self)
    state = durable.run_job(
        services.database.session_factory,
        job_id,
        lease=timedelta(seconds=services.settings.job_lease_seconds),
        sender=services.send_job,
        services=services,
    )
    return state.value if state else None


@shared_task(bind=True, name="fieldrep.requeue_stale_jobs")
def requeue_stale_jobs(self: Task) -> list[int]:
    services = services_of(self)
    with services.database.session_factory() as session:
        resent = durable.requeue_stale(
            session, services.send_job, stale_after=timedelta(seconds=services.settings.job_stale_queued_seconds)
        )
    if resent:
        log.warning("re-sent %d job(s) whose message or worker was lost: %s", len(resent), resent)
    return resent


@shared_task(bind=True, name="fieldrep.purge_old_records")
def purge_old_records(self: Task) -> dict[str, int]:
    from accounts.service import purge_ended_sessions, purge_expired_revocations
    from api.idempotency import purge_old_keys
    from storage.ratelimit import purge_expired_counters

    services = services_of(self)
    with services.database.transaction() as session:
        purged = {"idempotency_keys": purge_old_keys(session), "revoked_tokens": purge_expired_revocations(session),
                  "login_sessions": purge_ended_sessions(session),
                  "rate_limit_counters": purge_expired_counters(session)}
    purged["broker_messages"] = broker.purge_delivered_messages(services.settings.celery_broker_url)
    return purged
