"""A fleet's history for the hot-read benchmark and the query-plan tests, bulk-loaded with plain SQL.

Per rep: 8 meetings a working day (Monday to Saturday, about 313 days a year: 2,000 reps x 1 year is
the issue's 5,008,000 meetings) from `years` back to a week ahead, two changes each (planned a week
before, then completed, in time order so `meeting_changes.seq` follows `at`), one reminder-call task
each (open from today on), and a violation for one past meeting in ten. The schema comes from the
app's own migrations; rows go in with executemany (SQLite) or COPY (PostgreSQL).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

MEETINGS_A_DAY = 8
MOSCOW = ZoneInfo("Europe/Moscow")
PLANNED_AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class Fleet:
    reps: int
    years: float
    today: date
    future_days: int = 7

    @property
    def days(self) -> list[date]:
        first = self.today - timedelta(days=round(365 * self.years))
        span = (self.today - first).days + self.future_days + 1
        return [day for day in (first + timedelta(days=i) for i in range(span)) if day.weekday() != 6]

    def meeting_id(self, day_index: int, rep: int, slot: int) -> int:
        return (day_index * self.reps + (rep - 1)) * MEETINGS_A_DAY + slot + 1

    def starts_at(self, day: date, slot: int) -> datetime:
        return datetime.combine(day, time(9 + slot), MOSCOW).astimezone(UTC).replace(tzinfo=None)


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _changes(fleet: Fleet, now: datetime) -> Iterator[tuple[int, int, int, str, datetime]]:
    """(seq, meeting_id, rep, action, at) in `at` order: each day, the meetings a week ahead are planned
    at 05:00 UTC, then that day's meetings are completed as they end (those in the past)."""
    days = fleet.days
    index = {day: i for i, day in enumerate(days)}
    seq = 0
    first = days[0] - PLANNED_AHEAD
    for offset in range((days[-1] - first).days + 1):
        today = first + timedelta(days=offset)
        ahead = today + PLANNED_AHEAD
        if ahead in index:
            at = datetime.combine(today, time(5))
            if at <= now:
                for rep in range(1, fleet.reps + 1):
                    for slot in range(MEETINGS_A_DAY):
                        seq += 1
                        yield seq, fleet.meeting_id(index[ahead], rep, slot), rep, "planned", at
        if today in index:
            for slot in range(MEETINGS_A_DAY):
                at = fleet.starts_at(today, slot) + timedelta(hours=1)
                if at > now:
                    break
                for rep in range(1, fleet.reps + 1):
                    seq += 1
                    yield seq, fleet.meeting_id(index[today], rep, slot), rep, "completed", at


