"""The reads a phone polls (a day's route, its ETag, "changes since"), answered lean: one Core SELECT of
the meetings table, rows dumped to the schemas' exact dicts (api.lean.RowDump), no ORM objects and
no marshmallow pass over every meeting. The bodies are the ones the schemas give, byte for byte
(tests/routes/test_hot_reads.py holds them equal). No Flask here: the view encodes the dict once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, select

from api.lean import RowDump
from models import Meeting
from routes import service
from routes.schemas import MeetingSchema, SyncSchema
from storage.raw_reads import RawRead

MEETING_ROWS = RowDump(MeetingSchema, Meeting.__table__)  # type: ignore[arg-type]
_SYNC_HEAD = SyncSchema(exclude=("meetings",))


def _route_read(*columns: Any, one_rep: bool) -> RawRead:
    """service.day_route's SELECT, with the rep and the day's bounds as bound values."""
    statement = (select(*columns).where(Meeting.starts_at >= bindparam("start"), Meeting.starts_at < bindparam("end"),
                                        Meeting.deleted_at.is_(None)).order_by(Meeting.starts_at, Meeting.id))
    if one_rep:
        statement = statement.where(Meeting.rep_id == bindparam("rep_id"))
    return RawRead(statement)


# one rep's route (True) or the whole fleet's (False, staff without rep_id)
ROUTE_MEETINGS = {one_rep: _route_read(*MEETING_ROWS.columns, one_rep=one_rep) for one_rep in (True, False)}
ROUTE_VERSIONS = {one_rep: _route_read(Meeting.id, Meeting.version, one_rep=one_rep) for one_rep in (True, False)}


class DayBounds(NamedTuple):
    """Whose route (None: every rep's), which day, and its [start, end) as UTC instants."""

    rep_id: int | None
    day: date
    start: datetime
    end: datetime

    def values(self) -> dict[str, Any]:
        bounds: dict[str, Any] = {"start": self.start, "end": self.end}
        if self.rep_id is not None:
            bounds["rep_id"] = self.rep_id
        return bounds


def day_bounds(connection: Connection, viewer: service.Person, day: date | None = None,
               rep_id: int | None = None) -> DayBounds:
    """service.day_route on a plain connection."""
    rep = service.rep_of(connection, viewer, rep_id)
    zone_owner = rep or viewer
    day = day or service.today_for(zone_owner)
    start, end = service.local_day_bounds(day, zone_owner.time_zone)
    return DayBounds(rep.id if rep is not None else None, day, start, end)


def route_etag(connection: Connection, route: DayBounds) -> str:
    """The route's ETag from (id, version) alone: what a 304 needs, without reading the meetings."""
    rows = ROUTE_VERSIONS[route.rep_id is not None].rows(connection, **route.values())
    digest = service.route_etag_digest(route.day, route.rep_id)
    for meeting_id, version in rows:  # (both plain integers, as the driver gives them)
        digest.update(f"{meeting_id}:{version};".encode())
    return digest.hexdigest()[:32]


def route_meetings(connection: Connection, route: DayBounds) -> tuple[list[dict[str, Any]], str]:
    """The day's meetings dumped as MeetingSchema dumps them, and the route's ETag (from the same rows)."""
    read = ROUTE_MEETINGS[route.rep_id is not None]
    rows = read.rows(connection, **route.values())
    meetings = dump_meetings(connection, read, rows)
    digest = service.route_etag_digest(route.day, route.rep_id)
    for meeting in meetings:
        digest.update(f"{meeting['id']}:{meeting['version']};".encode())
    return meetings, digest.hexdigest()[:32]


def dump_meetings(connection: Connection, read: RawRead, rows: Any) -> list[dict[str, Any]]:
    dump = MEETING_ROWS.compile(read.processors(connection))
    return [dump(row) for row in rows]


def route_body(connection: Connection, route: DayBounds) -> tuple[dict[str, Any], str]:
    """RouteSchema's dump of the day's route, and its ETag."""
    meetings, etag = route_meetings(connection, route)
    body = {"day": route.day.isoformat(), "rep_id": route.rep_id, "meetings": meetings}  # as RouteSchema dumps
    return body, etag


def sync_body(connection: Connection, page: service.SyncPage, one_rep: bool) -> dict[str, Any]:
    """SyncSchema's dump of a page of service.sync_page (its meetings are the driver's rows)."""
    body = _SYNC_HEAD.dump(page)
    body["meetings"] = dump_meetings(connection, service.SYNC_READS[one_rep, page.full_reload], page.meetings)
    return body
