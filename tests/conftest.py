from __future__ import annotations

import fnmatch
import os
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy.engine import make_url

from app import create_app
from demo.seed import seed_demo_data
from services import services_of
from settings import PROJECT_ROOT, load_settings
from storage.migrations import upgrade_database
from tests.support.contract import check_every_answer

FIXTURES = Path(__file__).parent / "fixtures"
CALLS = FIXTURES / "calls"
DEMO_PASSWORD = "demo-password-1"
# The joined Whisper model is kept between runs (it is only assembled from the PyPI parts once).
MODEL_CACHE = os.environ.get("FIELDREP_TEST_MODEL_CACHE", str(PROJECT_ROOT / "instance" / "models"))
MOSCOW = ZoneInfo("Europe/Moscow")
# Tests that depend on the time of day pin the clock here with @pytest.mark.time_machine(WEDNESDAY_8AM):
# a working Wednesday, 08:00 in Moscow (10:00 in Yekaterinburg), before the 09:00 morning-check deadline.
WEDNESDAY = date(2026, 11, 25)
WEDNESDAY_8AM = datetime.combine(WEDNESDAY, time(8, 0), MOSCOW)
CLOCK_SHIFT_ENV = "FIELDREP_TEST_CLOCK_SHIFT_HOURS"
# Modules that others own and that still use the demo route (meeting 1 is rep1's, 5 is rep2's, and rep1
# has meetings today); they get it planned for today, as before, until they plan their own meetings.
USES_THE_DEMO_ROUTE = ("api/test_idempotency.py", "cluster/*.py")


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-hours", type=float, default=float(os.environ.get(CLOCK_SHIFT_ENV) or 0),
        help="run each test with the clock moved by this many hours (or set FIELDREP_TEST_CLOCK_SHIFT_HOURS), "
             "to reproduce a failure that depends on the hour; tests that pin their time with "
             "@pytest.mark.time_machine, and tests marked slow (other processes keep the real clock), are left alone",
    )


def pytest_report_header(config):
    hours = config.getoption("--clock-shift-hours")
    return [f"fieldrep: clock shifted by {hours:+g} h for tests not marked slow"] if hours else []


def pytest_collection_modifyitems(config, items):
    tests = Path(__file__).parent
    for item in items:
        relative = item.path.relative_to(tests).as_posix() if item.path.is_relative_to(tests) else ""
        if any(fnmatch.fnmatch(relative, pattern) for pattern in USES_THE_DEMO_ROUTE):
            item.fixturenames.append("demo_route")


@pytest.fixture(autouse=True)
def _clock_shift(request):
    """--clock-shift-hours: the whole test, fixtures included, runs that many hours away from now."""
    hours = request.config.getoption("--clock-shift-hours")
    node = request.node
    if not hours or node.get_closest_marker("time_machine") or node.get_closest_marker("slow"):
        yield
        return
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=hours), tick=True):
        yield


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """Argon2 with its cheapest parameters: each test logs in several users, and the default costs
    (tuned to slow down attackers) would make that most of the suite's time. Production is unchanged."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from accounts import service

    cheap = PasswordHasher.from_parameters(CHEAPEST)
    saved = service._hasher, service._DUMMY_HASH
    service._hasher, service._DUMMY_HASH = cheap, cheap.hash("fieldrep-dummy-password")
    yield
    service._hasher, service._DUMMY_HASH = saved


@pytest.fixture(scope="session")
def _accounts_database(tmp_path_factory, _cheap_password_hashes) -> Path:
    """An SQLite file migrated to the newest revision with the demo accounts and the default script
    (no meetings), made once; each test's app starts from a copy of it."""
    from storage.db import Database

    folder = tmp_path_factory.mktemp("accounts-template")
    template = load_settings(environ={}, instance_path=str(folder), environment="test", demo_password=DEMO_PASSWORD,
                             secret_key="test-secret-key-that-is-long-enough-for-hs256", broker_url="memory://")
    upgrade_database(template.sqlalchemy_url)
    database = Database(template.sqlalchemy_url)
    with database.transaction() as session:
        seed_demo_data(session, template, routes=False)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return Path(make_url(template.sqlalchemy_url).database)


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
def app(settings, _accounts_database):
    """The app on a database with the demo accounts (manager, qa, support, rep1, rep2) and the default
    call script, but no meetings: a test plans the meetings it needs (`plan_meeting_at`, `make_rep`)."""
    copied = not settings.database_url  # the default: an SQLite file in the test's instance folder
    if copied:
        target = Path(make_url(settings.sqlalchemy_url).database)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_accounts_database, target)
    application = create_app(settings)
    check_every_answer(application)  # every answer a test gets must match the OpenAPI document
    if not copied:
        upgrade_database(settings.sqlalchemy_url)
        with application.app_context(), services_of(application).database.transaction() as session:
            seed_demo_data(session, settings, routes=False)
    yield application
    services_of(application).database.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return services_of(app).database


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
        with app.app_context(), db.transaction() as session:
            return create_user(session, username=username, password=DEMO_PASSWORD, role="rep",
                               full_name=f"Test {username}", time_zone=time_zone,
                               email=f"{username}@fieldrep.example").id

    return create


@pytest.fixture
def plan_meeting_at(app, db):
    """Plan a meeting for a rep as a manager would (straight through the service), at a local time of a day:
    plan_meeting_at("rep1", WEDNESDAY, "10:00", products=["instant_debit_card"]) -> the meeting's id."""
    from sqlalchemy import select

    from models import User
    from routes.service import plan_meeting

    def create(rep: str, day: date, at: str, minutes: int = 60, client_name: str = "Test Client", **fields) -> int:
        with app.app_context(), db.transaction() as session:
            user = session.scalar(select(User).where(User.username == rep))
            manager = session.scalar(select(User).where(User.username == "manager"))
            starts_at = datetime.combine(day, time.fromisoformat(at), ZoneInfo(user.time_zone))
            meeting = plan_meeting(session, manager, {
                "rep_id": user.id, "client_name": client_name, "address": f"{client_name}'s address 1",
                "starts_at": starts_at, "ends_at": starts_at + timedelta(minutes=minutes), **fields})
            return meeting.id

    return create


@pytest.fixture
def demo_route(app, db, settings):
    """The demo reps' routes for today, as `make run` seeds them (for tests not yet moved to their own data)."""
    with app.app_context(), db.transaction() as session:
        seed_demo_data(session, settings)
