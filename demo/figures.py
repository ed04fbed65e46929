"""Three past weeks of demo reps' meetings (outcomes, reminder calls, morning checks), teams and offer targets,
so that the managers' dashboard shows figures and plots at once. Deterministic; done once."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Meeting, MeetingStatus, MorningCheck, OfferTarget, Task, TaskKind, TaskState, User

TEAMS = {"rep1": "Moscow", "rep2": "Urals"}
DAYS_BACK = 21
SLOTS = (time(10), time(12), time(14), time(16))


def _roll(*parts: object) -> float:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def seed_demo_figures(session: Session, users: dict[str, User], today: date | None = None) -> None:
    reps = [users[name] for name in TEAMS if name in users]
    if not reps or session.scalar(select(OfferTarget.id).where(OfferTarget.rep_id == reps[0].id).limit(1)):
        return
    for rep in reps:
        rep.region = rep.region or TEAMS[rep.username]
        zone = ZoneInfo(rep.time_zone)
        last = (today or datetime.now(zone).date()) - timedelta(days=1)
        for month in {last.replace(day=1), (last - timedelta(days=DAYS_BACK)).replace(day=1)}:
            session.add(OfferTarget(rep_id=rep.id, month=month, offers_presented=40, offers_accepted=12))
        for back in range(DAYS_BACK):
            day = last - timedelta(days=back)
            if day.weekday() == 6:
                continue
            if _roll(rep.id, day, "check") < 0.9:
                at = datetime.combine(day, time(8, 40), zone)
                session.add(MorningCheck(rep_id=rep.id, day=day, selfie_uploaded_at=at, checklist_submitted_at=at,
                                         selfie_status="approved", answers={}, checklist_failures=[]))
            for slot, start in enumerate(SLOTS):
                _meeting(session, rep, day, slot, datetime.combine(day, start, zone))
    session.flush()


def _meeting(session: Session, rep: User, day: date, slot: int, starts_at: datetime) -> None:
    roll = _roll(rep.id, day, slot)
    status, caused_by = MeetingStatus.completed, None
    if roll < 0.08:
        status, caused_by = MeetingStatus.cancelled, "client"
    elif roll < 0.08 + 0.02 * (1 + day.day % 4):  # some weeks the rep cancels more: the trend moves
        status, caused_by = MeetingStatus.cancelled, "rep"
    elif roll < 0.22:
        caused_by = "client"  # moved by the client, then done
    elif roll < 0.26:
        status = MeetingStatus.client_no_show
    presented = ["credit_card_limit_up", "deposit"][: int(_roll(rep.id, day, slot, "offers") * 3)]
    accepted = presented[:1] if status == MeetingStatus.completed and _roll(rep.id, day, slot, "yes") < 0.4 else []
    meeting = Meeting(rep_id=rep.id, client_name=f"Demo client {day:%d%m}-{slot}", client_phone="+79160000000",
                      address="Demo street 1", starts_at=starts_at, ends_at=starts_at + timedelta(hours=1),
                      products=["instant_debit_card"], offers=["credit_card_limit_up", "deposit"], status=status,
                      route_day=day, caused_by=caused_by,
                      offers_presented=presented if status == MeetingStatus.completed else [],
                      offers_accepted=accepted)
    session.add(meeting)
    session.flush()
    due = starts_at - timedelta(hours=1)
    call_roll = _roll(rep.id, day, slot, "call")
    completed_at = due if call_roll < 0.8 else due + timedelta(minutes=35) if call_roll < 0.9 else None
    session.add(Task(owner_id=rep.id, kind=TaskKind.reminder_call, meeting_id=meeting.id,
                     title=f"Reminder call to {meeting.client_name}", deadline_at=starts_at, due_at=due,
                     window_opens_at=due - timedelta(minutes=15), window_closes_at=due + timedelta(minutes=15),
                     state=TaskState.done if completed_at else TaskState.expired, completed_at=completed_at))
