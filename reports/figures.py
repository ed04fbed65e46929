"""The managers' figures, counted in the database: one GROUP BY query per source (meetings, reminder-call tasks,
violations, recordings, morning checks, offer targets), grouped per rep, per team (the rep's region) or overall,
optionally per local day for trends. Python only adds up the grouped rows and divides. No Flask.

What counts:
- meetings by the rep's local day (`route_day`); deleted ones are not counted. `caused_by` is set by a
  cancellation or a reschedule (and kept when a moved meeting goes on), so a meeting that is not cancelled
  and has a cause was rescheduled by that side. A support correction rewrites status and cause in place,
  so every figure follows it at once.
- the cancellation rate counts only the cancellations the rep caused; the raw rate every cancellation.
- a reminder call is owed for each meeting that is not cancelled: on time when it was made inside its
  window, off window when made outside it but before the meeting started, missing when the meeting
  started without it (one not yet due is neither).
- violations count as `qa.visibility.shown_to_rep` says: the bot's once QA confirmed them, the system's
  (a missed call, a missing or failed morning check) as recorded; a dismissed one never counts. Per 100
  calls counts the violations found in calls (those with a recording) per analysed call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, literal_column, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from models import (
    Meeting,
    MeetingStatus,
    MorningCheck,
    OfferTarget,
    Recording,
    Task,
    TaskKind,
    TaskState,
    User,
    Violation,
)
from qa.visibility import shown_to_rep
from reports.periods import Period, bucket_of, months_overlapping
from reps.morning import FAILED as MORNING_CHECK_FAILED
from reps.morning import MISSING as MORNING_CHECK_MISSING

GROUPS = ("rep", "team", "all")
OVERALL = "all"
NO_TEAM = "(no team)"
COUNTS = (
    "planned", "completed", "cancelled_by_client", "cancelled_by_rep", "rescheduled_by_client",
    "rescheduled_by_rep", "no_shows", "failed", "offers_presented", "offers_accepted",
    "reminder_calls_owed", "reminder_calls_on_time", "reminder_calls_off_window", "reminder_calls_missing",
    "morning_checks_submitted", "morning_checks_on_time", "morning_checks_missing", "morning_checks_failed",
    "calls_analysed", "adherence_sum", "adherence_count", "violations", "call_violations",
)


@dataclass(frozen=True)
class Selection:
    """Whose figures, over which local days, grouped how."""

    period: Period
    group_by: str = "rep"  # rep | team | all
    rep_id: int | None = None
    team: str | None = None
    by_day: bool = False  # one row per group and local day (the trends)


@dataclass
class Figures:
    key: str  # the rep's id, the team's name, or "all"
    label: str
    day: date | None = None  # the first day of the bucket, for trends
    counts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    violations_by_criterion: dict[str, int] = field(default_factory=dict)
    offers_presented_target: float = 0.0
    offers_accepted_target: float = 0.0

    def add(self, other: Figures) -> None:
        for name, value in other.counts.items():
            self.counts[name] += value
        for criterion, count in other.violations_by_criterion.items():
            self.violations_by_criterion[criterion] = self.violations_by_criterion.get(criterion, 0) + count
        self.offers_presented_target += other.offers_presented_target
        self.offers_accepted_target += other.offers_accepted_target

    @property
    def cancelled(self) -> int:
        return int(self.counts["cancelled_by_client"] + self.counts["cancelled_by_rep"])

    @property
    def cancellation_rate(self) -> float | None:
        """The cancellations the rep caused, per meeting planned."""
        return _share(self.counts["cancelled_by_rep"], self.counts["planned"])

    @property
    def cancellation_rate_raw(self) -> float | None:
        return _share(self.cancelled, self.counts["planned"])

    @property
    def violations_per_100_calls(self) -> float | None:
        calls = self.counts["calls_analysed"]
        return round(100 * self.counts["call_violations"] / calls, 2) if calls else None

    @property
    def adherence(self) -> float | None:
        count = self.counts["adherence_count"]
        return round(self.counts["adherence_sum"] / count, 4) if count else None

    def as_dict(self) -> dict[str, Any]:
        counts = {name: int(value) for name, value in self.counts.items()
                  if name not in ("adherence_sum", "adherence_count")}
        return {"key": self.key, "label": self.label, "day": self.day, **counts, "cancelled": self.cancelled,
                "cancellation_rate": self.cancellation_rate, "cancellation_rate_raw": self.cancellation_rate_raw,
                "violations_per_100_calls": self.violations_per_100_calls, "adherence": self.adherence,
                "violations_by_criterion": dict(sorted(self.violations_by_criterion.items())),
                "offers_presented_target": round(self.offers_presented_target, 2),
                "offers_accepted_target": round(self.offers_accepted_target, 2)}


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _key(selection: Selection, rep_id: Any) -> ColumnElement[Any]:
    if selection.group_by == "rep":
        return cast(rep_id, String)
    if selection.group_by == "team":
        return func.coalesce(User.region, literal_column(f"'{NO_TEAM}'"))
    return literal_column(f"'{OVERALL}'")


def _scoped(statement: Any, selection: Selection, rep_id: Any) -> Any:
    """Join the rep (for the team) and keep the selected reps only."""
    statement = statement.join(User, User.id == rep_id)
    if selection.rep_id is not None:
        statement = statement.where(rep_id == selection.rep_id)
    if selection.team is not None:
        statement = statement.where(User.region == selection.team)
    return statement


def _grouped(selection: Selection, rep_id: Any, day: Any, *columns: Any) -> tuple[Any, list[Any]]:
    """SELECT the group's key (and day) and the columns; GROUP BY those labels (never by the constant "all")."""
    key = _key(selection, rep_id).label("key")
    day_keys = [day.label("day")] if selection.by_day else []
    grouped = ([key] if selection.group_by != "all" else []) + day_keys
    return select(key, *day_keys, *columns), grouped


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_period(day: Any, period: Period) -> ColumnElement[bool]:
    return day.between(period.first, period.last)


