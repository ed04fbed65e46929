from __future__ import annotations

from datetime import timedelta

from flask_jwt_extended import create_access_token
from sqlalchemy import select

from models import User
from tests.conftest import DEMO_PASSWORD


def test_login_returns_tokens_that_open_the_api(client):
    response = client.post("/api/v1/auth/login", json={"username": "rep1", "password": DEMO_PASSWORD})
    assert response.status_code == 200
    token = response.json["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["username"] == "rep1" and me.json["role"] == "rep"


def test_wrong_password_is_401_with_the_error_shape(client):
    response = client.post("/api/v1/auth/login", json={"username": "rep1", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json == {
        "status": 401, "code": "bad_credentials",
        "message": "Wrong username or password, or the account is deactivated.",
    }


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    response = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "whatever1"})
    assert response.status_code == 401 and response.json["code"] == "bad_credentials"


def test_missing_token_is_401(client):
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"


def test_expired_token_is_401_token_expired(app, client, db):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rep1"))
        token = create_access_token(identity=user, expires_delta=timedelta(seconds=-1))
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["code"] == "token_expired"


def test_garbage_token_is_401_invalid_token(client):
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert response.json["code"] == "invalid_token"


def test_logout_revokes_access_and_refresh_tokens(client):
    tokens = client.post("/api/v1/auth/login", json={"username": "qa", "password": DEMO_PASSWORD}).json
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = client.post("/api/v1/auth/logout", headers=access, json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 204
    after = client.get("/api/v1/auth/me", headers=access)
    assert after.status_code == 401 and after.json["code"] == "token_revoked"
    refresh = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refresh.status_code == 401 and refresh.json["code"] == "token_revoked"


def test_refresh_token_gives_a_new_access_token_but_is_not_one(client):
    tokens = client.post("/api/v1/auth/login", json={"username": "qa", "password": DEMO_PASSWORD}).json
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.get("/api/v1/auth/me", headers=refresh).status_code == 401
    renewed = client.post("/api/v1/auth/refresh", headers=refresh)
    assert renewed.status_code == 200
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {renewed.json['access_token']}"})
    assert me.json["username"] == "qa"


def test_wrong_role_is_403(client, login):
    response = client.get("/api/v1/users", headers=login("rep1"))
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"
    assert "manager" in response.json["message"]


def test_brute_force_login_is_rate_limited(client):
    statuses = [
        client.post("/api/v1/auth/login", json={"username": "rep2", "password": f"guess-{n}"}).status_code
        for n in range(7)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    limited = client.post("/api/v1/auth/login", json={"username": "rep2", "password": DEMO_PASSWORD})
    assert limited.status_code == 429, "even the right password waits once the limit is hit"
    assert limited.json["code"] == "rate_limited"
    other_user = client.post("/api/v1/auth/login", json={"username": "rep1", "password": DEMO_PASSWORD})
    assert other_user.status_code == 200, "the limit is per user name, not global"


def test_manager_creates_and_deactivates_a_user(client, login):
    manager = login("manager")
    created = client.post("/api/v1/users", headers=manager, json={
        "username": "rep3", "full_name": "New Rep", "role": "rep", "password": "a-long-password",
        "time_zone": "Asia/Vladivostok",
    })
    assert created.status_code == 201, created.json
    assert "password" not in created.json and "password_hash" not in created.json
    token = client.post("/api/v1/auth/login", json={"username": "rep3", "password": "a-long-password"}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).json["time_zone"] == "Asia/Vladivostok"

    deactivated = client.patch(f"/api/v1/users/{created.json['id']}", headers=manager, json={"is_active": False})
    assert deactivated.status_code == 200 and deactivated.json["is_active"] is False
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401 and after.json["code"] == "user_inactive"
    relogin = client.post("/api/v1/auth/login", json={"username": "rep3", "password": "a-long-password"})
    assert relogin.status_code == 401


def test_user_creation_is_validated(client, login):
    manager = login("manager")
    response = client.post("/api/v1/users", headers=manager, json={
        "username": "x", "full_name": "", "role": "boss", "password": "short"})
    assert response.status_code == 422
    assert {"username", "full_name", "role", "password"} <= set(response.json["errors"])
    bad_zone = client.post("/api/v1/users", headers=manager, json={
        "username": "rep9", "full_name": "R", "role": "rep", "password": "long-enough-1", "time_zone": "Mars/Olympus"})
    assert bad_zone.status_code == 422 and "time_zone" in bad_zone.json["errors"]
    duplicate = client.post("/api/v1/users", headers=manager, json={
        "username": "rep1", "full_name": "R", "role": "rep", "password": "long-enough-1"})
    assert duplicate.status_code == 409


def test_passwords_are_stored_as_argon2_hashes(app, db):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rep1"))
        assert user.password_hash.startswith("$argon2")
        assert DEMO_PASSWORD not in user.password_hash
