from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import create_app
from demo.seed import seed_demo_data
from settings import PROJECT_ROOT, load_settings
from storage.migrations import upgrade_database

FIXTURES = Path(__file__).parent / "fixtures"
CALLS = FIXTURES / "calls"
DEMO_PASSWORD = "demo-password-1"
# The joined Whisper model is kept between runs (it is only assembled from the PyPI parts once).
MODEL_CACHE = os.environ.get("FIELDREP_TEST_MODEL_CACHE", str(PROJECT_ROOT / "instance" / "models"))


@pytest.fixture
def settings_overrides() -> dict:
    """Override in a test module; by default jobs only queue (an in-memory broker, no worker)."""
    return {}


@pytest.fixture
def settings(tmp_path, settings_overrides):
    defaults = dict(
        instance_path=str(tmp_path / "instance"),
        environment="test",
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        celery_always_eager=False,
        broker_url="memory://",
        demo_password=DEMO_PASSWORD,
        whisper_model_cache=MODEL_CACHE,
        login_rate_limit="5 per minute",
    )
    return load_settings(environ={}, **{**defaults, **settings_overrides})


@pytest.fixture
def app(settings):
    application = create_app(settings)
    upgrade_database(settings.sqlalchemy_url)
    with application.app_context():
        with application.extensions["fieldrep_db"].transaction() as session:
            seed_demo_data(session, settings)
    yield application
    application.extensions["fieldrep_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["fieldrep_db"]


@pytest.fixture
def login(client):
    tokens: dict[str, dict] = {}

    def headers_for(username: str) -> dict[str, str]:
        if username not in tokens:
            response = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.json
            tokens[username] = {"Authorization": f"Bearer {response.json['access_token']}"}
        return tokens[username]

    return headers_for


@pytest.fixture
def make_rep(app, db):
    """A rep with an empty route (the demo reps' fixed meetings could overlap times relative to now)."""
    from accounts.service import create_user

    def create(username: str = "rep9", time_zone: str = "Europe/Moscow") -> int:
        with app.app_context():
            with db.transaction() as session:
                return create_user(session, username=username, password=DEMO_PASSWORD, role="rep",
                                   full_name=f"Test {username}", time_zone=time_zone,
                                   email=f"{username}@fieldrep.example").id

    return create