def _meetings(session: Session, selection: Selection) -> Iterable[Any]:
    m = Meeting
    not_cancelled = m.status != MeetingStatus.cancelled
    statement, keys = _grouped(
        selection, m.rep_id, m.route_day,
        func.count().label("planned"),
        _count(m.status == MeetingStatus.completed).label("completed"),
        _count(and_(m.status == MeetingStatus.cancelled, m.caused_by == "client")).label("cancelled_by_client"),
        _count(and_(m.status == MeetingStatus.cancelled, m.caused_by == "rep")).label("cancelled_by_rep"),
        _count(and_(not_cancelled, m.caused_by == "client")).label("rescheduled_by_client"),
        _count(and_(not_cancelled, m.caused_by == "rep")).label("rescheduled_by_rep"),
        _count(m.status == MeetingStatus.client_no_show).label("no_shows"),
        _count(m.status == MeetingStatus.failed).label("failed"),
        func.coalesce(func.sum(func.json_array_length(m.offers_presented)), 0).label("offers_presented"),
        func.coalesce(func.sum(func.json_array_length(m.offers_accepted)), 0).label("offers_accepted"),
    )
    statement = _scoped(statement, selection, m.rep_id).where(_in_period(m.route_day, selection.period),
                                                             m.deleted_at.is_(None))
    return session.execute(statement.group_by(*keys)).mappings()


def _reminder_calls(session: Session, selection: Selection, now: datetime) -> Iterable[Any]:
    m, t = Meeting, Task
    done = t.state == TaskState.done
    on_time = and_(done, t.completed_at.between(t.window_opens_at, t.window_closes_at))
    made_before_start = and_(done, t.completed_at <= m.starts_at)
    statement, keys = _grouped(
        selection, m.rep_id, m.route_day,
        _count(m.starts_at <= now).label("reminder_calls_owed"),
        _count(on_time).label("reminder_calls_on_time"),
        _count(and_(made_before_start, ~on_time)).label("reminder_calls_off_window"),
        _count(and_(m.starts_at <= now, ~made_before_start)).label("reminder_calls_missing"),
    )
    statement = _scoped(statement.select_from(m).join(t, t.meeting_id == m.id), selection, m.rep_id).where(
        _in_period(m.route_day, selection.period), m.deleted_at.is_(None), m.status != MeetingStatus.cancelled,
        t.kind == TaskKind.reminder_call, t.state != TaskState.cancelled)
    return session.execute(statement.group_by(*keys)).mappings()


