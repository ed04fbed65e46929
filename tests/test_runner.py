"""`fieldrep run`'s supervisor: crashed children are restarted with backoff; SIGINT/SIGTERM stops them all."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from runner import Supervisor, describe_exit
from settings import PROJECT_ROOT
from tests.support.servers import free_port

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
CRASHER = [sys.executable, "-c", "import sys; sys.exit(3)"]


def _wait_for(predicate, timeout: float, what: str, step=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if step:
            step()
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _children(pid: int) -> dict[int, str]:
    """The live (non-zombie) children of a process: pid -> command line."""
    result = subprocess.run(["ps", "-ww", "--ppid", str(pid), "-o", "pid=,stat=,args="], capture_output=True, text=True)
    children = {}
    for line in result.stdout.splitlines():
        child, stat, args = line.split(None, 2)
        if not stat.startswith("Z"):
            children[int(child)] = args
    return children


def _descendants(pid: int) -> set[int]:
    found = set()
    for child in _children(pid):
        found |= {child} | _descendants(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def supervisors():
    """Supervisors made by a test are stopped after it, whatever happened."""
    made = []

    def make(commands, **options) -> Supervisor:
        supervisor = Supervisor(commands, **{"poll_interval": 0.02, "stop_timeout": 5, **options})
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        supervisor.stop_all()


def test_describe_exit():
    assert describe_exit(0) == "exited with code 0"
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(-15) == "killed by SIGTERM"


# --- the backoff schedule, on a fake clock with fake processes ---


class FakeProcess:
    pids = iter(range(1000, 10**6))

    def __init__(self, argv):
        self.argv, self.pid, self.returncode = argv, next(self.pids), None

    def poll(self):
        return self.returncode

    def terminate(self):
        self.returncode = -15

    def kill(self):
        self.returncode = -9

    def wait(self, timeout=None):
        return self.returncode


class FakeWorld:
    def __init__(self):
        self.now = 0.0
        self.started: list[tuple[float, FakeProcess]] = []

    def popen(self, argv):
        process = FakeProcess(argv)
        self.started.append((self.now, process))
        return process

    def crash_latest(self, returncode=1):
        self.started[-1][1].returncode = returncode

    def run_for(self, supervisor: Supervisor, seconds: float, crash_on_start: bool):
        """Advance the clock in 0.5 s steps; optionally crash every process the moment it starts."""
        end = self.now + seconds
        while self.now < end:
            if crash_on_start and self.started[-1][1].returncode is None:
                self.crash_latest()
            supervisor.poll()
            self.now += 0.5


def _scheduled_delays(caplog, name: str) -> list[str]:
    return [line.rsplit(" in ", 1)[1] for line in caplog.messages if line.startswith(f"{name}: restarting in ")]


def test_a_child_crashing_in_a_loop_is_restarted_with_doubling_delays_up_to_the_cap(caplog):
    caplog.set_level(logging.INFO, logger="fieldrep.runner")
    world = FakeWorld()
    supervisor = Supervisor({"beat": ["beat"]}, first_delay=1, max_delay=60, stable_after=60,
                            clock=lambda: world.now, popen=world.popen)
    supervisor.start()
    world.run_for(supervisor, 400, crash_on_start=True)

    delays = _scheduled_delays(caplog, "beat")
    assert delays[:9] == ["1 s", "2 s", "4 s", "8 s", "16 s", "32 s", "60 s", "60 s", "60 s"]
    # Each restart came when its delay was over (a crash is noticed at the next 0.5 s poll).
    start_times = [when for when, _ in world.started]
    assert start_times[:4] == [0, 1, 1.5 + 2, 4 + 4]
    assert supervisor.children["beat"].restarts == len(world.started) - 1 >= 9


def test_the_delay_goes_back_to_the_first_after_a_child_stayed_up():
    world = FakeWorld()
    supervisor = Supervisor({"worker": ["worker"]}, first_delay=1, max_delay=60, stable_after=30,
                            clock=lambda: world.now, popen=world.popen)
    supervisor.start()
    world.run_for(supervisor, 20, crash_on_start=True)  # waits of 1, 2, 4, 8, then 16 s (till 33 s)
    assert supervisor.children["worker"].delay == 32
    world.run_for(supervisor, 50, crash_on_start=False)  # restarted at 33 s, up for 37 s at 70 s
    world.crash_latest(returncode=-9)
    supervisor.poll()
    assert supervisor.children["worker"].restart_at == world.now + 1  # 1 s again, not 32 s
    assert supervisor.children["worker"].delay == 2


def test_a_crash_of_one_child_leaves_the_others_running():
    world = FakeWorld()
    supervisor = Supervisor({"web": ["web"], "worker": ["worker"]}, clock=lambda: world.now, popen=world.popen)
    supervisor.start()
    web, worker = (process for _, process in world.started)
    worker.returncode = 1
    world.run_for(supervisor, 5, crash_on_start=False)
    assert web.returncode is None and supervisor.children["web"].process is web
    assert supervisor.children["worker"].process is not worker and supervisor.children["worker"].restarts == 1


# --- real child processes ---


def test_a_killed_child_is_restarted_and_the_crash_is_logged(supervisors, caplog):
    caplog.set_level(logging.INFO, logger="fieldrep.runner")
    supervisor = supervisors({"transcriber": SLEEPER, "beat": SLEEPER}, first_delay=0.1)
    supervisor.start()
    transcriber, beat = supervisor.children["transcriber"].process, supervisor.children["beat"].process
    os.kill(transcriber.pid, signal.SIGKILL)

    restarted = _wait_for(lambda: (process := supervisor.children["transcriber"].process) is not None
                          and process.pid != transcriber.pid and process, 10, "the restart", step=supervisor.poll)
    assert restarted.poll() is None
    assert supervisor.children["beat"].process is beat and beat.poll() is None
    assert f"transcriber (pid {transcriber.pid}) killed by SIGKILL" in caplog.text
    assert "transcriber: restarting in 0.1 s" in caplog.text
    assert f"transcriber started (pid {restarted.pid})" in caplog.text


def test_a_child_crashing_in_a_tight_loop_is_retried_with_growing_delays(supervisors, caplog):
    caplog.set_level(logging.INFO, logger="fieldrep.runner")
    supervisor = supervisors({"web": CRASHER, "beat": SLEEPER}, first_delay=0.05, max_delay=0.2)
    supervisor.start()
    beat = supervisor.children["beat"].process
    _wait_for(lambda: supervisor.children["web"].restarts >= 4, 20, "four restarts", step=supervisor.poll)

    assert _scheduled_delays(caplog, "web")[:4] == ["0.05 s", "0.1 s", "0.2 s", "0.2 s"]
    assert "web (pid" in caplog.text and "exited with code 3" in caplog.text
    assert supervisor.children["beat"].process is beat and beat.poll() is None  # never taken down


def test_a_child_that_cannot_be_started_is_retried(supervisors, caplog, tmp_path):
    caplog.set_level(logging.INFO, logger="fieldrep.runner")
    missing = str(tmp_path / "no-such-program")
    supervisor = supervisors({"ghost": [missing], "beat": SLEEPER}, first_delay=0.05, max_delay=0.1)
    supervisor.start()
    _wait_for(lambda: supervisor.children["ghost"].restarts >= 2, 10, "retries", step=supervisor.poll)
    assert "ghost could not be started" in caplog.text
    assert supervisor.children["beat"].process.poll() is None


def test_stop_all_kills_a_child_that_ignores_sigterm(supervisors, tmp_path):
    ready = tmp_path / "ready"
    stubborn = [sys.executable, "-c",
                "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"]
    supervisor = supervisors({"stubborn": stubborn, "beat": SLEEPER}, stop_timeout=0.5)
    supervisor.start()
    _wait_for(ready.exists, 10, "the child to ignore SIGTERM")
    stubborn_process, beat = supervisor.children["stubborn"].process, supervisor.children["beat"].process
    began = time.monotonic()
    supervisor.stop_all()
    assert time.monotonic() - began < 5
    assert stubborn_process.returncode == -signal.SIGKILL
    assert beat.returncode == -signal.SIGTERM


SUPERVISOR_SCRIPT = """
import logging, sys
sys.path.insert(0, {root!r})
logging.basicConfig(level=logging.INFO)
from runner import Supervisor
sleeper = {sleeper!r}
sys.exit(Supervisor({{"web": sleeper, "worker": sleeper, "beat": sleeper}}, poll_interval=0.05, stop_timeout=5).run())
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_sigint_to_the_supervisor_stops_every_child(signum, tmp_path):
    log = tmp_path / "supervisor.log"
    script = SUPERVISOR_SCRIPT.format(root=str(PROJECT_ROOT), sleeper=SLEEPER)
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "-c", script], stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        children = _wait_for(lambda: len(found := _children(process.pid)) == 3 and found, 30, "three children")
        process.send_signal(signum)
        assert process.wait(timeout=20) == 0, log.read_text()
        _wait_for(lambda: not any(_alive(pid) for pid in children), 10, "the children to be gone")
        assert "stopping web" in log.read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- the real `fieldrep run` ---


