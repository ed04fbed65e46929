"""Demo data for the support desk: a meeting recorded as cancelled by the rep that the client cancelled, with
the rep's ticket about it (for support to correct end to end), an answered ticket, and an active incident."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Incident, Meeting, MeetingStatus, Ticket, TicketKind, TicketState, User, utcnow
from routes.service import _record as record_meeting_change
from routes.service import plan_meeting
from support.lifecycle import response_due

DISPUTED_CLIENT = "Tatiana Kozlova"


def seed_demo_support(session: Session, users: dict[str, User], today: date | None = None) -> None:
    """Once: skipped when the disputed meeting is already there."""
    if session.scalar(select(Meeting.id).where(Meeting.client_name == DISPUTED_CLIENT).limit(1)) is not None:
        return
    rep, manager, support = users["rep1"], users["manager"], users["support"]
    zone = ZoneInfo(rep.time_zone)
    now = utcnow()
    day = (today or now.astimezone(zone).date()) - timedelta(days=1)
    starts_at = datetime.combine(day, time(19, 0), zone)
    meeting = plan_meeting(session, manager, dict(
        rep_id=rep.id, client_name=DISPUTED_CLIENT, client_phone="+79161234509", address="Moscow, Mira ave. 12",
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), products=["instant_debit_card"],
        offers=["savings_account"]))
    meeting.status, meeting.caused_by = MeetingStatus.cancelled, "rep"
    meeting.status_reason = "marked by mistake in the app"
    record_meeting_change(session, meeting, "cancel", rep, {"status": {"old": "planned", "new": "cancelled"},
                                                             "caused_by": "rep"})
    due = response_due(now, rep.time_zone, 1, "RU")
    session.add_all([
        Ticket(rep_id=rep.id, kind=TicketKind.meeting_record, state=TicketState.new, meeting_id=meeting.id,
               subject="Отмена записана на меня, а отменила клиентка",
               text=f"Встречу с {DISPUTED_CLIENT} вчера отменила сама клиентка (звонила в банк), а в приложении "
                    "отмена стоит по моей вине. Исправьте, пожалуйста.", response_due_at=due, updated_at=now),
        Ticket(rep_id=rep.id, kind=TicketKind.other, state=TicketState.resolved, subject="Селфи отклонили",
               text="Почему отклонили утреннее селфи? Я был в форме.", answer="Фото было размыто; переснимите "
               "при хорошем свете, дресс-код соблюдён.", answered_by_id=support.id, answered_at=now,
               assignee_id=support.id, updated_at=now),
        Incident(title="Маршрут загружается медленно", text="С утра у части представителей маршрут в приложении "
                 "открывается с задержкой до минуты. Ведутся работы, данные не теряются.",
                 starts_at=now - timedelta(hours=2), regions=[], rep_ids=[], created_by_id=support.id,
                 updated_at=now),
    ])
    session.flush()
