"""Every figure and the reward, hand-computed on a small fixed data set (October 2026), through the query
functions and through the API (JSON and CSV), with time-zone edges, a support correction and isolation."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import (
    ChannelLayout,
    Meeting,
    MeetingStatus,
    MorningCheck,
    OfferTarget,
    Recording,
    Task,
    TaskState,
    User,
    Violation,
    ViolationStatus,
)
from reports.figures import Selection, compute, totals, trend
from reports.periods import Period, period_of
from reports.rewards import RewardScheme, reward_of

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
SCHEME = RewardScheme(500, 3000, 300, {"default": 200, "reminder_call_missing": 300, "morning_check_missing": 300})


@pytest.fixture
def fleet(app, db, make_rep, plan_meeting_at):
    """ra (Moscow) and rb (New York) in team North, rc (Moscow) in South; see the module's expected figures."""
    ids = {"ra": make_rep("ra", "Europe/Moscow"), "rb": make_rep("rb", "America/New_York"),
           "rc": make_rep("rc", "Europe/Moscow")}
    meetings = {
        "m1": plan_meeting_at("ra", date(2026, 10, 5), "10:00"),
        "m2": plan_meeting_at("ra", date(2026, 10, 5), "14:00"),
        "m3": plan_meeting_at("ra", date(2026, 10, 6), "11:00"),
        "m4": plan_meeting_at("ra", date(2026, 10, 7), "12:00"),
        "m5": plan_meeting_at("ra", date(2026, 10, 8), "00:30"),  # 21:30 UTC on the 7th: Moscow's 8th
        "m6": plan_meeting_at("ra", date(2026, 10, 9), "10:00"),
        "m7": plan_meeting_at("rb", date(2026, 10, 31), "23:30"),  # 03:30 UTC on 1 November: still 31 October
        "m8": plan_meeting_at("rb", date(2026, 9, 30), "23:30"),  # 03:30 UTC on 1 October: September's
        "m9": plan_meeting_at("rc", date(2026, 10, 10), "10:00"),
    }
    with app.app_context(), db.transaction() as session:
        for name, region in (("ra", "North"), ("rb", "North"), ("rc", "South")):
            session.get_one(User, ids[name]).region = region
        get = {name: session.get_one(Meeting, meeting_id) for name, meeting_id in meetings.items()}

        def state(name, status, caused_by=None, presented=(), accepted=()):
            meeting = get[name]
            meeting.status, meeting.caused_by = status, caused_by
            meeting.offers_presented, meeting.offers_accepted = list(presented), list(accepted)

        state("m1", MeetingStatus.completed, presented=["card", "deposit"], accepted=["card"])
        state("m2", MeetingStatus.cancelled, "client")
        state("m3", MeetingStatus.cancelled, "rep")
        state("m4", MeetingStatus.completed, "client", presented=["card"], accepted=["card"])
        state("m5", MeetingStatus.client_no_show)
        state("m6", MeetingStatus.rescheduled, "rep")
        state("m7", MeetingStatus.completed)
        state("m8", MeetingStatus.completed)
        state("m9", MeetingStatus.failed)

        def call(name, minutes_before):
            task = session.scalar(select(Task).where(Task.meeting_id == meetings[name]))
            task.state, task.completed_at = TaskState.done, get[name].starts_at - timedelta(minutes=minutes_before)

        call("m1", 60)  # in the window (start - 60 min +- 15)
        call("m4", 30)  # outside the window, before the start
        call("m6", 50)
        call("m7", 70)
        call("m8", 60)
        for name, adherence in (("m1", 0.8), ("m7", 0.6)):
            meeting = get[name]
            session.add(Recording(id=f"rec{name}".ljust(32, "0"), meeting_id=meeting.id, rep_id=meeting.rep_id,
                                  object_key=f"k/{name}", size_bytes=1, sha256="0" * 64, layout=ChannelLayout.mono,
                                  call_started_at=meeting.starts_at - timedelta(hours=1), adherence=adherence,
                                  analysed_at=meeting.starts_at))
        session.flush()
        ra = ids["ra"]

        def violation(criterion, status, source="bot", meeting=None, recording=None, key=None):
            session.add(Violation(rep_id=get[meeting].rep_id if meeting else ra, criterion=criterion, status=status,
                                  source=source, meeting_id=get[meeting].id if meeting else None,
                                  recording_id=recording, dedupe_key=key))

        rec1 = "recm1".ljust(32, "0")
        violation("passport_reminder", ViolationStatus.confirmed, meeting="m1", recording=rec1)
        violation("greeting", ViolationStatus.flagged, meeting="m1", recording=rec1)  # awaiting QA: not counted
        violation("forced_location", ViolationStatus.dismissed, meeting="m1", recording=rec1)  # dismissed
        violation("reminder_call_off_window", ViolationStatus.flagged, "system", meeting="m4",
                  key=f"reminder_call_off_window:meeting:{get['m4'].id}")
        violation("reminder_call_missing", ViolationStatus.flagged, "system", meeting="m5",
                  key=f"reminder_call_missing:meeting:{get['m5'].id}")
        violation("morning_check_failed", ViolationStatus.flagged, "system",
                  key=f"morning_check_failed:{ra}:2026-10-06")
        violation("morning_check_missing", ViolationStatus.flagged, "system",
                  key=f"morning_check_missing:{ra}:2026-10-07")
        violation("morning_check_missing", ViolationStatus.flagged, "system",  # November: outside the period
                  key=f"morning_check_missing:{ra}:2026-11-02")
        moscow = ZoneInfo("Europe/Moscow")
        for day in (date(2026, 10, 5), date(2026, 10, 6)):
            submitted = datetime.combine(day, time(8, 30), moscow)
            session.add(MorningCheck(rep_id=ra, day=day, selfie_uploaded_at=submitted,
                                     checklist_submitted_at=submitted))
        session.add(OfferTarget(rep_id=ra, month=date(2026, 10, 1), offers_presented=3, offers_accepted=2))
    return {**ids, **meetings}


