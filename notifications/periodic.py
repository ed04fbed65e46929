"""Time-driven notification work, run by beat."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from notifications import outbox


@shared_task(name="fieldrep.queue_call_reminders")
def queue_call_reminders() -> int:
    with current_app.extensions["fieldrep_db"].transaction() as session:
        return outbox.queue_call_reminders(session)


@shared_task(name="fieldrep.queue_morning_digests")
def queue_morning_digests() -> int:
    with current_app.extensions["fieldrep_db"].transaction() as session:
        return outbox.queue_morning_digests(session)


@shared_task(name="fieldrep.deliver_notifications")
def deliver_notifications() -> int:
    channels = current_app.extensions["fieldrep_services"]["channels"]
    with current_app.extensions["fieldrep_db"].transaction() as session:
        return outbox.deliver_due(session, channels)
