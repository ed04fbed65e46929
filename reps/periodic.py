"""Time-driven work for the rep's day, run by beat."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from reps import tasks as service


@shared_task(name="fieldrep.expire_tasks")
def expire_tasks() -> int:
    with current_app.extensions["fieldrep_db"].transaction() as session:
        return service.expire_overdue_tasks(session)


@shared_task(name="fieldrep.record_missing_morning_checks")
def record_missing_morning_checks() -> int:
    from reps.morning import record_missing_morning_checks as record

    deadline = current_app.extensions["fieldrep_settings"].morning_check_deadline
    with current_app.extensions["fieldrep_db"].transaction() as session:
        return record(session, deadline)


@shared_task(name="fieldrep.record_missed_reminder_calls")
def record_missed_reminder_calls() -> int:
    with current_app.extensions["fieldrep_db"].transaction() as session:
        return service.record_missed_reminder_calls(session)
