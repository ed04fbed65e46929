from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from errors import Invalid
from reps.deadlines import (
    add_business_days,
    check_own_planned_time,
    end_of_deadline_day,
    is_business_day,
    is_expired,
    reminder_call_window,
    retry_deadline,
    should_escalate,
)

MOSCOW, VLADIVOSTOK = "Europe/Moscow", "Asia/Vladivostok"


@pytest.mark.parametrize("zone", [MOSCOW, VLADIVOSTOK])
def test_a_task_is_workable_until_235959_of_the_deadline_day_in_the_owners_zone(zone):
    local = ZoneInfo(zone)
    deadline = datetime(2026, 11, 25, 14, 0, tzinfo=local)
    last_second = datetime(2026, 11, 25, 23, 59, 59, tzinfo=local)
    midnight = datetime(2026, 11, 26, 0, 0, 0, tzinfo=local)
    assert not is_expired(deadline, zone, now=last_second)
    assert is_expired(deadline, zone, now=midnight)
    assert end_of_deadline_day(deadline, zone) == midnight


def test_the_same_instant_is_expired_in_one_zone_and_not_in_another():
    deadline = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 13:00 Moscow, 20:00 Vladivostok
    now = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # 18:30 Moscow, 01:30 next day Vladivostok
    assert not is_expired(deadline, MOSCOW, now)
    assert is_expired(deadline, VLADIVOSTOK, now)


def test_the_reminder_call_window():
    start = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo(MOSCOW))
    window = reminder_call_window(start)
    assert window.due_at == start - timedelta(hours=1)
    assert window.opens_at == start - timedelta(minutes=75) and window.closes_at == start - timedelta(minutes=45)
    assert window.deadline_at == start
    assert window.contains(start - timedelta(minutes=45)) and not window.contains(start - timedelta(minutes=44))
    wide = reminder_call_window(start, timedelta(minutes=30))
    assert wide.contains(start - timedelta(minutes=31))


def test_own_time_may_not_be_after_the_central_deadline():
    deadline = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert check_own_planned_time(deadline, deadline) == deadline
    assert check_own_planned_time(deadline - timedelta(hours=3), deadline)
    with pytest.raises(Invalid) as error:
        check_own_planned_time(deadline + timedelta(seconds=1), deadline)
    assert "own_planned_at" in error.value.errors and "deadline" in error.value.message


def test_business_days_skip_weekends_and_russian_holidays():
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday -> Monday
    assert not is_business_day(date(2026, 11, 4))  # Unity Day
    assert add_business_days(date(2026, 11, 3), 1) == date(2026, 11, 5)
    assert add_business_days(date(2026, 12, 30), 2) > date(2027, 1, 8)  # New Year holidays
    assert add_business_days(date(2026, 11, 25), 0) == date(2026, 11, 25)


def test_retry_in_two_business_days_ends_that_local_day_and_escalation():
    failed = datetime(2026, 11, 27, 15, 0, tzinfo=ZoneInfo(MOSCOW))  # Friday
    deadline = retry_deadline(failed, MOSCOW, 2)
    assert deadline == datetime(2026, 12, 1, 23, 59, 59, tzinfo=ZoneInfo(MOSCOW))
    assert not should_escalate(2) and should_escalate(3)
