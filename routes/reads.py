"""The reads a phone polls (a day's route, its ETag, "changes since"), answered lean: one Core SELECT of
the meetings table, rows dumped to the schemas' exact dicts (api.lean.RowDump), no ORM objects and
no marshmallow pass over every meeting. The bodies are the ones the schemas give, byte for byte
(tests/routes/test_hot_reads.py holds them equal). No Flask here: the view encodes the dict once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.lean import RowDump
from models import Meeting
from routes import service
from routes.schemas import MeetingSchema, RouteSchema, SyncSchema

MEETING_ROWS = RowDump(MeetingSchema, Meeting.__table__)  # type: ignore[arg-type]
_ROUTE_HEAD = RouteSchema(exclude=("meetings",))
_SYNC_HEAD = SyncSchema(exclude=("meetings",))


def route_etag(session: Session, route: service.DayRoute) -> str:
    """The route's ETag from (id, version) alone: what a 304 needs, without reading the meetings."""
    versions = session.execute(route.statement.with_only_columns(Meeting.id, Meeting.version))
    return service.route_etag(versions, route.day, route.rep_id)


def route_body(session: Session, route: service.DayRoute) -> tuple[dict[str, Any], str]:
    """RouteSchema's dump of the day's route, and its ETag (from the same rows)."""
    rows = session.execute(route.statement.with_only_columns(*MEETING_ROWS.columns)).all()
    body = _ROUTE_HEAD.dump({"day": route.day, "rep_id": route.rep_id})
    body["meetings"] = MEETING_ROWS.dump_all(rows)
    return body, service.route_etag(rows, route.day, route.rep_id)


def sync_body(page: service.SyncPage) -> dict[str, Any]:
    """SyncSchema's dump of a "changes since" page (its meetings are rows of the meetings table)."""
    body = _SYNC_HEAD.dump(page)
    body["meetings"] = MEETING_ROWS.dump_all(page.meetings)
    return body
