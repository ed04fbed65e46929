"""A ticket's states and who may move it where; its response deadline and the reopen window. Pure rules.

    new -> in_progress -> waiting_for_rep -> resolved | rejected -> closed

Support takes a ticket, asks the rep (waiting_for_rep), resolves or rejects it with an answer; the rep's
reply to a question brings it back to support; the rep may reopen an answered ticket within a period, but
never close one; managers close answered tickets (one by one or in bulk).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from errors import Conflict, Forbidden, Invalid
from models import Role, TicketState
from reps.deadlines import retry_deadline

OPEN_STATES = (TicketState.new, TicketState.in_progress, TicketState.waiting_for_rep)
ANSWERED_STATES = (TicketState.resolved, TicketState.rejected)
SUPPORT_OWES = (TicketState.new, TicketState.in_progress)  # the states a response deadline runs in


@dataclass(frozen=True)
class Action:
    roles: tuple[Role, ...]
    sources: tuple[TicketState, ...]
    target: TicketState | None  # None: decided by the ticket (reopen goes back to whoever had it)
    needs_text: bool


ACTIONS: dict[str, Action] = {
    "take": Action((Role.support,), (TicketState.new, TicketState.in_progress), TicketState.in_progress, False),
    "ask": Action((Role.support,), (TicketState.new, TicketState.in_progress), TicketState.waiting_for_rep, True),
    "resolve": Action((Role.support,), OPEN_STATES, TicketState.resolved, True),
    "reject": Action((Role.support,), OPEN_STATES, TicketState.rejected, True),
    "reopen": Action((Role.rep,), ANSWERED_STATES, None, True),
    "close": Action((Role.manager,), ANSWERED_STATES, TicketState.closed, False),
}


def allowed_actions(state: TicketState, role: Role) -> list[str]:
    return [name for name, action in ACTIONS.items() if state in action.sources and role in action.roles]


def check_action(action: str, state: TicketState, role: Role, text: str | None) -> Action:
    """The action's rule, or the error: 403 for a role that may never do it, 409 from this state, 422 no text."""
    rule = ACTIONS[action]
    if role not in rule.roles:
        who = ", ".join(r.value for r in rule.roles)
        raise Forbidden(f"Only {who} may {action} a ticket.")
    if state not in rule.sources:
        raise Conflict(f"A {state.value} ticket cannot be {action}d: "
                       f"{', '.join(allowed_actions(state, role)) or 'nothing'} is allowed now.",
                       allowed=allowed_actions(state, role), status_now=state.value)
    if rule.needs_text and not (text or "").strip():
        raise Invalid(f"'{action}' needs a text: the answer, question or reason.", errors={"text": ["Required."]})
    return rule


def back_to_support(has_assignee: bool) -> TicketState:
    """Where a ticket goes when the rep writes back (a reply, a reopen): to its agent, or to the queue."""
    return TicketState.in_progress if has_assignee else TicketState.new


def response_due(since: datetime, time_zone: str, business_days: int, country: str) -> datetime:
    """Support answers by 23:59:59 of the rep's local day `business_days` business days after `since`
    (0: the same day), weekends and the country's public holidays skipped — as task deadlines count."""
    return retry_deadline(since, time_zone, business_days, country)


def is_overdue(state: TicketState, response_due_at: datetime | None, now: datetime) -> bool:
    return state in SUPPORT_OWES and response_due_at is not None and now > response_due_at


def reopen_until(answered_at: datetime | None, reopen_days: int) -> datetime | None:
    return answered_at + timedelta(days=reopen_days) if answered_at is not None else None


def check_reopen_window(answered_at: datetime | None, reopen_days: int, now: datetime) -> None:
    until = reopen_until(answered_at, reopen_days)
    if until is not None and now > until:
        raise Conflict(f"The ticket was answered more than {reopen_days} days ago and can no longer be reopened; "
                       "open a new ticket.", errors={"reopen_until": [until.isoformat()]})
