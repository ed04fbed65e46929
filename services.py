"""The composition root: every long-lived part of Fieldrep, built once from the settings.

The web app, the Celery worker and beat, and the command line all run on one `Services` object
built by `build_services`; nothing else constructs a database, an object store or a channel, and
nothing looks them up by name.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settings import Settings
from storage.db import Database

if TYPE_CHECKING:
    from celery import Celery
    from flask import Flask

    from compliance.model import ModelOptions
    from models import BackgroundJob
    from notifications.channels import Channel
    from storage.objects import ObjectStore

log = logging.getLogger(__name__)

EXTENSION_KEY = "fieldrep"  # where create_app keeps the Services in app.extensions

# Modules whose import registers job handlers (`@job_handler`) and Celery tasks.
JOB_HANDLER_MODULES = ("compliance.jobs",)
TASK_MODULES = ("jobs.tasks", "reps.periodic", "notifications.periodic")


@dataclass(frozen=True)
class PeriodicTask:
    name: str  # the Celery task's name
    every_seconds: float


def periodic_tasks(settings: Settings) -> tuple[PeriodicTask, ...]:
    """What beat runs, and how often."""
    return (
        PeriodicTask("fieldrep.requeue_stale_jobs", float(settings.job_requeue_interval_seconds)),
        PeriodicTask("fieldrep.purge_old_records", 3600.0),
        PeriodicTask("fieldrep.expire_tasks", 60.0),
        PeriodicTask("fieldrep.record_missed_reminder_calls", 60.0),
        PeriodicTask("fieldrep.record_missing_morning_checks", 60.0),
        PeriodicTask("fieldrep.queue_morning_digests", 300.0),
        PeriodicTask("fieldrep.queue_call_reminders", 60.0),
        PeriodicTask("fieldrep.deliver_notifications", 30.0),
    )


def resolve_secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key  # required in production (settings validation)
    # Development: one random key per instance folder, kept so tokens survive a restart.
    key_file = Path(settings.instance_path) / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


@dataclass
class Services:
    settings: Settings
    secret_key: str
    database: Database
    objects: ObjectStore
    channels: Mapping[str, Channel]
    celery: Celery = field(init=False)

    @property
    def speech_model(self) -> ModelOptions:
        """Which Whisper model the pipeline loads (once per process, on first use)."""
        from compliance.model import ModelOptions

        return ModelOptions.from_settings(self.settings)

    def send_job(self, job: BackgroundJob, countdown: float = 0) -> None:
        """Send a job's Celery message; in eager mode (tests, one process) run it right here instead."""
        if self.settings.celery_always_eager:
            if not countdown:
                self.celery.tasks["fieldrep.run_job"].apply(args=(job.id,))
            return
        self.celery.send_task("fieldrep.run_job", args=[job.id], queue=job.queue, countdown=countdown or None)


def services_of(app: Flask) -> Services:
    return app.extensions[EXTENSION_KEY]


def current_services() -> Services:
    """The services of the Flask app in context (web requests and `fieldrep` commands)."""
    from flask import current_app

    return services_of(current_app)


def build_services(settings: Settings, session_scope: Callable[[], Any] | None = None) -> Services:
    """Build every part once. `session_scope` keys the shared session (the web app: one per app context)."""
    import importlib

    from jobs.celery_app import make_celery
    from jobs.durable import JOB_SENDER_INFO_KEY
    from notifications.channels import make_channels
    from storage.objects import make_object_store

    Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    secret_key = resolve_secret_key(settings)
    database = Database(settings.sqlalchemy_url, scopefunc=session_scope)
    services = Services(
        settings=settings,
        secret_key=secret_key,
        database=database,
        objects=make_object_store(settings, secret_key),
        channels=make_channels(settings),
    )
    extra_modules = [name.strip() for name in settings.job_handler_modules.split(",") if name.strip()]
    for module in (*TASK_MODULES, *JOB_HANDLER_MODULES, *extra_modules):
        importlib.import_module(module)
    services.celery = make_celery(services, periodic_tasks(settings))
    # A job created in any session is sent once that session commits (jobs.durable.create_job).
    database.session_factory.configure(info={JOB_SENDER_INFO_KEY: services.send_job})
    return services
