"""Login sessions: logout ends every token of the login, refresh tokens rotate and a reused one ends
the login, tokens without an expiry or a session are refused, token answers are never cached."""

from __future__ import annotations

import jwt
import pytest

from tests.conftest import DEMO_PASSWORD


def _login(client, username: str = "rep1") -> dict:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.json
    return response.json


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me(client, token: str):
    return client.get("/api/v1/auth/me", headers=_bearer(token))


def _refresh(client, refresh_token: str):
    return client.post("/api/v1/auth/refresh", headers=_bearer(refresh_token))


def test_logout_without_the_refresh_token_still_ends_it(client):
    tokens = _login(client)
    assert client.post("/api/v1/auth/logout", headers=_bearer(tokens["access_token"]), json={}).status_code == 204
    refreshed = _refresh(client, tokens["refresh_token"])
    assert refreshed.status_code == 401 and refreshed.json["code"] == "token_revoked"


def test_logout_ends_the_access_tokens_made_by_refresh_too(client):
    first = _login(client)
    renewed = _refresh(client, first["refresh_token"]).json
    assert _me(client, first["access_token"]).status_code == 200
    client.post("/api/v1/auth/logout", headers=_bearer(renewed["access_token"]), json={})
    for token in (first["access_token"], renewed["access_token"], renewed["refresh_token"]):
        answer = client.post("/api/v1/auth/refresh", headers=_bearer(token)) if token == renewed["refresh_token"] \
            else _me(client, token)
        assert answer.status_code == 401 and answer.json["code"] == "token_revoked"


def test_logout_ends_only_its_own_login(client):
    phone, laptop = _login(client), _login(client)
    client.post("/api/v1/auth/logout", headers=_bearer(phone["access_token"]), json={})
    assert _me(client, laptop["access_token"]).status_code == 200
    assert _refresh(client, laptop["refresh_token"]).status_code == 200


def test_refresh_rotates_the_refresh_token(client):
    tokens = _login(client)
    renewed = _refresh(client, tokens["refresh_token"])
    assert renewed.status_code == 200
    assert renewed.json["refresh_token"] != tokens["refresh_token"]
    again = _refresh(client, renewed.json["refresh_token"])
    assert again.status_code == 200 and _me(client, again.json["access_token"]).status_code == 200


def test_a_reused_refresh_token_ends_the_whole_login(client):
    tokens = _login(client)
    owner = _refresh(client, tokens["refresh_token"]).json  # the app refreshed; a thief kept the old one
    stolen = _refresh(client, tokens["refresh_token"])
    assert stolen.status_code == 401 and stolen.json["code"] == "refresh_token_reused"
    assert "log in again" in stolen.json["message"]
    assert _refresh(client, owner["refresh_token"]).status_code == 401, "the family is revoked"
    assert _me(client, owner["access_token"]).status_code == 401
    assert _me(client, _login(client)["access_token"]).status_code == 200, "a new login works"


def test_token_answers_are_not_stored(client):
    login = client.post("/api/v1/auth/login", json={"username": "rep1", "password": DEMO_PASSWORD})
    refreshed = _refresh(client, login.json["refresh_token"])
    for answer in (login, refreshed):
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Pragma"] == "no-cache"


@pytest.mark.parametrize("drop", ["exp", "sid"])
def test_a_token_without_expiry_or_session_is_refused_even_when_signed_with_the_key(client, settings, drop):
    claims = jwt.decode(_login(client)["access_token"], options={"verify_signature": False})
    del claims[drop]
    forged = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    answer = _me(client, forged)
    assert answer.status_code == 401 and answer.json["code"] == "invalid_token"
