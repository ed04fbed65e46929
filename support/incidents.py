"""Incidents support publishes (an outage, a known problem): whom they affect, when they are active. No Flask."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session

from api.lean import RowDump
from errors import Conflict, Invalid, NotFound
from models import Incident, Role, User, utcnow
from storage.raw_reads import RawRead
from support.schemas import IncidentSchema


def incident_etag(incident: Incident) -> str:
    return f"i{incident.id}-v{incident.version}"


def is_active(incident: Incident, now: datetime) -> bool:
    return (incident.closed_at is None and incident.starts_at <= now
            and (incident.ends_at is None or incident.ends_at > now))


def affects(incident: Incident, rep: User) -> bool:
    """Both lists empty: every rep; otherwise the listed reps and the reps of the listed regions."""
    if not incident.regions and not incident.rep_ids:
        return True
    return rep.id in (incident.rep_ids or []) or (rep.region is not None and rep.region in (incident.regions or []))


def _open_incidents(now: datetime) -> Select[Any]:
    return (select(Incident).where(Incident.closed_at.is_(None), Incident.starts_at <= now)
            .order_by(Incident.starts_at.desc(), Incident.id.desc()))


def active_for_rep(session: Session, rep: User, now: datetime | None = None) -> list[Incident]:
    now = now or utcnow()
    return [incident for incident in session.scalars(_open_incidents(now))
            if is_active(incident, now) and affects(incident, rep)]


def get_incident(session: Session, viewer: User, incident_id: int, now: datetime | None = None) -> Incident:
    """Staff read any incident; a rep only an active one that affects them (any other reads as missing)."""
    incident = session.get(Incident, incident_id)
    if incident is None or (viewer.role == Role.rep and not (is_active(incident, now or utcnow())
                                                             and affects(incident, viewer))):
        raise NotFound("No such incident.")
    return incident


def list_incidents(session: Session, viewer: User, *, active: bool | None = None,
                   now: datetime | None = None) -> list[Incident]:
    now = now or utcnow()
    if viewer.role == Role.rep:
        return active_for_rep(session, viewer, now)
    incidents = session.scalars(select(Incident).order_by(Incident.starts_at.desc(), Incident.id.desc())).all()
    if active is None:
        return list(incidents)
    return [incident for incident in incidents if is_active(incident, now) == active]


def _check(session: Session, starts_at: datetime, ends_at: datetime | None, rep_ids: list[int]) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise Invalid("An incident ends after it starts.", errors={"ends_at": ["Must be after starts_at."]})
    if rep_ids:
        known = set(session.scalars(select(User.id).where(User.id.in_(rep_ids), User.role == Role.rep)))
        unknown = sorted(set(rep_ids) - known)
        if unknown:
            raise Invalid("Some rep_ids are not reps.", errors={"rep_ids": [f"Not a rep: {unknown}."]})


def publish(session: Session, author: User, data: dict[str, Any]) -> Incident:
    now = utcnow()
    starts_at = data.get("starts_at") or now
    rep_ids = sorted(set(data.get("rep_ids") or []))
    _check(session, starts_at, data.get("ends_at"), rep_ids)
    incident = Incident(title=data["title"].strip(), text=data["text"].strip(), starts_at=starts_at,
                        ends_at=data.get("ends_at"), regions=sorted(set(data.get("regions") or [])), rep_ids=rep_ids,
                        created_by_id=author.id, updated_at=now)
    session.add(incident)
    session.flush()
    return incident


def update(session: Session, incident: Incident, changes: dict[str, Any]) -> Incident:
    if incident.closed_at is not None:
        raise Conflict("The incident is closed; publish a new one.")
    starts_at = changes.get("starts_at", incident.starts_at)
    ends_at = changes.get("ends_at", incident.ends_at)
    rep_ids = sorted(set(changes["rep_ids"])) if "rep_ids" in changes else list(incident.rep_ids or [])
    _check(session, starts_at, ends_at, rep_ids)
    for key, value in changes.items():
        if key in ("regions", "rep_ids"):
            value = sorted(set(value or []))
        elif isinstance(value, str):
            value = value.strip()
        setattr(incident, key, value)
    incident.updated_at = utcnow()
    session.flush()
    return incident


def close(session: Session, actor: User, incident: Incident) -> Incident:
    if incident.closed_at is not None:
        raise Conflict("The incident is already closed.")
    incident.closed_at, incident.closed_by_id, incident.updated_at = utcnow(), actor.id, utcnow()
    session.flush()
    return incident


_INCIDENT_ROWS = RowDump(IncidentSchema, Incident.__table__)  # type: ignore[arg-type]
# the open incidents that have started, newest first, with the rep's region (one statement, compiled once)
_REP_REGION = select(User.region).where(User.id == bindparam("rep_id")).scalar_subquery()
ACTIVE_INCIDENTS = RawRead(select(*_INCIDENT_ROWS.columns, _REP_REGION.label("rep_region"))
                           .where(Incident.closed_at.is_(None), Incident.starts_at <= bindparam("now"))
                           .order_by(Incident.starts_at.desc(), Incident.id.desc()))
_ENDS_AT, _REGIONS, _REP_IDS = (Incident.__table__.columns.keys().index(key)
                                for key in ("ends_at", "regions", "rep_ids"))
_REP_REGION_AT = len(_INCIDENT_ROWS.columns)


def active_rows_for(connection: Connection, rep_id: int, now: datetime) -> list[dict[str, Any]]:
    """The rep's active incidents for the "today" screen, read lean (one precompiled SELECT, the rep's region
    with it), as IncidentSchema dumps them."""
    rows = ACTIVE_INCIDENTS.rows(connection, rep_id=rep_id, now=now)
    if not rows:
        return []
    processors = ACTIVE_INCIDENTS.processors(connection)
    dump = _INCIDENT_ROWS.compile(processors)

    def value(row: Any, position: int) -> Any:
        processor = processors[position]
        return row[position] if processor is None else processor(row[position])

    shown = []
    for row in rows:
        ends_at = value(row, _ENDS_AT)
        if ends_at is not None and ends_at <= now:
            continue
        regions, rep_ids = value(row, _REGIONS), value(row, _REP_IDS)
        if (regions or rep_ids) and not (rep_id in (rep_ids or []) or value(row, _REP_REGION_AT) in (regions or [])):
            continue
        shown.append(dump(row))
    return shown