def _recordings(session: Session, selection: Selection) -> Iterable[Any]:
    m, r = Meeting, Recording
    statement, keys = _grouped(
        selection, m.rep_id, m.route_day,
        func.count().label("calls_analysed"),
        func.coalesce(func.sum(r.adherence), 0).label("adherence_sum"),
        func.count(r.adherence).label("adherence_count"),
    )
    statement = _scoped(statement.select_from(m).join(r, r.meeting_id == m.id), selection, m.rep_id).where(
        _in_period(m.route_day, selection.period), m.deleted_at.is_(None), r.analysed_at.is_not(None))
    return session.execute(statement.group_by(*keys)).mappings()


def _meeting_violations(session: Session, selection: Selection) -> Iterable[Any]:
    m, v = Meeting, Violation
    statement, keys = _grouped(selection, m.rep_id, m.route_day, v.criterion.label("criterion"),
                               func.count().label("violations"),
                               func.count(v.recording_id).label("call_violations"))
    statement = _scoped(statement.select_from(m).join(v, v.meeting_id == m.id), selection, m.rep_id).where(
        _in_period(m.route_day, selection.period), m.deleted_at.is_(None), shown_to_rep())
    return session.execute(statement.group_by(*keys, v.criterion)).mappings()


def _day_of_key(key: Any) -> ColumnElement[str]:
    """The local day a morning-check violation is for: its dedupe key ends with it (criterion:rep:YYYY-MM-DD)."""
    return func.substr(key, func.length(key) - literal_column("9"), literal_column("10"))


def _morning_violations(session: Session, selection: Selection) -> Iterable[Any]:
    v = Violation
    day = _day_of_key(v.dedupe_key)
    statement, keys = _grouped(selection, v.rep_id, day, v.criterion.label("criterion"),
                               func.count().label("violations"), literal(0).label("call_violations"))
    period = selection.period
    statement = _scoped(statement.select_from(v), selection, v.rep_id).where(
        v.meeting_id.is_(None), v.criterion.in_([MORNING_CHECK_MISSING, MORNING_CHECK_FAILED]),
        day.between(period.first.isoformat(), period.last.isoformat()), shown_to_rep())
    return session.execute(statement.group_by(*keys, v.criterion)).mappings()


def _morning_checks(session: Session, selection: Selection) -> Iterable[Any]:
    c = MorningCheck
    counted = aliased(Violation)

    def recorded(criterion: str) -> ColumnElement[bool]:
        key = literal(f"{criterion}:") + cast(c.rep_id, String) + literal(":") + cast(c.day, String)
        return exists().where(counted.dedupe_key == key, shown_to_rep_of(counted))

    submitted = and_(c.checklist_submitted_at.is_not(None), c.selfie_uploaded_at.is_not(None))
    statement, keys = _grouped(
        selection, c.rep_id, c.day,
        _count(c.checklist_submitted_at.is_not(None)).label("morning_checks_submitted"),
        _count(and_(submitted, ~recorded(MORNING_CHECK_MISSING), ~recorded(MORNING_CHECK_FAILED)))
        .label("morning_checks_on_time"),
    )
    statement = _scoped(statement.select_from(c), selection, c.rep_id).where(_in_period(c.day, selection.period))
    return session.execute(statement.group_by(*keys)).mappings()


def shown_to_rep_of(violation: Any) -> ColumnElement[bool]:
    """`qa.visibility.shown_to_rep` for an aliased violations table."""
    from sqlalchemy import or_

    from models import ViolationStatus
    from qa.visibility import SYSTEM_SOURCE

    return or_(violation.status == ViolationStatus.confirmed,
               and_(violation.source == SYSTEM_SOURCE, violation.status == ViolationStatus.flagged))


