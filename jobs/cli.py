"""`fieldrep worker` and `fieldrep beat`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from services import current_services


@click.command("worker")
@with_appcontext
@click.option("--queues", "-Q", default="default,transcribe", show_default=True,
              help="GPU machines take only `transcribe`; web-side workers only `default`.")
@click.option("--concurrency", "-c", default=1, show_default=True, type=int)
@click.option("--pool", default="prefork", show_default=True, type=click.Choice(["prefork", "solo", "threads"]))
@click.option("--loglevel", default="INFO", show_default=True)
@click.option("--hostname", "-n", default=None, help="Worker name, e.g. transcribe@%h, when several run on one host.")
def worker_command(queues: str, concurrency: int, pool: str, loglevel: str, hostname: str | None) -> None:
    """Start a Celery worker for background jobs."""
    celery_app = current_services().celery
    argv = ["worker", "-Q", queues, "-c", str(concurrency), "--pool", pool, "--loglevel", loglevel,
            "--without-gossip", "--without-mingle"]
    if hostname:
        argv += ["-n", hostname]
    celery_app.worker_main(argv)


@click.command("beat")
@with_appcontext
@click.option("--loglevel", default="INFO", show_default=True)
def beat_command(loglevel: str) -> None:
    """Start Celery beat: the periodic jobs (stale-job sweep, deadlines, housekeeping)."""
    services = current_services()
    celery_app, settings = services.celery, services.settings
    schedule = f"{settings.instance_path}/celerybeat-schedule"
    celery_app.start(["beat", "--loglevel", loglevel, "--schedule", schedule])
