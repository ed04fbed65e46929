"""Route plans and meetings: planning, import, the lifecycle, optimistic locking, sync. No Flask."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, bindparam, func, select
from sqlalchemy.orm import Session

from errors import Conflict, Gone, Invalid, NotFound, require_matching_etag
from models import Meeting, MeetingChange, MeetingStatus, Role, User, utcnow
from notifications import outbox
from reps import tasks as task_service
from routes.lifecycle import ACTIONS, CAUSES, check_timing, next_status
from routes.sync_tokens import UNUSABLE as UNUSABLE_TOKEN
from routes.sync_tokens import SyncTokens
from storage.raw_reads import RawRead

SYNC_RETENTION = timedelta(days=30)
MAX_MEETING_LENGTH = timedelta(hours=12)
DEFAULT_TOLERANCE = timedelta(minutes=15)


def local_day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of `day` in `time_zone`, as UTC instants."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    return start.astimezone(UTC), end.astimezone(UTC)


class Person(Protocol):
    """A user as the reads need them: a `User`, or a lean view of one (accounts.auth.Viewer, RepRow)."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def time_zone(self) -> str: ...


class RepRow(NamedTuple):
    id: int
    role: Role
    time_zone: str


_USER = RawRead(select(User.id, User.role, User.time_zone).where(User.id == bindparam("user_id")))


def rep_of(connection: Connection, viewer: Person, rep_id: int | None) -> Person | None:
    """`_rep` on a plain connection: the viewer for a rep; for staff the rep they name (None: every rep)."""
    if viewer.role == Role.rep:
        return viewer
    if rep_id is None:
        return None
    rows = _USER.values(connection, user_id=rep_id)
    if not rows or rows[0][1] != Role.rep:
        raise NotFound("No such rep.")
    return RepRow(*rows[0])


def today_for(user: Person, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(user.time_zone)).date()


def _rep(session: Session, viewer: User, rep_id: int | None) -> User | None:
    if viewer.role == Role.rep:
        return viewer
    if rep_id is None:
        return None
    rep = session.get(User, rep_id)
    if rep is None or rep.role != Role.rep:
        raise NotFound("No such rep.")
    return rep


@dataclass(frozen=True)
class DayRoute:
    """Whose route (None: every rep's, for staff), which day, and the SELECT of its meetings in route order
    (one range of ix_meetings_rep_id_starts_at for a rep: the cost does not grow with their history)."""

    rep_id: int | None
    day: date
    statement: Select[Any]


def day_route(session: Session, viewer: User, *, day: date | None = None, rep_id: int | None = None) -> DayRoute:
    rep = _rep(session, viewer, rep_id)
    zone_owner = rep or viewer
    day = day or today_for(zone_owner)
    start, end = local_day_bounds(day, zone_owner.time_zone)
    statement = (select(Meeting).where(Meeting.starts_at >= start, Meeting.starts_at < end,
                                       Meeting.deleted_at.is_(None)).order_by(Meeting.starts_at, Meeting.id))
    if rep is not None:
        statement = statement.where(Meeting.rep_id == rep.id)
    return DayRoute(rep.id if rep is not None else None, day, statement)


def meetings_of_day(session: Session, viewer: User, *, day: date | None = None,
                    rep_id: int | None = None) -> list[Meeting]:
    return list(session.scalars(day_route(session, viewer, day=day, rep_id=rep_id).statement))


