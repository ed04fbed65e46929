from __future__ import annotations

import pytest
from sqlalchemy import select

from demo.calls import seed_demo_calls
from models import CallScript, User
from services import services_of
from tests.conftest import WEDNESDAY_8AM


@pytest.fixture
def calls(app, db) -> dict[str, str]:
    """The demo's analysed, flagged calls (fixture recording -> recording id), days before WEDNESDAY."""
    with app.app_context(), db.transaction() as session:
        users = {user.username: user for user in session.scalars(select(User))}
        script = session.scalar(select(CallScript).order_by(CallScript.version).limit(1))
        return seed_demo_calls(session, services_of(app).objects, users, script, now=WEDNESDAY_8AM)


@pytest.fixture
def violation_of(app, db, calls):
    """The id of the bot's flag of `criterion` on the call of `fixture`."""
    from models import Violation

    def find(fixture: str, criterion: str) -> int:
        with app.app_context(), db.transaction() as session:
            return session.scalar(select(Violation.id).where(Violation.recording_id == calls[fixture],
                                                             Violation.criterion == criterion))

    return find
