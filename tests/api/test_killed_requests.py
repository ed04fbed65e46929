"""The web worker is killed (SIGKILL) at random points of recording uploads; every key is then retried.

However the kill falls (before the claim, during the view, between the writes and the answer, after
the commit), the retries end with exactly one recording per key and the first answer replayed.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from settings import PROJECT_ROOT
from tests.conftest import CALLS, DEMO_PASSWORD
from tests.support.multipart import encode_multipart
from tests.support.servers import free_port

pytestmark = pytest.mark.slow

KEYS = 8
CALL = CALLS / "missing_passport_ru.stereo.ogg"


def _request(base: str, method: str, path: str, token: str | None = None, body: bytes | None = None,
             headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _web_worker_pids(master: int) -> list[int]:
    found = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


@pytest.fixture
def server(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "FIELDREP_INSTANCE_PATH": str(tmp_path / "instance"),
           "FIELDREP_SECRET_KEY": "killed-requests-test-secret-key-long-enough",
           "FIELDREP_DEMO_PASSWORD": DEMO_PASSWORD, "FIELDREP_BROKER_URL": "memory://",
           "FIELDREP_LOGIN_RATE_LIMIT": "1000 per minute"}
    subprocess.run([sys.executable, "-m", "app", "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "app", "seed-demo"], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True)
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - the server writes to it until the finally
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60",
         "app:create_app()"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base)
        yield base, master.pid, tmp_path / "instance"
    finally:
        os.killpg(master.pid, signal.SIGKILL)
        master.wait(10)
        log.close()


def _wait_until_serving(base: str) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if _request(base, "GET", "/health", timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("the web server did not come back")


def _upload(base: str, token: str, key: str, meeting_id: int) -> tuple[int, dict]:
    body, content_type = encode_multipart({"meeting_id": str(meeting_id)}, {"file": ("call.ogg", CALL.read_bytes())})
    return _request(base, "POST", "/api/v1/recordings", token, body,
                    {"Content-Type": content_type, "Idempotency-Key": key})


def test_uploads_killed_at_any_point_and_retried_store_one_recording_per_key(server):
    base, master, instance = server
    status, login = _request(base, "POST", "/api/v1/auth/login",
                             body=json.dumps({"username": "rep1", "password": DEMO_PASSWORD}).encode(),
                             headers={"Content-Type": "application/json"})
    assert status == 200, login
    token = login["access_token"]
    meeting_id = _request(base, "GET", "/api/v1/route", token)[1]["meetings"][0]["id"]
    randomness = random.Random(20261125)
    keys = [f"killed-{number}-{uuid.uuid4().hex[:6]}" for number in range(KEYS)]
    kills = 0
    for key in keys:
        _wait_until_serving(base)  # the master has started a new worker since the last kill
        attempt = threading.Thread(target=_quietly, args=(_upload, base, token, key, meeting_id))
        attempt.start()
        time.sleep(randomness.uniform(0.0, 0.6))  # somewhere in the request, or just after it
        for pid in _web_worker_pids(master):
            os.kill(pid, signal.SIGKILL)
            kills += 1
        attempt.join(30)

    first_answers: dict[str, str] = {}
    for key in keys:
        deadline = time.time() + 60  # a dead request's claim lapses within seconds
        while True:
            try:
                status, answer = _upload(base, token, key, meeting_id)
            except OSError:  # the master is still starting a new worker
                status, answer = 0, {}
            if status == 202:
                first_answers[key] = answer["id"]
                break
            assert status in (0, 409), answer
            assert time.time() < deadline, f"{key}: still {status} after a minute"
            time.sleep(1)
        again = _upload(base, token, key, meeting_id)
        assert again[0] == 202 and again[1]["id"] == first_answers[key], "the first answer is replayed"

    # The meeting's recordings (the demo data has analysed calls of its own on other meetings).
    recordings = _request(base, "GET", f"/api/v1/recordings?meeting_id={meeting_id}&page_size=100", token)[1]
    assert kills >= KEYS
    assert sorted(recording["id"] for recording in recordings) == sorted(first_answers.values()), \
        "recordings stored == keys used"
    stored_files = [path for path in (instance / "objects" / "recordings").rglob("*")
                    if path.is_file() and "demo" not in path.parts]
    assert len(stored_files) == KEYS, "a killed attempt's file is overwritten by its retry, not left behind"


def _quietly(function, *args) -> None:
    with contextlib.suppress(OSError):  # the connection dies with the worker
        function(*args)
