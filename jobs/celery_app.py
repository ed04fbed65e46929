"""The Celery app, bound to a Flask app so every task runs inside its app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from settings import Settings


def celery_config(settings: Settings) -> dict:
    return {
        "broker_url": settings.celery_broker_url,
        "result_backend": None,
        "task_ignore_result": True,
        "task_default_queue": "default",
        # Late ack + reject on worker loss: a message is only gone once its task returned.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "task_always_eager": settings.celery_always_eager,
        "beat_schedule": {
            "requeue-stale-jobs": {
                "task": "fieldrep.requeue_stale_jobs",
                "schedule": float(settings.job_requeue_interval_seconds),
            },
            "purge-old-records": {"task": "fieldrep.purge_old_records", "schedule": 3600.0},
            "expire-tasks": {"task": "fieldrep.expire_tasks", "schedule": 60.0},
            "record-missed-reminder-calls": {"task": "fieldrep.record_missed_reminder_calls", "schedule": 60.0},
            "record-missing-morning-checks": {"task": "fieldrep.record_missing_morning_checks", "schedule": 60.0},
            "queue-morning-digests": {"task": "fieldrep.queue_morning_digests", "schedule": 300.0},
            "queue-call-reminders": {"task": "fieldrep.queue_call_reminders", "schedule": 60.0},
            "deliver-notifications": {"task": "fieldrep.deliver_notifications", "schedule": 30.0},
        },
        "timezone": "UTC",
    }


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(settings))
    celery_app.set_default()
    import jobs.tasks  # noqa: F401 - registers the tasks
    import notifications.periodic  # noqa: F401
    import reps.periodic  # noqa: F401

    app.extensions["celery"] = celery_app
    return celery_app