def _figures(app, db, selection):
    with app.app_context(), db.transaction() as session:
        return [row.as_dict() for row in compute(session, selection, NOW)]


def _subset(row, **expected):
    return {name: row[name] for name in expected}


def test_every_figure_of_a_rep_for_a_month(app, db, fleet):
    [ra] = _figures(app, db, Selection(OCTOBER, "rep", rep_id=fleet["ra"]))
    expected = dict(
        planned=6, completed=2, cancelled=2, cancelled_by_client=1, cancelled_by_rep=1, rescheduled_by_client=1,
        rescheduled_by_rep=1, no_shows=1, failed=0, cancellation_rate=round(1 / 6, 4),
        cancellation_rate_raw=round(2 / 6, 4), reminder_calls_owed=4, reminder_calls_on_time=2,
        reminder_calls_off_window=1, reminder_calls_missing=1, morning_checks_submitted=2, morning_checks_on_time=1,
        morning_checks_missing=1, morning_checks_failed=1, calls_analysed=1, adherence=0.8, violations=5,
        call_violations=1, violations_per_100_calls=100.0, offers_presented=3, offers_accepted=2,
        offers_presented_target=3.0, offers_accepted_target=2.0, label="Test ra")
    assert _subset(ra, **expected) == expected
    assert ra["violations_by_criterion"] == {"morning_check_failed": 1, "morning_check_missing": 1,
                                             "passport_reminder": 1, "reminder_call_missing": 1,
                                             "reminder_call_off_window": 1}


def test_team_and_overall_add_up_the_reps(app, db, fleet):
    teams = {row["key"]: row for row in _figures(app, db, Selection(OCTOBER, "team"))}
    north = dict(planned=7, completed=3, calls_analysed=2, adherence=0.7, call_violations=1,
                 violations_per_100_calls=50.0, reminder_calls_owed=5, reminder_calls_on_time=3)
    assert _subset(teams["North"], **north) == north
    south = dict(planned=1, failed=1, reminder_calls_owed=1, reminder_calls_missing=1, adherence=None)
    assert _subset(teams["South"], **south) == south
    [overall] = _figures(app, db, Selection(OCTOBER, "all"))
    whole = dict(key="all", planned=8, completed=3, failed=1, reminder_calls_missing=2, violations=5)
    assert _subset(overall, **whole) == whole
    only_north = _figures(app, db, Selection(OCTOBER, "rep", team="North"))
    assert sorted(row["label"] for row in only_north) == ["Test ra", "Test rb"]