def _health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_fieldrep_run_restarts_a_killed_worker_and_stops_everything_on_ctrl_c(tmp_path):
    port = free_port()
    log = tmp_path / "run.log"
    env = {name: value for name, value in os.environ.items() if not name.startswith("FIELDREP_")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), FIELDREP_INSTANCE_PATH=str(tmp_path / "instance"),
               FIELDREP_SECRET_KEY="test-secret-key-that-is-long-enough-for-hs256")
    with open(log, "wb") as output:
        runner = subprocess.Popen(
            [sys.executable, "-m", "app", "run", "--no-seed", "--port", str(port), "--web-workers", "1"],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def transcriber() -> int | None:
        return next((pid for pid, args in _children(runner.pid).items() if "transcribe@" in args), None)

    try:
        deadline = time.monotonic() + 180
        while not (_health(port) and transcriber()):
            assert runner.poll() is None, log.read_text()[-5000:]
            assert time.monotonic() < deadline, "fieldrep run did not come up:\n" + log.read_text()[-5000:]
            time.sleep(0.5)
        first = transcriber()
        os.kill(first, signal.SIGKILL)

        deadline = time.monotonic() + 60
        while (second := transcriber()) in (None, first):
            assert time.monotonic() < deadline, "the transcriber was not restarted:\n" + log.read_text()[-5000:]
            time.sleep(0.2)
        assert runner.poll() is None
        assert _health(port)
        text = log.read_text()
        assert f"transcriber (pid {first}) killed by SIGKILL" in text
        assert f"transcriber started (pid {second})" in text
        assert len(_children(runner.pid)) == 4  # web, worker, transcriber, beat

        everything = _descendants(runner.pid)
        runner.send_signal(signal.SIGINT)
        assert runner.wait(timeout=60) == 0, log.read_text()[-5000:]
        deadline = time.monotonic() + 30
        while alive := [pid for pid in everything if _alive(pid)]:
            assert time.monotonic() < deadline, f"still running after Ctrl-C: {alive}"
            time.sleep(0.2)
        assert not _health(port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
