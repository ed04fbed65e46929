"""`fieldrep run`: migrate, seed the demo data, then run web server, worker and beat together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask.cli import with_appcontext
from flask import current_app

from storage.migrations import upgrade_database


@click.command("run")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--web-workers", default=2, show_default=True, type=int)
@click.option("--seed/--no-seed", default=True, show_default=True, help="Create the demo data if missing.")
def run_command(host: str, port: int, web_workers: int, seed: bool) -> None:
    """Start the whole service: web server (gunicorn), Celery workers (default, transcribe) and beat."""
    settings = current_app.extensions["fieldrep_settings"]
    upgrade_database(settings.sqlalchemy_url)
    if seed:
        from demo.seed import seed_demo_data, describe_logins

        with current_app.extensions["fieldrep_db"].transaction() as session:
            logins = seed_demo_data(session, settings)
        click.echo(describe_logins(logins))
    # Create the broker's tables once, here, rather than in two workers racing to do it.
    with current_app.extensions["celery"].connection_for_write() as connection:
        connection.default_channel  # noqa: B018 - opening a channel creates them
    fieldrep = [sys.executable, "-m", "app"]
    commands = {
        "web": [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web_workers),
                "--timeout", "120", "--access-logfile", "-", "app:create_app()"],
        # Two workers, so a long transcription never holds up reminders and the stale-job sweep.
        "worker": fieldrep + ["worker", "--pool", "solo", "-Q", "default", "-n", "default@%h"],
        "transcriber": fieldrep + ["worker", "--pool", "solo", "-Q", "transcribe", "-n", "transcribe@%h"],
        "beat": fieldrep + ["beat"],
    }
    processes = {name: subprocess.Popen(argv, env=os.environ.copy()) for name, argv in commands.items()}
    click.echo(f"\nFieldrep is running: http://{host}:{port}/api/docs  (Ctrl-C stops web, worker and beat)\n")

    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                click.echo(f"{name} exited with code {process.returncode}; stopping the others", err=True)
                exit_code = process.returncode or 1
                stopping = True
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    sys.exit(exit_code)