def test_local_days_decide_the_period(app, db, fleet):
    """23:30 in New York on 31 October is 03:30 UTC on 1 November: it is October's (and that day's)."""
    rb = fleet["rb"]
    [october] = _figures(app, db, Selection(OCTOBER, "rep", rep_id=rb))
    assert (october["planned"], october["completed"]) == (1, 1)
    [last_day] = _figures(app, db, Selection(period_of("day", date(2026, 10, 31)), "rep", rep_id=rb))
    assert last_day["planned"] == 1
    assert _figures(app, db, Selection(period_of("day", date(2026, 11, 1)), "rep", rep_id=rb)) == []
    [september] = _figures(app, db, Selection(period_of("month", date(2026, 9, 15)), "rep", rep_id=rb))
    assert september["planned"] == 1
    # 00:30 in Moscow on 8 October is 21:30 UTC on the 7th: the 8th's
    days = {row["day"]: row["planned"] for row in
            _figures(app, db, Selection(OCTOBER, "rep", rep_id=fleet["ra"], by_day=True))}
    assert days == {date(2026, 10, 5): 2, date(2026, 10, 6): 1, date(2026, 10, 7): 1, date(2026, 10, 8): 1,
                    date(2026, 10, 9): 1}


def test_a_week_gets_its_days_share_of_the_monthly_target_and_trends_bucket_by_week(app, db, fleet):
    week = period_of("week", date(2026, 10, 8))
    assert (week.first, week.last) == (date(2026, 10, 5), date(2026, 10, 11))
    [ra] = _figures(app, db, Selection(week, "rep", rep_id=fleet["ra"]))
    assert ra["planned"] == 6 and ra["offers_presented_target"] == round(3 * 7 / 31, 2)
    with app.app_context(), db.transaction() as session:
        weeks = trend(session, Selection(OCTOBER, "all"), "week", NOW)
        assert [(row.day, int(row.counts["planned"])) for row in weeks] == [(date(2026, 10, 5), 7),
                                                                             (date(2026, 10, 26), 1)]
        assert totals(session, Selection(OCTOBER, "rep", team="South"), NOW).counts["planned"] == 1


def _reward(app, db, rep_id):
    with app.app_context(), db.transaction() as session:
        rep = session.get_one(User, rep_id)
        manager = session.scalar(select(User).where(User.username == "manager"))
        return reward_of(session, manager, rep, OCTOBER, SCHEME, NOW)


def test_the_reward_line_by_line(app, db, fleet):
    reward = _reward(app, db, fleet["ra"])
    assert [(line.kind, line.criterion, line.quantity, line.amount) for line in reward.lines] == [
        ("completed_meetings", None, 2, 1000),
        ("client_changes", None, 1, 0),  # the client's cancellation does not cut the reward
        ("rep_changes", None, 2, -600),
        ("offer_bonus", None, 1, 3000),
        ("violation", "morning_check_failed", 1, -200),
        ("violation", "morning_check_missing", 1, -300),
        ("violation", "passport_reminder", 1, -200),
        ("violation", "reminder_call_missing", 1, -300),
        ("violation", "reminder_call_off_window", 1, -200),
    ]
    assert reward.total == 2200
    assert {item["meeting_id"]: item["counts_as"] for item in reward.meetings} == {
        fleet["m1"]: "completed", fleet["m2"]: "client_change", fleet["m3"]: "rep_change",
        fleet["m4"]: "completed", fleet["m6"]: "rep_change"}


def _correct(client, headers, meeting_id, **body):
    etag = client.get(f"/api/v1/meetings/{meeting_id}", headers=headers).headers["ETag"]
    return client.post(f"/api/v1/meetings/{meeting_id}/corrections", headers={**headers, "If-Match": etag}, json=body)


def test_a_support_correction_changes_the_reward_at_once(app, db, client, login, fleet):
    made = _correct(client, login("support"), fleet["m3"], caused_by="client", reason="The client cancelled")
    assert made.status_code == 201, made.json
    reward = _reward(app, db, fleet["ra"])
    assert reward.total == 2500
    assert [line.quantity for line in reward.lines if line.kind in ("client_changes", "rep_changes")] == [2, 1]
    item = next(item for item in reward.meetings if item["meeting_id"] == fleet["m3"])
    assert item["counts_as"] == "client_change" and item["corrections"] == [made.json[0]["id"]]
    [ra] = _figures(app, db, Selection(OCTOBER, "rep", rep_id=fleet["ra"]))
    assert (ra["cancelled_by_rep"], ra["cancellation_rate"], ra["cancellation_rate_raw"]) == (0, 0.0, round(2 / 6, 4))


