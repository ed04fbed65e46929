"""The consoles' base: staff log in with the same accounts, a session cookie (HttpOnly, SameSite), CSRF on
every unsafe request, a CSP with no outside source, logout ending the login; the QA pages check roles."""

from __future__ import annotations

import re

from tests.conftest import DEMO_PASSWORD
from tests.qa.conftest import calls, violation_of  # noqa: F401 - fixtures


def _token(response) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True)).group(1)


def log_in(client, username: str):
    token = _token(client.get("/console/login"))
    return client.post("/console/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})


def test_login_needs_the_csrf_token_and_sets_a_strict_httponly_cookie(client):
    assert client.get("/console/qa/").status_code == 302
    page = client.get("/console/login")
    assert "'self'" in page.headers["Content-Security-Policy"] and "http" not in page.headers["Content-Security-Policy"]
    refused = client.post("/console/login", data={"username": "qa", "password": DEMO_PASSWORD})
    assert refused.status_code == 403
    answer = log_in(client, "qa")
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert client.get("/console/qa/").status_code == 200


def test_reps_cannot_log_in_and_the_roles_are_checked(client, calls):  # noqa: F811
    assert log_in(client, "rep1").status_code == 401
    log_in(client, "support")
    assert client.get("/console/qa/").status_code == 403
    client.post("/console/logout", data={"csrf_token": _token(client.get("/console/login"))})
    log_in(client, "manager")
    queue = client.get("/console/qa/")
    assert queue.status_code == 200 and "Review</button>" not in queue.get_data(as_text=True)  # read-only
    recording = next(iter(calls.values()))
    assert client.post(f"/console/qa/calls/{recording}/claim", data={"csrf_token": _token(queue)}).status_code == 403


def test_a_fetch_without_the_token_is_refused_and_logout_ends_the_login(client, calls, violation_of):  # noqa: F811
    log_in(client, "qa")
    queue = client.get("/console/qa/")
    token = _token(queue)
    recording = calls["forced_location_ru.stereo.ogg"]
    assert client.post(f"/console/qa/calls/{recording}/claim", data={"csrf_token": token}).status_code == 302
    violation = violation_of("forced_location_ru.stereo.ogg", "forced_location")
    url = f"/console/qa/violations/{violation}/decide"
    body = {"decision": "confirm", "etag": f"qv{violation}-0"}
    assert client.post(url, json=body).status_code == 403
    assert client.post(url, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    stale = client.post(url, json={**body, "etag": "qv0-9"}, headers={"X-CSRF-Token": token})
    assert stale.status_code == 412
    saved = client.post(url, json=body, headers={"X-CSRF-Token": token})
    assert saved.status_code == 200 and saved.json["status"] == "confirmed" and saved.json["finished"] is True
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/qa/").status_code == 302
