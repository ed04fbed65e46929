"""The meeting state machine, as a table: which action leads from which states to which state.

planned -> confirmed -> in_progress -> completed, or cancelled (by client/rep, with reason),
rescheduled (a new interval; the meeting stays on the route), client_no_show, failed (reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from errors import Conflict
from models import MeetingStatus as S

ACTIVE = (S.planned, S.confirmed, S.rescheduled)
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
