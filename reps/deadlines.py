"""Deadline rules, pure functions: reminder-call windows, end of a deadline day, business days.

Times are UTC-aware inside; a person's local day only matters at the edges (the 23:59:59 of a
deadline day in the owner's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from errors import Invalid

REMINDER_LEAD = timedelta(minutes=60)
DEFAULT_TOLERANCE = timedelta(minutes=15)


@dataclass(frozen=True)
class ReminderCallWindow:
    due_at: datetime  # start - 60 min
    opens_at: datetime  # due - tolerance
    closes_at: datetime  # due + tolerance
    deadline_at: datetime  # the meeting's start: the central deadline

    def contains(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at


def reminder_call_window(meeting_start: datetime, tolerance: timedelta = DEFAULT_TOLERANCE) -> ReminderCallWindow:
    due = meeting_start - REMINDER_LEAD
    return ReminderCallWindow(due, due - tolerance, due + tolerance, meeting_start)


def end_of_deadline_day(deadline_at: datetime, time_zone: str) -> datetime:
    """The first instant after the deadline's local day: work counts until 23:59:59 that day."""
    zone = ZoneInfo(time_zone)
    local_day = deadline_at.astimezone(zone).date()
    return datetime.combine(local_day + timedelta(days=1), time.min, zone)


def expiry_moment(deadline_at: datetime, time_zone: str) -> datetime:
    """The last second a task can be worked: 23:59:59 of the deadline's local day, as a UTC instant."""
    return (end_of_deadline_day(deadline_at, time_zone) - timedelta(seconds=1)).astimezone(UTC)


def is_expired(deadline_at: datetime, time_zone: str, now: datetime) -> bool:
    return now >= end_of_deadline_day(deadline_at, time_zone)


def check_own_planned_time(own_planned_at: datetime, deadline_at: datetime) -> datetime:
    """An owner may plan their own time for a task, but never after the central deadline."""
    if own_planned_at > deadline_at:
        raise Invalid(
            f"Your planned time {own_planned_at.isoformat()} is after the task's deadline "
            f"{deadline_at.isoformat()}; choose a time at or before the deadline.",
            errors={"own_planned_at": [f"Must not be later than {deadline_at.isoformat()}."]},
        )
    return own_planned_at


@lru_cache(maxsize=32)
def _holidays(country: str, year: int):
    return holidays.country_holidays(country, years=year)


def is_business_day(day: date, country: str = "RU") -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_business_days(start: date, days: int, country: str = "RU") -> date:
    """`days` business days after `start` (weekends and the country's public holidays skipped)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current, country):
            remaining -= 1
    return current


def retry_deadline(failed_at: datetime, time_zone: str, business_days: int = 2, country: str = "RU") -> datetime:
    """A follow-up deadline N business days later, at the end of that local day."""
    zone = ZoneInfo(time_zone)
    day = add_business_days(failed_at.astimezone(zone).date(), business_days, country)
    # UTC inside (the module's rule): an answer made from this value reads the same as one read back later.
    return datetime.combine(day, time(23, 59, 59), zone).astimezone(UTC)


def should_escalate(missed_attempts: int, escalate_after: int = 3) -> bool:
    return missed_attempts >= escalate_after
