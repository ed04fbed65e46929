"""How long a team's month report takes on a fleet's history, on SQLite and on a throw-away PostgreSQL.

The fleet is benchmarks/read_dataset.py's (8 meetings a working day per rep, a reminder call each, a
violation in ten), split into teams of 100 reps, with one meeting in 13 cancelled (by the client or the
rep, alternately) and one in 29 moved. The report is what the API's GET /reports/figures?team=...&period=month
runs: a row per rep of the team plus the team's totals (reports.figures.compute and totals).

    .venv/bin/python -m benchmarks.figures            # 200 reps x 6 months (~250,000 meetings), a few minutes
    .venv/bin/python -m benchmarks.figures --full     # 2,000 reps x 1 year (~5,000,000 meetings)
    .venv/bin/python -m benchmarks.figures --sqlite-only
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.read_dataset import Fleet, build
from reports.figures import Selection, compute, totals
from reports.periods import period_of
from storage.db import Database
from storage.migrations import upgrade_database

TEAM_SIZE = 100


def _prepare(url: str, fleet: Fleet) -> str:
    upgrade_database(url)
    started = time.perf_counter()
    counts = build(url, fleet, password_hash="unused")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE users SET region = 'Team ' || ((id - 1) / {TEAM_SIZE} + 1)"))
        connection.execute(text("UPDATE meetings SET status = 'cancelled', caused_by = CASE WHEN id % 2 = 0 "
                                "THEN 'client' ELSE 'rep' END WHERE id % 13 = 0"))
        connection.execute(text("UPDATE meetings SET caused_by = 'client' WHERE id % 29 = 0 AND caused_by IS NULL"))
        connection.execute(text("ANALYZE"))
    engine.dispose()
    print(f"  loaded {counts['meetings']:,} meetings, {counts['tasks']:,} tasks, {counts['violations']:,} violations "
          f"in {time.perf_counter() - started:.0f} s")
    return "Team 1"


def _time_report(url: str, team: str, month: date, runs: int) -> tuple[float, int]:
    database = Database(url)
    now = datetime.now(UTC)
    selection = Selection(period_of("month", month), "rep", team=team)
    timings, rows = [], 0
    for _ in range(runs):
        with database.transaction() as session:
            started = time.perf_counter()
            rows = len(compute(session, selection, now))
            totals(session, selection, now)
            timings.append(time.perf_counter() - started)
    database.dispose()
    return statistics.median(timings), rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="2,000 reps x a year (about 5 million meetings)")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--years", type=float, default=0.5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args(argv)
    reps, years = (2000, 1.0) if args.full else (args.reps, args.years)
    today = datetime.now(UTC).date()
    fleet = Fleet(reps=reps, years=years, today=today)
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last full month
    print(f"figures benchmark: {reps} reps x {years:g} years; a team ({TEAM_SIZE} reps)'s report for {month:%B %Y}")
    results = []
    with tempfile.TemporaryDirectory(prefix="fieldrep-figures-") as folder:
        url = f"sqlite:///{Path(folder) / 'fleet.sqlite'}"
        print("SQLite:")
        team = _prepare(url, fleet)
        results.append(("SQLite", *_time_report(url, team, month, args.runs)))
    if not args.sqlite_only:
        from tests.support.servers import postgres_server

        with postgres_server() as url:
            print(f"PostgreSQL ({make_url(url).get_backend_name()}):")
            team = _prepare(url, fleet)
            results.append(("PostgreSQL", *_time_report(url, team, month, args.runs)))
    print(f"{'database':<12}{'median s':>10}{'rep rows':>10}")
    for name, seconds, rows in results:
        print(f"{name:<12}{seconds:>10.3f}{rows:>10}")


if __name__ == "__main__":
    main()
