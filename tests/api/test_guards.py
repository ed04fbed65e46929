"""Input no schema sees (URL length, JSON size and depth) and odd values in fields are refused in the
JSON error shape, never with a 500; every answer carries the security headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from api.guards import MAX_JSON_DEPTH, MAX_URL_BYTES, json_depth
from errors import Invalid
from models.base import UTCDateTime


def _nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def _is_error_shape(response, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    assert response.json["status"] == status and response.json["message"]


def test_json_depth_is_measured_without_recursion():
    assert json_depth(1) == 0 and json_depth([]) == 1 and json_depth({"a": [{"b": 1}]}) == 3
    assert json_depth(json.loads(_nested(900))) == 900


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 100_000])
def test_deeply_nested_json_is_400(client, login, depth):
    response = client.post("/api/v1/tasks/1/call", headers={**login("rep1"), "Content-Type": "application/json"},
                           data=_nested(depth))
    _is_error_shape(response, 400)
    assert response.json["code"] == "json_too_deep" and "levels deep" in response.json["message"]


def test_deep_json_is_refused_before_the_login_rate_limit_reads_it(client):
    response = client.post("/api/v1/auth/login", headers={"Content-Type": "application/json"},
                           data=b'{"username": ' + _nested(5000) + b"}")
    _is_error_shape(response, 400)


def test_a_huge_json_body_is_413(client, login, settings):
    body = json.dumps({"note": "x" * (settings.max_json_bytes + 10)})
    response = client.post("/api/v1/tasks/1/call", headers=login("rep1"), data=body,
                           content_type="application/json")
    _is_error_shape(response, 413)
    assert "KB" in response.json["message"]


def test_a_url_over_the_limit_is_414_in_json(client, login):
    response = client.get("/api/v1/meetings?rep_id=1&x=" + "a" * MAX_URL_BYTES, headers=login("manager"))
    _is_error_shape(response, 414)
    assert response.json["code"] == "uri_too_long"


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/nowhere", "/api/openapi.json", "/health"])
def test_every_answer_has_the_security_headers(client, login, path):
    response = client.get(path, headers=login("rep1"))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_docs_page_allows_only_its_own_scripts(client):
    response = client.get("/api/docs")
    policy = response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self' 'sha256-" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "1999-12-31T23:00:00Z"])
def test_dates_out_of_range_are_422_naming_the_range(client, login, plan_meeting_at, make_rep, when):
    make_rep("rep9")
    body = {"rep_id": 1, "client_name": "Far Future", "address": "Nowhere 1", "starts_at": when,
            "ends_at": "2030-01-01T10:00:00+00:00"}
    response = client.post("/api/v1/meetings", headers=login("manager"), json=body)
    _is_error_shape(response, 422)
    assert "starts_at" in response.json["errors"] and "2000-01-01" in response.json["errors"]["starts_at"][0]
    call = client.post("/api/v1/tasks/1/call", headers=login("rep1"),
                       json={"outcome": "confirmed", "called_at": when})
    assert call.status_code in (404, 422) and call.status_code != 500


def test_the_time_column_refuses_a_time_it_cannot_hold_as_the_clients_error():
    column = UTCDateTime()
    year_one = datetime.fromisoformat("0001-01-01T00:00:00+05:00")
    with pytest.raises(Invalid, match="2000-2099"):
        column.process_bind_param(year_one, None)
    assert column.process_bind_param(datetime(2030, 1, 1, tzinfo=UTC), None) == datetime(2030, 1, 1)


@pytest.mark.parametrize("key", ["uploads/{rep}/../../secret_key", "uploads/{rep}/..\\..\\x.wav",
                                 "uploads/{rep}\\..\\x.wav", "uploads/{rep}/a\x00.wav", "/etc/passwd",
                                 "uploads/{rep}//x.wav", "uploads/{rep}/.hidden"])
def test_malformed_object_keys_are_422(client, login, plan_meeting_at, make_rep, key):
    from tests.conftest import WEDNESDAY

    rep_id = make_rep("rep9")
    meeting = plan_meeting_at("rep9", WEDNESDAY, "10:00")
    token = client.post("/api/v1/auth/login", json={"username": "rep9", "password": "demo-password-1"}).json
    response = client.post("/api/v1/recordings/confirm", headers={"Authorization": f"Bearer {token['access_token']}"},
                           json={"meeting_id": meeting, "object_key": key.format(rep=rep_id)})
    # Past the `uploads/<your id>/` prefix check the key itself is refused (422); before it, 404 (not yours)
    _is_error_shape(response, 422 if key.startswith("uploads/{rep}/") else 404)
    assert response.status_code == 404 or "object_key" in response.json["errors"]
