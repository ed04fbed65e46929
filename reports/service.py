"""Use cases behind the reports API and the dashboard: who may see which figures, and the CSV forms. No Flask.

A manager sees every rep and team; a rep only their own figures and reward (another rep's id, or any team,
answers 404 exactly as a missing one)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import NotFound
from models import Role, User
from reports.figures import COUNTS, Figures, Selection
from reports.periods import Period, period_of
from reports.rewards import Reward
from routes.service import today_for


def period_for(viewer: User, query: dict[str, Any], now: datetime) -> Period:
    return period_of(query.get("period", "month"), query.get("day") or today_for(viewer, now),
                     query.get("date_from"), query.get("date_to"))


def rep_for(session: Session, viewer: User, rep_id: int | None) -> User:
    """The rep whose figures or reward are asked for, as the viewer may see them."""
    if viewer.role == Role.rep:
        if rep_id not in (None, viewer.id):
            raise NotFound("No such rep.")
        return viewer
    rep = session.get(User, rep_id) if rep_id is not None else None
    if rep is None or rep.role != Role.rep:
        raise NotFound("No such rep." if rep_id is not None else "Name the rep (rep_id).")
    return rep


def selection_for(session: Session, viewer: User, query: dict[str, Any], now: datetime) -> Selection:
    period = period_for(viewer, query, now)
    team, rep_id, group_by = query.get("team"), query.get("rep_id"), query.get("group_by", "rep")
    if viewer.role == Role.rep:
        if team is not None:
            raise NotFound("No such team.")
        return Selection(period, "rep" if group_by == "team" else group_by, rep_id=rep_for(session, viewer, rep_id).id)
    if rep_id is not None:
        rep_for(session, viewer, rep_id)
    if team is not None and session.scalar(select(User.id).where(User.region == team, User.role == Role.rep)
                                           .limit(1)) is None:
        raise NotFound("No such team.")
    return Selection(period, group_by, rep_id=rep_id, team=team)


FIGURE_COLUMNS = ("key", "label", "day", "planned", "completed", "cancelled", "cancelled_by_client", "cancelled_by_rep",
                  "rescheduled_by_client", "rescheduled_by_rep", "no_shows", "failed", "cancellation_rate",
                  "cancellation_rate_raw", "reminder_calls_owed", "reminder_calls_on_time",
                  "reminder_calls_off_window", "reminder_calls_missing", "morning_checks_submitted",
                  "morning_checks_on_time", "morning_checks_missing", "morning_checks_failed", "calls_analysed",
                  "violations", "call_violations", "violations_per_100_calls", "adherence", "offers_presented",
                  "offers_accepted", "offers_presented_target", "offers_accepted_target")
assert set(FIGURE_COLUMNS) >= set(COUNTS) - {"adherence_sum", "adherence_count"}


def _csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


def figures_csv(rows: list[Figures]) -> str:
    """One line per row; violations by criterion as one `violations:<criterion>` column each."""
    criteria = sorted({criterion for figures in rows for criterion in figures.violations_by_criterion})
    header = [*FIGURE_COLUMNS, *(f"violations:{criterion}" for criterion in criteria)]
    lines = []
    for figures in rows:
        values = figures.as_dict()
        lines.append([*(values[name] for name in FIGURE_COLUMNS),
                      *(figures.violations_by_criterion.get(criterion, 0) for criterion in criteria)])
    return _csv(header, lines)


def reward_csv(reward: Reward) -> str:
    lines = [[line.kind, line.label, line.criterion, line.quantity, line.rate, line.amount] for line in reward.lines]
    lines.append(["total", "Total", None, None, None, reward.total])
    return _csv(["kind", "label", "criterion", "quantity", "rate", "amount"], lines)


def reward_dict(reward: Reward) -> dict[str, Any]:
    return {"rep_id": reward.rep_id, "rep_name": reward.rep_name,
            "period": {"first": reward.period.first, "last": reward.period.last}, "total": reward.total,
            "lines": [asdict(line) for line in reward.lines], "meetings": reward.meetings,
            "violations": reward.violations, "offers": reward.offers}
