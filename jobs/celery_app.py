"""The Celery app: configured from the settings, carrying the services its tasks run on.

Tasks reach the database, the object store and the channels through `services_of(task)`; they need
no Flask app context, so a worker runs the same code whether it was started by `fieldrep worker`
or embedded in a test.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from celery import Celery, Task

if TYPE_CHECKING:
    from services import PeriodicTask, Services


class FieldrepCelery(Celery):
    services: Services


def services_of(task: Task) -> Services:
    """The services of the Celery app running `task`."""
    return cast(FieldrepCelery, task.app).services


def celery_config(services: Services, schedule: Iterable[PeriodicTask]) -> dict[str, Any]:
    settings = services.settings
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
        "beat_schedule": {task.name: {"task": task.name, "schedule": task.every_seconds} for task in schedule},
        "timezone": "UTC",
    }


def make_celery(services: Services, schedule: Iterable[PeriodicTask]) -> FieldrepCelery:
    celery_app = FieldrepCelery("fieldrep")
    celery_app.config_from_object(celery_config(services, schedule))
    celery_app.services = services
    celery_app.set_default()
    return celery_app
