"""Create the demo users, today's routes and the default call script, once; safe to run again."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.service import create_user
from compliance.scripts import default_script_body
from compliance.service import add_script_version
from models import CallScript, Meeting, Role, User
from routes.service import plan_meeting, today_for
from settings import Settings


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    full_name: str
    time_zone: str


DEMO_USERS = (
    DemoUser("manager", Role.manager, "Marina Sokolova (manager)", "Europe/Moscow"),
    DemoUser("qa", Role.qa, "Pavel Orlov (QA reviewer)", "Europe/Moscow"),
    DemoUser("support", Role.support, "Irina Kuznetsova (support)", "Europe/Moscow"),
    DemoUser("rep1", Role.rep, "Anna Ivanova (rep, Moscow)", "Europe/Moscow"),
    DemoUser("rep2", Role.rep, "Dmitry Petrov (rep, Yekaterinburg)", "Asia/Yekaterinburg"),
    # last, so that the ids of the users before it stay as tests and earlier demos know them
    DemoUser("qalead", Role.qa_lead, "Olga Belova (QA lead)", "Europe/Moscow"),
)

# (local start, minutes, client, phone, address, english-speaking client, products, offers)
DEMO_MEETINGS = {
    "rep1": (
        (time(10, 0), 60, "Sergey Volkov", "+79161234501", "Moscow, Tverskaya st. 7, apt 12", False,
         ["instant_debit_card"], ["credit_card_limit_upgrade"]),
        (time(12, 30), 60, "John Miller", "+79161234502", "Moscow, Arbat st. 20, office 3", True,
         ["instant_debit_card"], []),
        (time(15, 0), 90, "Olga Smirnova", "+79161234503", "Moscow, Leninsky ave. 45, apt 80", False,
         ["deposit_agreement"], ["savings_account"]),
        (time(17, 30), 60, "Igor Fedorov", "+79161234504", "Moscow, Profsoyuznaya st. 3", False,
         ["credit_card"], []),
    ),
    "rep2": (
        (time(11, 0), 60, "Elena Popova", "+79221234501", "Yekaterinburg, Lenina ave. 24", False,
         ["instant_debit_card"], ["travel_insurance"]),
        (time(14, 0), 60, "Alexey Morozov", "+79221234502", "Yekaterinburg, Malysheva st. 51", False,
         ["credit_card"], []),
        (time(16, 30), 90, "Maria Lebedeva", "+79221234503", "Yekaterinburg, 8 Marta st. 12", False,
         ["deposit_agreement", "instant_debit_card"], ["premium_package"]),
    ),
}


class DemoDataRefused(RuntimeError):
    """Demo accounts (with passwords printed to the console) never go into a production database."""


def demo_passwords(settings: Settings) -> dict[str, str]:
    """Each demo user's password: FIELDREP_DEMO_PASSWORD for all (tests), else a random one per user,
    made once and kept beside the database (readable by its owner only) so a restart prints the same."""
    if settings.demo_password:
        return {demo.username: settings.demo_password for demo in DEMO_USERS}
    path = Path(settings.instance_path) / "demo-passwords.json"
    passwords = json.loads(path.read_text()) if path.exists() else {}
    if any(demo.username not in passwords for demo in DEMO_USERS):
        passwords = {demo.username: passwords.get(demo.username) or secrets.token_urlsafe(12) for demo in DEMO_USERS}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(passwords, indent=1))
    return passwords


def seed_demo_data(session: Session, settings: Settings, today: date | None = None,
                   routes: bool = True, qa_calls: bool | None = None) -> list[tuple[str, str, str]]:
    """The demo users and the default call script; with `routes` (as `make run` seeds), also each demo
    rep's route for `today` (default: today in the rep's zone). Tests seed the accounts only: a route
    planned relative to the clock would make them depend on the hour they run at."""
    if settings.is_production:
        raise DemoDataRefused("Demo data is never created in production (FIELDREP_ENVIRONMENT=production): "
                              "its accounts would open the service to anyone who reads their passwords. "
                              "Create real users with `fieldrep users create`.")
    passwords = demo_passwords(settings)
    users: dict[str, User] = {}
    for demo in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == demo.username))
        if user is None:
            user = create_user(session, username=demo.username, password=passwords[demo.username], role=demo.role,
                               full_name=demo.full_name, time_zone=demo.time_zone,
                               email=f"{demo.username}@fieldrep.example")
        users[demo.username] = user
    for username, meetings in DEMO_MEETINGS.items() if routes else ():
        rep = users[username]
        day = today or today_for(rep)
        zone = ZoneInfo(rep.time_zone)
        for local_start, minutes, client, phone, address, english, products, offers in meetings:
            starts_at = datetime.combine(day, local_start, zone)
            exists = session.scalar(select(Meeting).where(Meeting.rep_id == rep.id, Meeting.starts_at == starts_at))
            if exists is None:
                plan_meeting(session, users["manager"], dict(
                    rep_id=rep.id, client_name=client, client_phone=phone,
                    client_email=f"{client.split()[0].lower()}@client.example",
                    client_language="en" if english else "ru", english_speaking_client=english, address=address,
                    starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes), products=products,
                    offers=offers,
                ))
    if session.scalar(select(CallScript).limit(1)) is None:
        add_script_version(session, default_script_body(), effective_from=date(2020, 1, 1))
    session.flush()
    # A QA queue of analysed, flagged calls from the committed fixture recordings; by default not in tests
    # (they seed the calls they need: tests/qa/conftest.py), whose counts of meetings and recordings it would change.
    if routes and (qa_calls if qa_calls is not None else settings.environment != "test"):
        from demo.calls import seed_demo_calls
        from services import resolve_secret_key
        from storage.objects import make_object_store

        script = session.scalar(select(CallScript).order_by(CallScript.version).limit(1))
        assert script is not None
        seed_demo_calls(session, make_object_store(settings, resolve_secret_key(settings)), users, script,
                        settings=settings)
        from demo.support_desk import seed_demo_support

        seed_demo_support(session, users, today)
        from demo.figures import seed_demo_figures

        seed_demo_figures(session, users, today)
        session.flush()
    return [(demo.username, passwords[demo.username], demo.role.value) for demo in DEMO_USERS]


def describe_logins(logins: list[tuple[str, str, str]]) -> str:
    lines = ["Demo logins (POST /api/v1/auth/login with {\"username\", \"password\"}):"]
    lines += [f"  {role:<8} {username:<8} password: {password}" for username, password, role in logins]
    return "\n".join(lines)
