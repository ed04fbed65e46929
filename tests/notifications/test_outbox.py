"""Notifications through the outbox to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from models import Notification, NotificationState
from notifications import outbox
from services import services_of
from tests.support.etags import if_match
from tests.support.servers import free_port


class Inbox(Message):
    def __init__(self):
        super().__init__(message_class=None)
        self.messages = []

    def prepare_message(self, session, envelope):
        return message_from_bytes(envelope.content, policy=policy.default)

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp(smtp_port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def settings_overrides(smtp_port):
    return {"smtp_host": "127.0.0.1", "smtp_port": smtp_port}


def at(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


def deliver(app, db, now=None) -> int:
    with app.app_context(), db.transaction() as session:
        return outbox.deliver_due(session, services_of(app).channels, now=now)


def test_the_client_gets_the_meeting_time_by_email_and_again_after_a_reschedule(app, db, client, login, smtp):
    assert deliver(app, db) == 0, "nothing is queued yet"
    created = client.post("/api/v1/meetings", headers=login("manager"), json={
        "rep_id": 5, "client_name": "Anna Client", "client_email": "anna@client.example", "address": "Lenina 1",
        "starts_at": "2030-06-03T10:00:00+05:00", "ends_at": "2030-06-03T11:00:00+05:00"}).json
    assert deliver(app, db) == 1
    message = smtp.messages[0]
    assert message["To"] == "anna@client.example"
    assert "03.06.2030 10:00–11:00" in message["Subject"]
    assert "паспорт" in message.get_content()
    client.post(f"/api/v1/meetings/{created['id']}/transitions", headers=if_match(client, login("rep2"), created["id"]),
                json={
        "action": "reschedule", "caused_by": "client",
        "starts_at": "2030-06-04T12:00:00+05:00", "ends_at": "2030-06-04T13:00:00+05:00"})
    assert deliver(app, db) == 1
    assert "04.06.2030 12:00" in smtp.messages[1]["Subject"]


def test_reps_are_reminded_of_calls_before_the_planned_time(app, db, client, login, smtp, make_rep):
    rep_id = make_rep()
    meeting = client.post("/api/v1/meetings", headers=login("manager"), json={
        "rep_id": rep_id, "client_name": "Soon Client", "address": "Arbat 2",
        "starts_at": at(1.2).isoformat(), "ends_at": at(2.2).isoformat()}).json
    with app.app_context():
        with db.transaction() as session:
            outbox.queue_call_reminders(session, now=at(0))  # due in 12 min: reminded 15 min before
        with db.transaction() as session:
            outbox.queue_call_reminders(session, now=at(0.01))
    deliver(app, db)
    reminders = [m for m in smtp.messages if m["To"] == "rep9@fieldrep.example"]
    assert len(reminders) == 1 and "Soon Client" in reminders[0]["Subject"], "once, however often the job runs"
    assert meeting["id"]


@pytest.fixture
def clients_emailed(plan_meeting_at):
    """Two meetings whose clients are told the time by email (queued with the meetings)."""
    day = date(2030, 6, 3)
    plan_meeting_at("rep1", day, "10:00", client_name="First Client", client_email="first@client.example")
    plan_meeting_at("rep2", day, "12:00", client_name="Second Client", client_email="second@client.example")


def test_a_failed_delivery_is_retried_later_then_sent(app, db, client, login, smtp, smtp_port, clients_emailed):
    services_of(app).channels["email"].settings = type(
        services_of(app).channels["email"].settings)(host="127.0.0.1", port=free_port())
    assert deliver(app, db) == 0  # nobody listens on that port
    with app.app_context():
        pending = db.session.scalars(select(Notification)).all()
        assert len(pending) == 2 and all(n.state is NotificationState.pending and n.attempts == 1 for n in pending)
        assert all("ConnectionRefusedError" in n.last_error for n in pending)
        retry_at = max(n.next_attempt_at for n in pending)
    assert deliver(app, db) == 0, "not due again yet"
    services_of(app).channels["email"].settings = type(
        services_of(app).channels["email"].settings)(host="127.0.0.1", port=smtp_port)
    assert deliver(app, db, now=retry_at + timedelta(seconds=1)) == len(pending)
    assert len(smtp.messages) == len(pending)


def test_after_the_last_attempt_the_message_is_failed_with_its_error(app, db, clients_emailed):
    class Broken:
        name = "email"

        def send(self, *args):
            from notifications.channels import DeliveryError

            raise DeliveryError("mailbox unavailable")

    now = datetime.now(UTC)
    with app.app_context():
        for attempt in range(outbox.MAX_ATTEMPTS):
            with db.transaction() as session:
                outbox.deliver_due(session, {"email": Broken()}, now=now + timedelta(days=attempt))
        rows = db.session.scalars(select(Notification)).all()
        assert len(rows) == 2
        assert all(n.state is NotificationState.failed and n.last_error == "mailbox unavailable" for n in rows)
