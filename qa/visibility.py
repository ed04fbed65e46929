"""What a rep is shown of their violations: only what counts against them.

The bot's flags count once a reviewer confirmed them; a flag awaiting review and a dismissed one are
not shown to the rep at all (never as a violation). Violations the system records by rule (a missing
morning check, a missed reminder call) are facts, not guesses, and are shown as recorded.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from models import Violation, ViolationStatus

SYSTEM_SOURCE = "system"


def shown_to_rep() -> ColumnElement[bool]:
    return or_(Violation.status == ViolationStatus.confirmed,
               and_(Violation.source == SYSTEM_SOURCE, Violation.status == ViolationStatus.flagged))
