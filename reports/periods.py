"""Which local days a report covers: a day, the week (Monday to Sunday) or the month around a day, or any range.

Days are the rep's local days (a meeting's `route_day`, a morning check's `day`), so a meeting at 23:30
in the rep's zone belongs to that day whatever the UTC date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

PERIODS = ("day", "week", "month", "range")
GRAINS = ("day", "week", "month")
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def period_of(kind: str, day: date | None = None, date_from: date | None = None, date_to: date | None = None) -> Period:
    if kind == "range":
        assert date_from is not None and date_to is not None, "the schema requires both for a range"
        return Period(date_from, date_to)
    assert day is not None
    if kind == "day":
        return Period(day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6))
    first = day.replace(day=1)
    return Period(first, first.replace(day=calendar.monthrange(day.year, day.month)[1]))


def bucket_of(day: date, grain: str) -> date:
    """The first day of the day's bucket: itself, its week's Monday, or its month's first day."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def months_overlapping(period: Period) -> list[tuple[date, float]]:
    """Each month the period touches (its first day) and the share of that month inside the period."""
    shares, month = [], period.first.replace(day=1)
    while month <= period.last:
        length = calendar.monthrange(month.year, month.month)[1]
        month_last = month.replace(day=length)
        inside = (min(month_last, period.last) - max(month, period.first)).days + 1
        shares.append((month, inside / length))
        month = month_last + timedelta(days=1)
    return shares
