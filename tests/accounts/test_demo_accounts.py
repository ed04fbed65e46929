"""Demo accounts exist only where a developer asked for them: never in production, each with its own password."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import runner
from accounts.service import authenticate
from app import create_app
from demo.seed import DEMO_USERS, DemoDataRefused, seed_demo_data
from models import User
from services import services_of
from settings import load_settings
from storage.db import Database
from storage.migrations import upgrade_database


class _NoChildren:
    """Stands in for the Supervisor: the test checks what `fieldrep run` does before it starts them."""

    def __init__(self, commands, **_options):
        self.commands = commands

    def run(self) -> int:
        return 0


def _settings(tmp_path, environment: str, **overrides):
    return load_settings(environ={}, instance_path=str(tmp_path / "instance"), environment=environment,
                         secret_key="a-production-secret-key-long-enough-for-hs256", broker_url="memory://",
                         **overrides)


def _users(settings) -> int:
    database = Database(settings.sqlalchemy_url)
    try:
        with database.transaction() as session:
            return session.scalar(select(func.count()).select_from(User)) or 0
    finally:
        database.dispose()


@pytest.fixture
def run_fieldrep(monkeypatch):
    monkeypatch.setattr(runner, "Supervisor", _NoChildren)

    def invoke(settings, *args: str):
        app = create_app(settings)
        try:
            return app.test_cli_runner().invoke(runner.run_command, list(args))
        finally:
            services_of(app).database.dispose()

    return invoke


def test_a_production_start_creates_no_demo_accounts(tmp_path, run_fieldrep):
    settings = _settings(tmp_path, "production")
    result = run_fieldrep(settings)
    assert result.exit_code == 0, result.output
    assert "password" not in result.output
    assert _users(settings) == 0


def test_a_production_start_refuses_to_seed(tmp_path, run_fieldrep):
    settings = _settings(tmp_path, "production")
    result = run_fieldrep(settings, "--seed")
    assert result.exit_code == 2 and "never created in production" in result.output


def test_a_development_start_seeds_with_a_password_per_user(tmp_path, run_fieldrep):
    settings = _settings(tmp_path, "development")
    result = run_fieldrep(settings)
    assert result.exit_code == 0, result.output
    passwords = {line.split()[1]: line.split("password: ")[1] for line in result.output.splitlines()
                 if "password: " in line}
    assert set(passwords) == {demo.username for demo in DEMO_USERS}
    assert len(set(passwords.values())) == len(DEMO_USERS), "no password is shared between demo users"
    assert all(len(password) >= 12 for password in passwords.values())
    database = Database(settings.sqlalchemy_url)
    with database.transaction() as session:
        assert authenticate(session, "manager", passwords["manager"]) is not None
        assert authenticate(session, "manager", passwords["rep1"]) is None
    database.dispose()
    again = run_fieldrep(settings)  # a restart prints the same logins and creates nothing new
    assert again.output.count("password: ") == len(DEMO_USERS) and passwords["rep1"] in again.output
    assert _users(settings) == len(DEMO_USERS)


def test_the_seed_itself_refuses_production(tmp_path):
    settings = _settings(tmp_path, "production")
    upgrade_database(settings.sqlalchemy_url)
    database = Database(settings.sqlalchemy_url)
    with pytest.raises(DemoDataRefused), database.transaction() as session:
        seed_demo_data(session, settings)
    database.dispose()
    assert _users(settings) == 0
