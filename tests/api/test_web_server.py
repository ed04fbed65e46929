"""gunicorn as `fieldrep run` starts it (several workers, its own request-line limit and access log):
the login limit holds across workers, long URLs get the JSON error shape, signed links are not logged."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api.server import GUNICORN_OPTIONS, redact
from demo.seed import seed_demo_data
from settings import load_settings
from storage.db import Database
from storage.migrations import upgrade_database
from tests.conftest import DEMO_PASSWORD
from tests.support.servers import free_port

pytestmark = pytest.mark.slow  # starts a real gunicorn with three workers
WORKERS = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("gunicorn-instance")
    environ = {"FIELDREP_INSTANCE_PATH": str(instance), "FIELDREP_ENVIRONMENT": "test",
               "FIELDREP_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
               "FIELDREP_BROKER_URL": "memory://", "FIELDREP_LOGIN_RATE_LIMIT": "5 per minute"}
    settings = load_settings(environ=environ, demo_password=DEMO_PASSWORD)
    upgrade_database(settings.sqlalchemy_url)
    database = Database(settings.sqlalchemy_url)
    with database.transaction() as session:
        seed_demo_data(session, settings, routes=False)
    database.dispose()
    port = free_port()
    log = instance / "access.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIELDREP_")} | environ
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
         "--access-logfile", str(log), *GUNICORN_OPTIONS, "app:create_app()"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"gunicorn did not start: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
    time.sleep(1.0)  # every worker booted
    yield port, log
    process.terminate()
    process.wait(timeout=30)


def _request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"} if body else {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def test_the_login_limit_holds_across_workers(server):
    port, _log = server
    attempts = 20
    with ThreadPoolExecutor(max_workers=10) as pool:  # many connections at once, spread over the workers
        statuses = Counter(pool.map(lambda n: _request(port, "POST", "/api/v1/auth/login", {
            "username": "rep2", "password": f"wrong-{n}"})[0], range(attempts)))
    assert statuses == {401: 5, 429: attempts - 5}, statuses


@pytest.mark.parametrize("length", [5_000, 20_000])
def test_long_urls_get_the_json_error_shape(server, length):
    port, _log = server
    status, content_type, body = _request(port, "GET", "/api/v1/meetings?x=" + "a" * length)
    assert content_type.startswith("application/json"), body[:200]
    answer = json.loads(body)
    if length > 8190:
        assert status == 414 and answer["code"] == "uri_too_long" and "shorter" in answer["message"]
    else:
        assert status == 401  # under the limit: the app reads it (and wants a login)


def test_signed_links_are_not_logged_in_full(server):
    port, log = server
    secret = "0123456789abcdef" * 4
    _request(port, "GET", f"/api/v1/objects/selfies/1/2026/11/x.jpg?expires=9999999999&signature={secret}")
    time.sleep(0.5)
    logged = log.read_text()
    assert "/api/v1/objects/selfies/1/2026/11/x.jpg" in logged
    assert secret not in logged and "signature=[redacted]" in logged


def test_redact_blanks_our_and_s3s_signatures():
    assert redact("GET /o?expires=1&signature=abc HTTP/1.1") == "GET /o?expires=1&signature=[redacted] HTTP/1.1"
    assert "SECRET" not in redact("https://b.s3/k?X-Amz-Credential=SECRET%2F1&X-Amz-Signature=SECRET")


def test_a_worker_freezes_what_it_built_before_serving(monkeypatch):
    from gunicorn.workers.sync import SyncWorker

    from api import server

    calls = []
    monkeypatch.setattr(SyncWorker, "load_wsgi", lambda self: calls.append("app built"))
    monkeypatch.setattr(server.gc, "freeze", lambda: calls.append("frozen"))
    server.JSONErrorsWorker.load_wsgi(object.__new__(server.JSONErrorsWorker))
    assert calls == ["app built", "frozen"]
