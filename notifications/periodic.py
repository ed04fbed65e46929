"""Time-driven notification work, run by beat."""

from __future__ import annotations

from celery import Task, shared_task

from jobs.celery_app import services_of
from notifications import outbox


@shared_task(bind=True, name="fieldrep.queue_call_reminders")
def queue_call_reminders(self: Task) -> int:
    with services_of(self).database.transaction() as session:
        return outbox.queue_call_reminders(session)


@shared_task(bind=True, name="fieldrep.queue_morning_digests")
def queue_morning_digests(self: Task) -> int:
    services = services_of(self)
    with services.database.transaction() as session:
        return outbox.queue_morning_digests(session, services.settings.morning_digest_at)


@shared_task(bind=True, name="fieldrep.deliver_notifications")
def deliver_notifications(self: Task) -> int:
    services = services_of(self)
    with services.database.transaction() as session:
        return outbox.deliver_due(session, services.channels)
