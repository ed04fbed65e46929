"""A rep's reward for a period, line by line so the rep can check it: a rate per completed meeting, a bonus
when the period's offer targets are met, deductions per meeting the rep cancelled or moved and per counted
violation by criterion. A meeting the client cancelled or moved is listed at 0: it never cuts the reward.
The meetings are read as support corrected them, and the corrections behind each line are named. No Flask."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Meeting, MeetingCorrection, MeetingStatus, User, Violation
from qa.visibility import shown_to_rep
from reports.figures import Selection, totals
from reports.periods import Period
from support.corrections import corrections_of

DEFAULT_CRITERION = "default"


@dataclass(frozen=True)
class RewardScheme:
    per_completed_meeting: int = 500
    offer_target_bonus: int = 3000
    rep_cancellation_deduction: int = 300
    violation_deductions: dict[str, int] = field(default_factory=lambda: {DEFAULT_CRITERION: 200})

    @classmethod
    def from_settings(cls, settings: Any) -> RewardScheme:
        deductions = {}
        for item in filter(None, (part.strip() for part in settings.reward_violation_deductions.split(","))):
            name, _, amount = item.partition("=")
            deductions[name.strip()] = int(amount)
        return cls(settings.reward_per_completed_meeting, settings.reward_offer_target_bonus,
                   settings.reward_rep_cancellation_deduction, deductions)

    def deduction_for(self, criterion: str) -> int:
        return self.violation_deductions.get(criterion, self.violation_deductions.get(DEFAULT_CRITERION, 0))


@dataclass
class RewardLine:
    kind: str  # completed_meetings | client_changes | rep_changes | offer_bonus | violation
    label: str
    quantity: int
    rate: int
    amount: int
    criterion: str | None = None


@dataclass
class Reward:
    rep_id: int
    rep_name: str
    period: Period
    lines: list[RewardLine]
    meetings: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    offers: dict[str, float]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def _violation_day(violation: Violation, meeting_days: dict[int, date | None]) -> date | None:
    if violation.meeting_id is not None:
        return meeting_days.get(violation.meeting_id)
    return date.fromisoformat((violation.dedupe_key or "")[-10:]) if violation.dedupe_key else None


def reward_of(session: Session, viewer: User, rep: User, period: Period, scheme: RewardScheme,
              now: datetime) -> Reward:
    """`rep` is already the one the viewer may see (the API scopes it); the figures come from `totals`."""
    figures = totals(session, Selection(period, "all", rep_id=rep.id), now)
    meetings = session.execute(
        select(Meeting.id, Meeting.route_day, Meeting.client_name, Meeting.status, Meeting.caused_by)
        .where(Meeting.rep_id == rep.id, Meeting.route_day.between(period.first, period.last),
               Meeting.deleted_at.is_(None),
               (Meeting.status == MeetingStatus.completed) | Meeting.caused_by.is_not(None))
        .order_by(Meeting.route_day, Meeting.id)).all()
    meeting_ids = [meeting.id for meeting in meetings]
    corrected: dict[int, list[int]] = {}
    if meeting_ids:
        statement = corrections_of(viewer, rep_id=rep.id).where(MeetingCorrection.meeting_id.in_(meeting_ids))
        for correction in session.scalars(statement):
            corrected.setdefault(correction.meeting_id, []).append(correction.id)
    items = []
    for meeting in meetings:
        if meeting.status == MeetingStatus.completed:
            counts_as, amount = "completed", scheme.per_completed_meeting
        elif meeting.caused_by == "rep":
            counts_as, amount = "rep_change", -scheme.rep_cancellation_deduction
        else:
            counts_as, amount = "client_change", 0
        items.append({"meeting_id": meeting.id, "day": meeting.route_day, "client_name": meeting.client_name,
                      "status": meeting.status.value, "caused_by": meeting.caused_by, "counts_as": counts_as,
                      "amount": amount, "corrections": corrected.get(meeting.id, [])})

    counted = _counted_violations(session, rep, period)
    meeting_days = {meeting.id: meeting.route_day for meeting in meetings}
    meeting_days.update(dict(session.execute(select(Meeting.id, Meeting.route_day).where(
        Meeting.id.in_({v.meeting_id for v in counted if v.meeting_id is not None}))).all()))
    violations = [{"violation_id": v.id, "criterion": v.criterion, "meeting_id": v.meeting_id,
                   "day": _violation_day(v, meeting_days), "amount": -scheme.deduction_for(v.criterion)}
                  for v in counted]

    completed = int(figures.counts["completed"])
    client_changes = sum(1 for item in items if item["counts_as"] == "client_change")
    rep_changes = sum(1 for item in items if item["counts_as"] == "rep_change")
    lines = [
        RewardLine("completed_meetings", "Completed meetings", completed, scheme.per_completed_meeting,
                   completed * scheme.per_completed_meeting),
        RewardLine("client_changes", "Meetings the client cancelled or moved (not deducted)", client_changes, 0, 0),
        RewardLine("rep_changes", "Meetings the rep cancelled or moved", rep_changes,
                   -scheme.rep_cancellation_deduction, -rep_changes * scheme.rep_cancellation_deduction),
    ]
    presented, accepted = figures.counts["offers_presented"], figures.counts["offers_accepted"]
    presented_target, accepted_target = figures.offers_presented_target, figures.offers_accepted_target
    has_target = presented_target > 0 or accepted_target > 0
    met = has_target and presented >= presented_target and accepted >= accepted_target
    lines.append(RewardLine("offer_bonus", "Offer targets met" if met else "Offer targets not met"
                            if has_target else "No offer targets for the period", 1 if met else 0,
                            scheme.offer_target_bonus, scheme.offer_target_bonus if met else 0))
    by_criterion: dict[str, int] = {}
    for counted_violation in counted:
        by_criterion[counted_violation.criterion] = by_criterion.get(counted_violation.criterion, 0) + 1
    for criterion, count in sorted(by_criterion.items()):
        rate = -scheme.deduction_for(criterion)
        lines.append(RewardLine("violation", f"Violation: {criterion}", count, rate, count * rate, criterion))
    return Reward(rep.id, rep.full_name, period, lines, items, violations,
                  {"presented": int(presented), "accepted": int(accepted),
                   "presented_target": round(presented_target, 2), "accepted_target": round(accepted_target, 2)})


def _counted_violations(session: Session, rep: User, period: Period) -> list[Violation]:
    """The rep's violations that count, of the period's meetings and morning checks (keyed by the check's day)."""
    of_meetings = select(Violation).join(Meeting, Meeting.id == Violation.meeting_id).where(
        Violation.rep_id == rep.id, Meeting.route_day.between(period.first, period.last),
        Meeting.deleted_at.is_(None), shown_to_rep())
    days = [period.first.fromordinal(ordinal).isoformat()
            for ordinal in range(period.first.toordinal(), period.last.toordinal() + 1)]
    keys = [f"{criterion}:{rep.id}:{day}" for criterion in ("morning_check_missing", "morning_check_failed")
            for day in days]
    of_mornings = select(Violation).where(Violation.dedupe_key.in_(keys), shown_to_rep())
    found = list(session.scalars(of_meetings)) + list(session.scalars(of_mornings))
    return sorted(found, key=lambda violation: violation.id)
