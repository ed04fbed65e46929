"""`fieldrep run`: migrate, seed the demo data, then run web server, worker and beat together.

The children are watched by a Supervisor: one that exits (a crash, an OOM kill, `kill -9`) is
started again after a delay that doubles from 1 s up to a minute and goes back to 1 s once the
child has stayed up for a minute; the others keep running. Ctrl-C or SIGTERM stops them all.
(honcho and supervisord were considered: honcho stops everything when one process exits, and
supervisord is a daemon with its own config files and control socket; this is less code.)
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import with_appcontext

from api.server import GUNICORN_OPTIONS
from services import current_services
from storage.migrations import upgrade_database


@click.command("run")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--web-workers", default=2, show_default=True, type=int)
@click.option("--seed/--no-seed", default=None,
              help="Create the demo data if missing. Default: only when FIELDREP_ENVIRONMENT is development; "
                   "never in production.")
def run_command(host: str, port: int, web_workers: int, seed: bool | None) -> None:
    """Start the whole service: web server (gunicorn), Celery workers (default, transcribe) and beat."""
    services = current_services()
    settings = services.settings
    if seed and settings.is_production:
        raise click.UsageError("--seed: demo accounts are never created in production (FIELDREP_ENVIRONMENT="
                               "production); create real users with `fieldrep users create`.")
    upgrade_database(settings.sqlalchemy_url)
    if seed or (seed is None and settings.environment == "development"):
        from demo.seed import describe_logins, seed_demo_data

        with services.database.transaction() as session:
            logins = seed_demo_data(session, settings)
        click.echo(describe_logins(logins))
    # Create the broker's tables once, here, rather than in two workers racing to do it.
    with services.celery.connection_for_write() as connection:
        connection.default_channel  # noqa: B018 - opening a channel creates them
    fieldrep = [sys.executable, "-m", "app"]
    commands = {
        "web": [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web_workers),
                "--timeout", "120", "--access-logfile", "-", *GUNICORN_OPTIONS,
                *gunicorn_control_socket(settings.instance_path), "app:create_app()"],
        # Two workers, so a long transcription never holds up reminders and the stale-job sweep.
        "worker": [*fieldrep, "worker", "--pool", "solo", "-Q", "default", "-n", "default@%h"],
        "transcriber": [*fieldrep, "worker", "--pool", "solo", "-Q", "transcribe", "-n", "transcribe@%h"],
        "beat": [*fieldrep, "beat"],
    }
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"\nFieldrep is running: http://{host}:{port}/api/docs  (Ctrl-C stops web, worker and beat)\n")
    sys.exit(Supervisor(commands).run())


log = logging.getLogger("fieldrep.runner")

UNIX_SOCKET_PATH_MAX = 104  # bytes, with the final NUL: 108 on Linux, 104 on macOS


def gunicorn_control_socket(instance_path: str) -> list[str]:
    """gunicorn's control socket in this instance's folder. At gunicorn's default (~/.gunicorn/gunicorn.ctl)
    a second `fieldrep run` on the machine takes the first one's; where the folder's path is too long
    for a Unix socket, none (nothing here uses it: the Supervisor restarts the server)."""
    path = Path(instance_path).resolve() / "gunicorn.ctl"
    if len(os.fsencode(path)) >= UNIX_SOCKET_PATH_MAX:
        return ["--no-control-socket"]
    return ["--control-socket", str(path)]


def describe_exit(returncode: int) -> str:
    """`exited with code 3` or `killed by SIGKILL` (Popen's returncode is -N for signal N)."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    delay: float  # how long the next restart waits
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # set while the child waits to be started again
    restarts: int = 0


class Supervisor:
    """Runs named child processes; restarts each one that exits, with exponential backoff.

    `poll()` is one round of watching (testable with a fake clock and fake processes); `run()`
    loops over it until SIGINT/SIGTERM (or `request_stop()`), then `stop_all()` terminates the
    children and kills those still running after `stop_timeout` seconds.
    """

    def __init__(self, commands: Mapping[str, Sequence[str]], *, first_delay: float = 1.0, max_delay: float = 60.0,
                 stable_after: float = 60.0, stop_timeout: float = 20.0, poll_interval: float = 0.5,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 popen: Callable[..., subprocess.Popen] = subprocess.Popen):
        self.children = {name: Child(name, list(argv), first_delay) for name, argv in commands.items()}
        self.first_delay, self.max_delay, self.stable_after = first_delay, max_delay, stable_after
        self.stop_timeout, self.poll_interval = stop_timeout, poll_interval
        self._clock, self._sleep, self._popen = clock, sleep, popen
        self._started = False
        self.stopping = False

    def start(self) -> None:
        self._started = True
        for child in self.children.values():
            self._spawn(child, self._clock())

    def _spawn(self, child: Child, now: float) -> None:
        child.restart_at = None
        try:
            child.process = self._popen(child.argv)
        except OSError as error:  # e.g. the executable is missing: retried like a crash
            log.error("%s could not be started: %s", child.name, error)
            self._schedule_restart(child, now)
            return
        child.started_at = now
        log.info("%s started (pid %s)", child.name, child.process.pid)

    def _schedule_restart(self, child: Child, now: float) -> None:
        child.process = None
        child.restart_at = now + child.delay
        log.warning("%s: restarting in %g s", child.name, child.delay)
        child.delay = min(child.delay * 2, self.max_delay)

    def poll(self) -> None:
        """One round: notice the children that exited, start again those whose delay is over."""
        now = self._clock()
        for child in self.children.values():
            if self.stopping:
                return
            if child.process is not None and child.process.poll() is not None:
                uptime = now - child.started_at
                log.warning("%s (pid %s) %s after %.1f s", child.name, child.process.pid,
                            describe_exit(child.process.returncode), uptime)
                if uptime >= self.stable_after:
                    child.delay = self.first_delay
                self._schedule_restart(child, now)
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child, now)

    def request_stop(self, signum: int | None = None, _frame=None) -> None:
        if self.stopping and signum is not None:  # a second Ctrl-C: do not wait for a graceful stop
            log.warning("stopping now")
            for child in self.children.values():
                if child.process is not None and child.process.poll() is None:
                    child.process.kill()
        self.stopping = True

    def run(self, handle_signals: bool = True) -> int:
        """Watch the children until asked to stop; then stop them all. Returns the exit status (0)."""
        previous = {}
        if handle_signals:
            previous = {signum: signal.signal(signum, self.request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            if not self._started:
                self.start()
            while not self.stopping:
                self.poll()
                if not self.stopping:
                    self._sleep(self.poll_interval)
        finally:
            self.stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        return 0

    def stop_all(self) -> None:
        """Terminate every running child; kill those still running after stop_timeout seconds."""
        self.stopping = True
        running = [(child.name, child.process) for child in self.children.values()
                   if child.process is not None and child.process.poll() is None]
        for name, process in running:
            log.info("stopping %s (pid %s)", name, process.pid)
            process.terminate()
        deadline = time.monotonic() + self.stop_timeout
        for name, process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s (pid %s) did not stop in %g s; killing it", name, process.pid, self.stop_timeout)
                process.kill()
                process.wait()
