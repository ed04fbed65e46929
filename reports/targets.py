"""Personal-offer targets: what a manager expects of a rep in a calendar month (offers presented and
accepted). The figures and the reward's bonus read them; managers set them, a rep reads their own."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from errors import Conflict, Invalid, NotFound, require_matching_etag
from models import OfferTarget, Role, User


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def target_etag(target: OfferTarget) -> str:
    return f"t{target.id}-{target.offers_presented}-{target.offers_accepted}"


def check_if_match(target: OfferTarget, if_match: str | None) -> None:
    """Targets are shared (every manager, and the rep reads them): a change names what it was made on."""
    require_matching_etag(target_etag(target), if_match, "target")


def targets_of(viewer: User, *, rep_id: int | None = None, month: date | None = None) -> Select[Any]:
    """Newest month first; a rep's own only."""
    statement = select(OfferTarget).order_by(OfferTarget.month.desc(), OfferTarget.rep_id, OfferTarget.id)
    if viewer.role == Role.rep:
        statement = statement.where(OfferTarget.rep_id == viewer.id)
    elif rep_id is not None:
        statement = statement.where(OfferTarget.rep_id == rep_id)
    if month is not None:
        statement = statement.where(OfferTarget.month == first_of_month(month))
    return statement


def get_target(session: Session, viewer: User, target_id: int) -> OfferTarget:
    target = session.get(OfferTarget, target_id)
    if target is None or (viewer.role == Role.rep and target.rep_id != viewer.id):
        raise NotFound("No such target.")
    return target


def _check_counts(presented: int, accepted: int) -> None:
    if accepted > presented:
        raise Invalid("A rep cannot have more offers accepted than presented.",
                      errors={"offers_accepted": [f"Must be at most offers_presented ({presented})."]})


def set_target(session: Session, body: dict[str, Any]) -> OfferTarget:
    """A rep's target for the month of `body["month"]` (any day of it); one per rep and month."""
    rep = session.get(User, body["rep_id"])
    if rep is None or rep.role != Role.rep:
        raise NotFound("No such rep.", errors={"rep_id": ["No rep with this id."]})
    month = first_of_month(body["month"])
    existing = session.scalar(select(OfferTarget).where(OfferTarget.rep_id == rep.id, OfferTarget.month == month))
    if existing is not None:
        raise Conflict(f"{rep.username} already has a target for {month:%B %Y}; change it with PATCH "
                       f"/api/v1/reports/targets/{existing.id}.")
    _check_counts(body["offers_presented"], body["offers_accepted"])
    target = OfferTarget(rep_id=rep.id, month=month, offers_presented=body["offers_presented"],
                         offers_accepted=body["offers_accepted"])
    session.add(target)
    session.flush()
    return target


def change_target(target: OfferTarget, changes: dict[str, Any]) -> OfferTarget:
    presented = changes.get("offers_presented", target.offers_presented)
    accepted = changes.get("offers_accepted", target.offers_accepted)
    _check_counts(presented, accepted)
    target.offers_presented, target.offers_accepted = presented, accepted
    return target
