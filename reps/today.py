"""The lists on the rep's "today" screen (the day's route, open tasks, violations still open), read lean:
one Core SELECT each, on an index range that does not grow with the rep's history, rows dumped to
the schemas' exact dicts (api.lean.RowDump). No Flask here."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.lean import RowDump
from compliance.schemas import ViolationSchema
from models import Task, TaskState, User, Violation, ViolationStatus
from reps import tasks as task_service
from reps.schemas import TaskSchema
from routes import service as routes_service
from routes.reads import MEETING_ROWS

TASK_ROWS = RowDump(TaskSchema, Task.__table__)  # type: ignore[arg-type]
VIOLATION_ROWS = RowDump(ViolationSchema, Violation.__table__)  # type: ignore[arg-type]
VIOLATIONS_SHOWN = 50


def today_lists(session: Session, rep: User, day: date) -> dict[str, list[dict[str, Any]]]:
    """TodaySchema's `route`, `open_tasks` and `violations`, dumped."""
    tasks = task_service.list_tasks(session, rep, states=[TaskState.open]).with_only_columns(*TASK_ROWS.columns)
    violations = (select(*VIOLATION_ROWS.columns)
                  .where(Violation.rep_id == rep.id,
                         Violation.status.in_([ViolationStatus.flagged, ViolationStatus.confirmed]))
                  .order_by(Violation.created_at.desc()).limit(VIOLATIONS_SHOWN))
    route = routes_service.day_route(session, rep, day=day).statement.with_only_columns(*MEETING_ROWS.columns)
    return {
        "route": MEETING_ROWS.dump_all(session.execute(route)),
        "open_tasks": TASK_ROWS.dump_all(session.execute(tasks)),
        "violations": VIOLATION_ROWS.dump_all(session.execute(violations)),
    }