def test_the_api_gives_json_and_csv_to_a_manager(client, login, fleet):
    manager = login("manager")
    query = "period=month&day=2026-10-15"
    answer = client.get(f"/api/v1/reports/figures?{query}&group_by=team", headers=manager)
    assert answer.status_code == 200, answer.json
    assert {row["key"]: row["planned"] for row in answer.json["rows"]} == {"North": 7, "South": 1}
    assert answer.json["totals"]["planned"] == 8 and answer.json["period"] == {"first": "2026-10-01",
                                                                               "last": "2026-10-31"}
    exported = client.get(f"/api/v1/reports/figures.csv?{query}&team=North", headers=manager)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {row["label"]: row["planned"] for row in rows} == {"Test ra": "6", "Test rb": "1"}
    assert rows[0]["violations:passport_reminder"] == "1"
    trend_answer = client.get(f"/api/v1/reports/trend?{query}&group_by=all&grain=week", headers=manager)
    assert trend_answer.status_code == 200
    reward = client.get(f"/api/v1/reports/rewards?{query}&rep_id={fleet['ra']}", headers=manager)
    assert reward.status_code == 200 and reward.json["total"] == 2200
    lines = client.get(f"/api/v1/reports/rewards.csv?{query}&rep_id={fleet['ra']}", headers=manager)
    assert lines.status_code == 200 and lines.get_data(as_text=True).splitlines()[-1] == "total,Total,,,,2200"


def test_bad_ranges_are_a_clear_422(client, login, fleet):
    manager = login("manager")
    for query, field in (("period=range&date_from=2026-10-10", "date_to"),
                         ("period=range&date_from=2026-10-10&date_to=2026-10-01", "date_to"),
                         ("period=range&date_from=2025-01-01&date_to=2026-10-01", "date_to"),
                         ("period=month&date_from=2026-10-01", "period"),
                         ("period=year", "period"), ("group_by=city", "group_by"), ("day=1999-01-01", "day")):
        answer = client.get(f"/api/v1/reports/figures?{query}", headers=manager)
        assert answer.status_code == 422, query
        assert field in str(answer.json["errors"]), (query, answer.json)
    ok = client.get("/api/v1/reports/figures?period=range&date_from=2026-10-01&date_to=2026-10-31",
                    headers=manager)
    assert ok.status_code == 200


def test_a_rep_sees_only_their_own_figures_and_reward(client, login, fleet):
    own = login("ra")
    query = "period=month&day=2026-10-15"
    mine = client.get(f"/api/v1/reports/figures?{query}&group_by=team", headers=own)
    assert [row["key"] for row in mine.json["rows"]] == [str(fleet["ra"])]
    assert client.get(f"/api/v1/reports/figures?{query}&rep_id={fleet['rb']}", headers=own).status_code == 404
    assert client.get(f"/api/v1/reports/figures?{query}&team=North", headers=own).status_code == 404
    assert client.get(f"/api/v1/reports/rewards?{query}", headers=own).json["total"] == 2200
    assert client.get(f"/api/v1/reports/rewards?{query}&rep_id={fleet['rb']}", headers=own).status_code == 404
    assert client.get(f"/api/v1/reports/rewards.csv?{query}&rep_id={fleet['rb']}", headers=own).status_code == 404
    manager = login("manager")
    assert client.get(f"/api/v1/reports/rewards?{query}", headers=manager).status_code == 404  # name the rep
    assert client.get(f"/api/v1/reports/rewards?{query}&rep_id=999999", headers=manager).status_code == 404
    assert client.get(f"/api/v1/reports/figures?{query}&team=Nowhere", headers=manager).status_code == 404
    for role in ("qa", "support"):
        assert client.get(f"/api/v1/reports/figures?{query}", headers=login(role)).status_code == 403
        assert client.get(f"/api/v1/reports/rewards.csv?{query}", headers=login(role)).status_code == 403



def test_the_dashboard_and_its_csv_are_for_managers(app, client, fleet):
    from tests.console.test_console_base import log_in

    reviewer = app.test_client()
    assert log_in(reviewer, "qa").status_code == 302
    assert reviewer.get("/console/reports/").status_code == 403
    assert reviewer.get("/console/reports/figures.csv").status_code == 403
    assert log_in(client, "manager").status_code == 302
    page = client.get("/console/reports/?period=month&day=2026-10-15")
    assert page.status_code == 200 and page.data.count(b"<svg") == 3 and b"North" in page.data
    exported = client.get("/console/reports/figures.csv?period=month&day=2026-10-15&group_by=team")
    assert exported.mimetype == "text/csv" and exported.get_data(as_text=True).count("\r\n") == 3
    assert client.get("/console/reports/?period=range&date_from=2026-10-10").status_code == 422
