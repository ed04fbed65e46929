"""The meeting state machine, as a table: which action leads from which states to which state.

planned -> confirmed -> in_progress -> completed, or cancelled (by client/rep, with reason),
rescheduled (a new interval; the meeting stays on the route), client_no_show, failed (reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from errors import Conflict, NotYet
from models import MeetingStatus as S

ACTIVE = (S.planned, S.confirmed, S.rescheduled)
EARLIEST_START = timedelta(minutes=30)  # a rep who arrives early may begin once the client is there
CAUSES = ("client", "rep")


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple[S, ...]
    target: S
    needs_cause: bool = False
    needs_reason: bool = False
    needs_interval: bool = False


ACTIONS: dict[str, Action] = {action.name: action for action in (
    Action("confirm", (S.planned, S.rescheduled), S.confirmed),
    Action("start", ACTIVE, S.in_progress),
    Action("complete", (S.in_progress,), S.completed),
    Action("cancel", ACTIVE, S.cancelled, needs_cause=True, needs_reason=True),
    Action("reschedule", ACTIVE, S.rescheduled, needs_cause=True, needs_interval=True),
    Action("no_show", (*ACTIVE, S.in_progress), S.client_no_show),
    Action("fail", (*ACTIVE, S.in_progress), S.failed, needs_reason=True),
)}


def allowed_actions(status: S) -> list[str]:
    return [name for name, action in ACTIONS.items() if status in action.sources]


def next_status(status: S, action_name: str) -> S:
    """The state after `action_name`; 409 listing the allowed actions when it is not allowed."""
    action = ACTIONS.get(action_name)
    allowed = allowed_actions(status)
    if action is None or status not in action.sources:
        raise Conflict(
            f"A {status.value} meeting cannot be '{action_name}';"
            f" allowed: {', '.join(allowed) or 'none (final state)'}.",
            allowed=allowed,
            status_now=status.value,
        )
    return action.target


def check_timing(action_name: str, starts_at: datetime, now: datetime) -> None:
    """What the clock allows: a visit starts from 30 minutes before its time; a client is a no-show only once
    the meeting's time has come. 409 saying when it becomes possible."""
    earliest_start = starts_at - EARLIEST_START
    if action_name == "start" and now < earliest_start:
        raise NotYet(f"The meeting starts at {starts_at.isoformat()}; it can be started from "
                     f"{earliest_start.isoformat()} on.", not_before=earliest_start.isoformat())
    if action_name == "no_show" and now < starts_at:
        raise NotYet(f"The client can be a no-show only once the meeting's time has come ({starts_at.isoformat()}).",
                     not_before=starts_at.isoformat())