def get_meeting(session: Session, viewer: User, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.deleted_at is not None or (viewer.role == Role.rep and meeting.rep_id != viewer.id):
        raise NotFound("No such meeting.")
    return meeting


def meeting_etag(meeting: Meeting) -> str:
    return f"m{meeting.id}-v{meeting.version}"


def route_etag_digest(day: date, rep_id: int | None) -> Any:
    """route_etag's hash before the meetings: each adds f"{id}:{version};" in route order."""
    return hashlib.sha256(f"{day}|{rep_id}|".encode())


def route_etag(meetings: Iterable[Any], day: date, rep_id: int | None) -> str:
    """From each meeting's id and version alone (meetings, or rows of just those two columns)."""
    digest = route_etag_digest(day, rep_id)
    for meeting in meetings:
        digest.update(f"{meeting.id}:{meeting.version};".encode())
    return digest.hexdigest()[:32]


def check_if_match(meeting: Meeting, if_match: str | None) -> None:
    """Meetings are shared (planners, support, the rep): a change must name the version it was made on.

    None: 428. A stale one means someone changed the meeting since the client read it: 412.
    """
    require_matching_etag(meeting_etag(meeting), if_match, "meeting",
                          "the ETag header of GET /meetings/{id}, or its `etag` in any list")


def quoted_etag(meeting: Meeting) -> str:
    return f'"{meeting_etag(meeting)}"'


def _record(session: Session, meeting: Meeting, action: str, actor: User | None, changes: dict[str, Any]) -> None:
    # Once per change; the UPDATE is conditional on the version read (Meeting's version_id_col).
    meeting.version = (meeting.version or 0) + 1
    meeting.updated_at = utcnow()
    change = MeetingChange(meeting_id=meeting.id, rep_id=meeting.rep_id, action=action,
                           changed_by_id=actor.id if actor else None, changes=changes, at=meeting.updated_at)
    session.add(change)
    session.flush()
    meeting.change_seq = change.seq


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else getattr(value, "value", value)


def _check_interval(session: Session, rep: User, starts_at: datetime, ends_at: datetime,
                    ignore_id: int | None = None) -> None:
    if ends_at <= starts_at:
        raise Invalid("The meeting must end after it starts.", errors={"ends_at": ["Must be after starts_at."]})
    if ends_at - starts_at > MAX_MEETING_LENGTH:
        raise Invalid("A meeting cannot last more than 12 hours.", errors={"ends_at": ["Too long."]})
    overlapping = session.scalar(select(Meeting).where(
        Meeting.rep_id == rep.id, Meeting.deleted_at.is_(None), Meeting.id != (ignore_id or 0),
        Meeting.status.notin_([MeetingStatus.cancelled, MeetingStatus.client_no_show, MeetingStatus.failed]),
        Meeting.starts_at < ends_at, Meeting.ends_at > starts_at,
    ).limit(1))
    if overlapping is not None:
        raise Conflict(
            f"{rep.username} already has a meeting at that time (#{overlapping.id}, "
            f"{overlapping.starts_at.isoformat()}–{overlapping.ends_at.isoformat()}).",
            errors={"starts_at": ["Overlaps another meeting."]},
        )


def plan_meeting(session: Session, actor: User, data: dict[str, Any],
                 tolerance: timedelta = DEFAULT_TOLERANCE) -> Meeting:
    rep = session.get(User, data["rep_id"])
    if rep is None or rep.role != Role.rep or not rep.is_active:
        raise Invalid("No active rep with that id.", errors={"rep_id": ["Not an active rep."]})
    _check_interval(session, rep, data["starts_at"], data["ends_at"])
    meeting = Meeting(rep_id=rep.id, **{key: value for key, value in data.items() if key != "rep_id"})
    meeting.route_day = data["starts_at"].astimezone(ZoneInfo(rep.time_zone)).date()
    session.add(meeting)
    session.flush()
    _record(session, meeting, "planned", actor, {key: _jsonable(value) for key, value in data.items()})
    task_service.create_reminder_call_task(session, meeting, tolerance)
    outbox.notify_client_of_meeting_time(session, meeting, rep)
    return meeting


def update_meeting(session: Session, actor: User, meeting: Meeting, changes: dict[str, Any], if_match: str | None,
                   tolerance: timedelta = DEFAULT_TOLERANCE) -> Meeting:
    check_if_match(meeting, if_match)
    if meeting.status not in (MeetingStatus.planned, MeetingStatus.confirmed, MeetingStatus.rescheduled):
        raise Conflict(f"A {meeting.status.value} meeting cannot be edited.")
    rep = session.get_one(User, meeting.rep_id)
    if "starts_at" in changes or "ends_at" in changes:
        starts_at = changes.get("starts_at", meeting.starts_at)
        ends_at = changes.get("ends_at", meeting.ends_at)
        _check_interval(session, rep, starts_at, ends_at, ignore_id=meeting.id)
    diff = {}
    for key, value in changes.items():
        if getattr(meeting, key) != value:
            diff[key] = {"old": _jsonable(getattr(meeting, key)), "new": _jsonable(value)}
            setattr(meeting, key, value)
    if diff:
        meeting.route_day = meeting.starts_at.astimezone(ZoneInfo(rep.time_zone)).date()
        _record(session, meeting, "edited", actor, diff)
        task_service.follow_meeting(session, meeting, tolerance, moved="starts_at" in diff)
        if "starts_at" in diff or "ends_at" in diff:
            outbox.notify_client_of_meeting_time(session, meeting, rep, moved=True)
    return meeting


def change_place(session: Session, actor: User, meeting: Meeting, *, address: str, requested_by: str,
                 latitude: float | None, longitude: float | None, if_match: str | None) -> Meeting:
    """The place changes only when the client asked for it; the record says who asked."""
    check_if_match(meeting, if_match)
    if requested_by != "client":
        raise Conflict("The meeting place can be changed only when the client asks for it.",
                       errors={"requested_by": ["Must be 'client'."]})
    if meeting.status not in (MeetingStatus.planned, MeetingStatus.confirmed, MeetingStatus.rescheduled):
        raise Conflict(f"A {meeting.status.value} meeting cannot move.")
    diff = {"address": {"old": meeting.address, "new": address}, "requested_by": requested_by}
    meeting.address, meeting.latitude, meeting.longitude = address, latitude, longitude
    meeting.place_change_requested_by = requested_by
    _record(session, meeting, "place_changed", actor, diff)
    outbox.notify_client_of_change(session, meeting, session.get_one(User, meeting.rep_id), "place")
    return meeting


def transition(session: Session, actor: User, meeting: Meeting, action: str, payload: dict[str, Any],
               if_match: str | None, tolerance: timedelta = DEFAULT_TOLERANCE) -> Meeting:
    check_if_match(meeting, if_match)
    target = next_status(meeting.status, action)
    check_timing(action, meeting.starts_at, utcnow())
    rule = ACTIONS[action]
    errors: dict[str, list[str]] = {}
    if rule.needs_cause and payload.get("caused_by") not in CAUSES:
        errors["caused_by"] = ["Say who caused it: 'client' or 'rep'."]
    if rule.needs_reason and not (payload.get("reason") or "").strip():
        errors["reason"] = ["Give the reason."]
    if rule.needs_interval and not (payload.get("starts_at") and payload.get("ends_at")):
        errors["starts_at"] = ["A reschedule needs the new starts_at and ends_at."]
    if errors:
        raise Invalid(f"'{action}' needs more information: {', '.join(sorted(errors))}.", errors=errors)
    diff: dict[str, Any] = {"status": {"old": meeting.status.value, "new": target.value}}
    if rule.needs_interval:
        rep = session.get_one(User, meeting.rep_id)
        _check_interval(session, rep, payload["starts_at"], payload["ends_at"], ignore_id=meeting.id)
        diff["interval"] = {"old": [meeting.starts_at.isoformat(), meeting.ends_at.isoformat()],
                            "new": [payload["starts_at"].isoformat(), payload["ends_at"].isoformat()]}
        meeting.starts_at, meeting.ends_at = payload["starts_at"], payload["ends_at"]
        meeting.route_day = meeting.starts_at.astimezone(ZoneInfo(rep.time_zone)).date()
    if action == "complete":
        presented = list(payload.get("offers_presented") or [])
        accepted = list(payload.get("offers_accepted") or [])
        if not set(accepted) <= set(presented):
            raise Invalid("An offer can be accepted only if it was presented.",
                          errors={"offers_accepted": ["Every accepted offer must be in offers_presented."]})
        meeting.offers_presented, meeting.offers_accepted = presented, accepted
        diff["offers"] = {"presented": presented, "accepted": accepted}
    if rule.needs_cause:
        meeting.caused_by = payload["caused_by"]
        diff["caused_by"] = payload["caused_by"]
    if payload.get("reason"):
        meeting.status_reason = payload["reason"].strip()
        diff["reason"] = meeting.status_reason
    meeting.status = target
    _record(session, meeting, action, actor, diff)
    task_service.follow_meeting(session, meeting, tolerance, moved=rule.needs_interval)
    if rule.needs_interval:
        outbox.notify_client_of_meeting_time(session, meeting, session.get_one(User, meeting.rep_id), moved=True)
    elif target == MeetingStatus.cancelled:
        outbox.notify_client_of_change(session, meeting, session.get_one(User, meeting.rep_id), "cancelled")
    return meeting


def delete_meeting(session: Session, actor: User, meeting: Meeting, if_match: str | None) -> None:
    """Taken off the route by a planner: kept as a tombstone so phones learn of it when they sync."""
    check_if_match(meeting, if_match)
    meeting.deleted_at = utcnow()
    _record(session, meeting, "deleted", actor, {})
    if meeting.status not in (MeetingStatus.cancelled, MeetingStatus.completed, MeetingStatus.failed,
                              MeetingStatus.client_no_show) and meeting.starts_at > utcnow():
        outbox.notify_client_of_change(session, meeting, session.get_one(User, meeting.rep_id), "cancelled")
    meeting.status = MeetingStatus.cancelled
    task_service.follow_meeting(session, meeting, DEFAULT_TOLERANCE)


# --- "changes since" sync -----------------------------------------------------------------------

@dataclass(frozen=True)
class SyncPage:
    meetings: Sequence[Any]  # rows of the meetings table, every column (no ORM objects: a phone polls this)
    deleted_ids: list[int]
    token: str
    full_reload: bool = False


def changes_since(session: Session, viewer: User, since: str | None, rep_id: int | None = None, *,
                  tokens: SyncTokens) -> SyncPage:
    """Meetings changed after `since` (new, changed, cancelled) plus deleted ids, and the next token.

    Without `since`: the rep's meetings from today on (a full load). A token that cannot be served
    (too old: it missed changes older than SYNC_RETENTION; malformed; issued to someone else or for
    another rep) answers 410: the client reloads in full. (sync_page, with rows as Core rows hold them.)
    """
    rep = _rep(session, viewer, rep_id)
    connection = session.connection()
    page = sync_page(connection, viewer, rep, since, tokens=tokens)
    return SyncPage(SYNC_READS[rep is not None, page.full_reload].records(connection, page.meetings),
                    page.deleted_ids, page.token, page.full_reload)


_MEETING_COLUMNS = tuple(Meeting.__table__.columns)
_MEETING_ID, _MEETING_DELETED = _MEETING_COLUMNS.index(Meeting.__table__.c.id), \
    _MEETING_COLUMNS.index(Meeting.__table__.c.deleted_at)
_LATEST_CHANGE = RawRead(select(func.max(MeetingChange.seq)))
# The first change a token missed, by the primary key: min(at) over `seq > :since` would read them all.
_FIRST_MISSED = RawRead(select(MeetingChange.at).where(MeetingChange.seq > bindparam("seq"))
                        .order_by(MeetingChange.seq).limit(1))


def _sync_read(one_rep: bool, full_reload: bool) -> RawRead:
    if full_reload:
        # starts_at's bound adds nothing to ends_at's (no meeting is longer) but lets the index skip the past
        statement = select(*_MEETING_COLUMNS).where(
            Meeting.ends_at >= bindparam("start"), Meeting.starts_at >= bindparam("earliest"),
            Meeting.deleted_at.is_(None))
    else:
        statement = select(*_MEETING_COLUMNS).where(Meeting.change_seq > bindparam("seq"))
    if one_rep:
        statement = statement.where(Meeting.rep_id == bindparam("rep_id"))
    return RawRead(statement.order_by(Meeting.starts_at if full_reload else Meeting.change_seq))


# (one rep's or every rep's, full reload or changes): rows of every column of the meetings table
SYNC_READS = {(one_rep, full): _sync_read(one_rep, full) for one_rep in (True, False) for full in (True, False)}


def sync_page(connection: Connection, viewer: Person, rep: Person | None, since: str | None, *,
              tokens: SyncTokens) -> SyncPage:
    """changes_since on a plain connection, for `rep` (rep_of; None: every rep's). Its meetings are the
    driver's rows of SYNC_READS[rep is not None, full_reload] (process them with its processors)."""
    scope = SyncTokens.scope(viewer.id, rep.id if rep is not None else None)
    one_rep = {"rep_id": rep.id} if rep is not None else {}

    def _token(position: int) -> str:
        return tokens.seal(scope, position)

    latest = _LATEST_CHANGE.scalar(connection) or 0
    if since is None:
        start, _ = local_day_bounds(today_for(rep or viewer), (rep or viewer).time_zone)
        rows = SYNC_READS[rep is not None, True].rows(connection, start=start, earliest=start - MAX_MEETING_LENGTH,
                                                       **one_rep)
        return SyncPage(rows, [], _token(latest), True)
    seq = tokens.open(scope, since)
    if seq > latest:  # issued by this key, but for another database (a restored backup): unusable too
        raise Gone(UNUSABLE_TOKEN)
    first_missed = _FIRST_MISSED.scalar(connection, seq=seq)
    if first_missed is not None and first_missed < utcnow() - SYNC_RETENTION:
        raise Gone("That sync token is too old to serve; reload in full (call again without `since`).")
    changed = SYNC_READS[rep is not None, False].rows(connection, seq=seq, **one_rep)
    return SyncPage(
        [meeting for meeting in changed if meeting[_MEETING_DELETED] is None],
        [meeting[_MEETING_ID] for meeting in changed if meeting[_MEETING_DELETED] is not None],
        _token(latest),
    )
