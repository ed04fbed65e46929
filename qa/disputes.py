"""The seam between a rep's dispute of a violation and support's tickets.

Support's tickets (issue 16) do not exist yet: a dispute is kept as a `ViolationDispute` with no ticket.
When they land, `register_ticket_opener` gets a function that opens the ticket (in the same transaction)
and returns its id; nothing else in QA changes.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from models import Violation, ViolationDispute

TicketOpener = Callable[[Session, ViolationDispute, Violation], int | None]
_opener: TicketOpener | None = None


def register_ticket_opener(opener: TicketOpener | None) -> TicketOpener | None:
    """Make `opener` the one that opens disputes' tickets; returns the one it replaces."""
    global _opener
    previous, _opener = _opener, opener
    return previous


def open_ticket(session: Session, dispute: ViolationDispute, violation: Violation) -> int | None:
    """The ticket's id, or None while there is no support desk to send disputes to."""
    return _opener(session, dispute, violation) if _opener is not None else None