def _targets(session: Session, selection: Selection) -> Iterable[tuple[str, date, float, float]]:
    """Offer targets, each month's share of the period (targets are per month: a week gets its days' share)."""
    shares = dict(months_overlapping(selection.period))
    o = OfferTarget
    statement = select(_key(selection, o.rep_id).label("key"), o.month,
                       func.sum(o.offers_presented).label("presented"), func.sum(o.offers_accepted).label("accepted"))
    statement = _scoped(statement.select_from(o), selection, o.rep_id).where(o.month.in_(list(shares)))
    grouped = [o.month] if selection.group_by == "all" else [statement.selected_columns.key, o.month]
    for row in session.execute(statement.group_by(*grouped)).mappings():
        share = shares[row["month"]]
        yield row["key"], row["month"], row["presented"] * share, row["accepted"] * share


def compute(session: Session, selection: Selection, now: datetime) -> list[Figures]:
    """The figures of every group (and local day, with `by_day`) that had anything in the period."""
    rows: dict[tuple[str, date | None], Figures] = {}

    def row(values: Any) -> Figures:
        day = values["day"] if selection.by_day else None
        if isinstance(day, str):
            day = date.fromisoformat(day)
        slot = (str(values["key"]), day)
        if slot not in rows:
            rows[slot] = Figures(key=slot[0], label=slot[0], day=day)
        return rows[slot]

    for source in (_meetings(session, selection), _reminder_calls(session, selection, now),
                   _recordings(session, selection), _morning_checks(session, selection)):
        for values in source:
            figures = row(values)
            for name, value in values.items():
                if name in figures.counts:
                    figures.counts[name] += float(value or 0)
    for source in (_meeting_violations(session, selection), _morning_violations(session, selection)):
        for values in source:
            figures = row(values)
            figures.counts["violations"] += values["violations"]
            figures.counts["call_violations"] += values["call_violations"]
            criterion = values["criterion"]
            figures.violations_by_criterion[criterion] = (figures.violations_by_criterion.get(criterion, 0)
                                                          + values["violations"])
            if criterion == MORNING_CHECK_MISSING:
                figures.counts["morning_checks_missing"] += values["violations"]
            elif criterion == MORNING_CHECK_FAILED:
                figures.counts["morning_checks_failed"] += values["violations"]
    if not selection.by_day:
        for key, _month, presented, accepted in _targets(session, selection):
            figures = row({"key": key, "day": None})
            figures.offers_presented_target += presented
            figures.offers_accepted_target += accepted
    _label(session, selection, rows.values())
    return sorted(rows.values(), key=lambda figures: (figures.label, figures.day or date.min))


def _label(session: Session, selection: Selection, rows: Iterable[Figures]) -> None:
    rows = list(rows)
    if selection.group_by != "rep" or not rows:
        return
    names = dict(session.execute(select(User.id, User.full_name).where(
        User.id.in_({int(figures.key) for figures in rows}))).all())
    for figures in rows:
        figures.label = names.get(int(figures.key), figures.key)


def totals(session: Session, selection: Selection, now: datetime) -> Figures:
    """The selection's figures as one row (the period's totals)."""
    whole = Selection(selection.period, "all", selection.rep_id, selection.team)
    found = compute(session, whole, now)
    return found[0] if found else Figures(key=OVERALL, label=OVERALL)


def trend(session: Session, selection: Selection, grain: str, now: datetime) -> list[Figures]:
    """Per group and bucket (day, week or month): the daily rows added up into their buckets."""
    daily = compute(session, Selection(selection.period, selection.group_by, selection.rep_id, selection.team,
                                       by_day=True), now)
    buckets: dict[tuple[str, date], Figures] = defaultdict(lambda: Figures(key="", label=""))
    for figures in daily:
        assert figures.day is not None
        bucket = buckets[(figures.key, bucket_of(figures.day, grain))]
        bucket.key, bucket.label, bucket.day = figures.key, figures.label, bucket_of(figures.day, grain)
        bucket.add(figures)
    return sorted(buckets.values(), key=lambda figures: (figures.label, figures.day or date.min))


def teams(session: Session) -> list[str]:
    return list(session.scalars(select(User.region).where(User.region.is_not(None)).distinct()
                                .order_by(User.region)))
