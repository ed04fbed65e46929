"""The lists on the rep's "today" screen (the day's route, open tasks, violations still open), read lean:
one Core SELECT each, on an index range that does not grow with the rep's history, rows dumped to
the schemas' exact dicts (api.lean.RowDump). No Flask here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from api.lean import RowDump
from compliance.schemas import ViolationSchema
from models import MeetingStatus, MorningCheck, Task, TaskState, Violation
from models.notifications import Notification
from qa.visibility import shown_to_rep
from reps.schemas import TaskSchema
from routes import reads
from routes import service as routes_service
from storage.raw_reads import RawRead

TASK_ROWS = RowDump(TaskSchema, Task.__table__)  # type: ignore[arg-type]
VIOLATION_ROWS = RowDump(ViolationSchema, Violation.__table__)  # type: ignore[arg-type]
VIOLATIONS_SHOWN = 50

# reps.tasks.list_tasks for a rep, open ones: (owner_id, state, deadline_at, id) in deadline order
OPEN_TASKS = RawRead(select(*TASK_ROWS.columns).where(Task.owner_id == bindparam("rep_id"),
                                                     Task.state == bindparam("open", TaskState.open))
                     .order_by(Task.deadline_at, Task.id))
# what counts against the rep: the bot's flags once a reviewer confirmed them, never awaiting review (qa.visibility)
OPEN_VIOLATIONS = RawRead(select(*VIOLATION_ROWS.columns).where(
    Violation.rep_id == bindparam("rep_id"), shown_to_rep())
    .order_by(Violation.created_at.desc()).limit(VIOLATIONS_SHOWN))
# reps.morning.check_of_day, the columns the screen shows
MORNING_CHECK = RawRead(select(MorningCheck.selfie_status, MorningCheck.selfie_uploaded_at,
                               MorningCheck.checklist_submitted_at, MorningCheck.checklist_failures)
                        .where(MorningCheck.rep_id == bindparam("rep_id"), MorningCheck.day == bindparam("day")))


def _dumped(connection: Connection, read: RawRead, rows: RowDump, **values: Any) -> list[dict[str, Any]]:
    found = read.rows(connection, **values)
    dump = rows.compile(read.processors(connection))
    return [dump(row) for row in found]


def today_lists(connection: Connection, rep: routes_service.Person, day: date) -> dict[str, list[dict[str, Any]]]:
    """TodaySchema's `route`, `open_tasks` and `violations`, dumped."""
    route = reads.day_bounds(connection, rep, day)
    return {
        "route": reads.route_meetings(connection, route)[0],
        "open_tasks": _dumped(connection, OPEN_TASKS, TASK_ROWS, rep_id=rep.id),
        "violations": _dumped(connection, OPEN_VIOLATIONS, VIOLATION_ROWS, rep_id=rep.id),
    }


def instant_card_meetings(route: list[dict[str, Any]], products: frozenset[str]) -> int:
    """reps.morning.instant_card_meetings, counted on the day's route as dumped (no second read)."""
    return sum(1 for meeting in route
               if meeting["status"] != MeetingStatus.cancelled.value and products & set(meeting["products"] or []))


def morning_check(connection: Connection, rep: routes_service.Person, day: date, cutoff: datetime) -> dict[str, Any]:
    """What the Today view shows of the day's morning check (reps.morning.check_of_day and submitted_late)."""
    rows = MORNING_CHECK.values(connection, rep_id=rep.id, day=day)
    if not rows:
        return {"selfie_status": None, "checklist_submitted": False, "checklist_submitted_at": None,
                "checklist_failures": [], "late": False}
    selfie_status, selfie_uploaded_at, checklist_submitted_at, checklist_failures = rows[0]
    return {"selfie_status": selfie_status, "checklist_submitted": bool(checklist_submitted_at),
            "checklist_submitted_at": checklist_submitted_at, "checklist_failures": checklist_failures or [],
            "late": any(moment is not None and moment > cutoff
                        for moment in (selfie_uploaded_at, checklist_submitted_at))}


# notifications.outbox.queue_morning_digests: the day's digest, found by its dedupe key
MORNING_DIGEST = RawRead(select(Notification.subject, Notification.body, Notification.state, Notification.created_at,
                                Notification.sent_at).where(Notification.dedupe_key == bindparam("dedupe_key")))


def morning_digest(connection: Connection, rep_id: int, day: date) -> dict[str, Any] | None:
    """The day's morning digest as queued for the rep (notifications.outbox.queue_morning_digests), or None."""
    rows = MORNING_DIGEST.values(connection, dedupe_key=f"digest:{rep_id}:{day.isoformat()}")
    if not rows:
        return None
    subject, body, state, created_at, sent_at = rows[0]
    state = state.value if hasattr(state, "value") else state
    return {"subject": subject, "body": body, "state": state, "queued_at": created_at, "sent_at": sent_at}