def build(url: str, fleet: Fleet, password_hash: str, now: datetime | None = None) -> dict[str, Any]:
    """Fill an empty, migrated database; returns what was loaded (counts)."""
    now = _naive_utc(now or datetime.now(UTC))
    engine = create_engine(url)
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    days = fleet.days
    last_seq = array("q", bytes(8 * (fleet.meeting_id(len(days) - 1, fleet.reps, MEETINGS_A_DAY - 1) + 1)))
    counts = {"reps": fleet.reps, "meetings": 0, "meeting_changes": 0, "tasks": 0, "violations": 0}

    def users():
        for rep in range(1, fleet.reps + 1):
            yield (rep, f"rep{rep}", f"Rep {rep}", None, "rep", "Europe/Moscow", None, password_hash, True, None, now)

    for seq, meeting_id, _rep, _action, _at in _changes(fleet, now):  # each meeting's change_seq, first
        last_seq[meeting_id] = seq

    def changes():
        for seq, meeting_id, rep, action, at in _changes(fleet, now):
            counts["meeting_changes"] += 1
            yield seq, meeting_id, rep, action, None, "{}", at

    def meetings():
        for day_index, day in enumerate(days):
            for rep in range(1, fleet.reps + 1):
                for slot in range(MEETINGS_A_DAY):
                    meeting_id = fleet.meeting_id(day_index, rep, slot)
                    starts = fleet.starts_at(day, slot)
                    done = starts + timedelta(hours=1) <= now
                    planned_at = datetime.combine(day - PLANNED_AHEAD, time(5))
                    version = 1 + (last_seq[meeting_id] > 0) + done
                    counts["meetings"] += 1
                    yield (meeting_id, rep, f"Client {meeting_id}", "+79160000000", None, "ru", slot == 7,
                           f"Moscow, street {slot + 1}", 55.75, 37.61, starts, starts + timedelta(hours=1),
                           '["instant_debit_card"]', '["premium"]', "completed" if done else "planned",
                           day, None, None, None, "[]", "[]", version, last_seq[meeting_id], None,
                           starts if done else None, planned_at)

    def tasks():
        for day_index, day in enumerate(days):
            for rep in range(1, fleet.reps + 1):
                for slot in range(MEETINGS_A_DAY):
                    meeting_id = fleet.meeting_id(day_index, rep, slot)
                    starts = fleet.starts_at(day, slot)
                    open_ = day >= fleet.today
                    counts["tasks"] += 1
                    yield (meeting_id, rep, "reminder_call", "open" if open_ else "done", meeting_id, None,
                           f"Reminder call to Client {meeting_id}", starts, None, starts - timedelta(hours=1),
                           starts - timedelta(minutes=75), starts - timedelta(minutes=45), 15, None, 1,
                           None if open_ else starts - timedelta(hours=1), None if open_ else "confirmed", None,
                           None, None, 1, starts - PLANNED_AHEAD)

    def violations():
        statuses = ("flagged", "confirmed", "confirmed", "dismissed")
        for day_index, day in enumerate(days):
            if day >= fleet.today:
                break
            for rep in range(1, fleet.reps + 1):
                for slot in range(MEETINGS_A_DAY):
                    meeting_id = fleet.meeting_id(day_index, rep, slot)
                    if meeting_id % 10:
                        continue
                    counts["violations"] += 1
                    yield (meeting_id // 10, rep, meeting_id, None, "reminder_call_missing",
                           statuses[meeting_id // 10 % 4], "system", None, "{}", None, None,
                           f"reminder_call_missing:meeting:{meeting_id}", fleet.starts_at(day, slot))

    tables = [
        ("users", "id, username, full_name, email, role, time_zone, region, password_hash, is_active, "
                  "deactivated_at, created_at", users),
        ("meetings", "id, rep_id, client_name, client_phone, client_email, client_language, english_speaking_client, "
                     "address, latitude, longitude, starts_at, ends_at, products, offers, status, route_day, "
                     "status_reason, caused_by, place_change_requested_by, offers_presented, offers_accepted, "
                     "version, change_seq, deleted_at, updated_at, created_at", meetings),
        ("meeting_changes", "seq, meeting_id, rep_id, action, changed_by_id, changes, at", changes),
        ("tasks", "id, owner_id, kind, state, meeting_id, parent_task_id, title, deadline_at, own_planned_at, "
                  "due_at, window_opens_at, window_closes_at, remind_minutes_before, reminded_at, attempt, "
                  "completed_at, call_outcome, recording_id, note, updated_at, version, created_at", tasks),
        ("violations", "id, rep_id, meeting_id, recording_id, criterion, status, source, score, evidence, "
                       "confidence, note, dedupe_key, created_at", violations),
    ]
    if is_sqlite:
        _load_sqlite(engine, tables)
    else:
        _load_postgresql(engine, tables)
    engine.dispose()
    return counts


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite storage format
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load_sqlite(engine, tables) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        for table, columns, rows in tables:
            marks = ", ".join("?" for _ in columns.split(","))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                               (tuple(_sqlite_value(v) for v in row) for row in rows()))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _load_postgresql(engine, tables) -> None:
    with engine.begin() as connection:
        driver = connection.connection.dbapi_connection
        cursor = driver.cursor()
        for table, columns, rows in tables:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        for table, key in (("meetings", "id"), ("tasks", "id"), ("violations", "id"), ("users", "id"),
                           ("meeting_changes", "seq")):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
                                    f"(SELECT coalesce(max({key}), 1) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def describe(counts: dict[str, Any]) -> str:
    return ", ".join(f"{value:,} {name}" for name, value in counts.items())



