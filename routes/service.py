"""Meeting queries; no Flask here."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import NotFound
from models import Meeting, Role, User


def local_day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of `day` in `time_zone`, as UTC instants."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def today_for(user: User, now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(user.time_zone)).date()


def meetings_of_day(session: Session, viewer: User, *, day: date | None = None, rep_id: int | None = None) -> list[Meeting]:
    if viewer.role == Role.rep:
        rep = viewer
    else:
        rep = session.get(User, rep_id) if rep_id else None
        if rep_id and rep is None:
            raise NotFound("No such rep.")
    zone_owner = rep or viewer
    start, end = local_day_bounds(day or today_for(zone_owner), zone_owner.time_zone)
    statement = select(Meeting).where(Meeting.starts_at >= start, Meeting.starts_at < end).order_by(Meeting.starts_at)
    if rep is not None:
        statement = statement.where(Meeting.rep_id == rep.id)
    return list(session.scalars(statement))


def get_meeting(session: Session, viewer: User, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or (viewer.role == Role.rep and meeting.rep_id != viewer.id):
        raise NotFound("No such meeting.")
    return meeting
