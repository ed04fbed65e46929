"""Time-driven work for the rep's day, run by beat."""

from __future__ import annotations

from celery import Task, shared_task

from jobs.celery_app import services_of
from reps import tasks as service


@shared_task(bind=True, name="fieldrep.expire_tasks")
def expire_tasks(self: Task) -> int:
    with services_of(self).database.transaction() as session:
        return service.expire_overdue_tasks(session)


@shared_task(bind=True, name="fieldrep.record_missing_morning_checks")
def record_missing_morning_checks(self: Task) -> int:
    from reps.morning import record_missing_morning_checks as record

    services = services_of(self)
    with services.database.transaction() as session:
        return record(session, services.settings.morning_check_deadline)


@shared_task(bind=True, name="fieldrep.record_missed_reminder_calls")
def record_missed_reminder_calls(self: Task) -> int:
    with services_of(self).database.transaction() as session:
        return service.record_missed_reminder_calls(session)
