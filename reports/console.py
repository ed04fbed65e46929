"""The managers' dashboard on the console base: the period's figures per team and per rep, three plots drawn
on the server (the cancellation-rate trend, violations by criterion, reminder-call discipline by team) and the
CSV export. The same query functions as the JSON API."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request

from api.context import db_session
from console import NavEntry, current_user, install, roles
from errors import Invalid
from models import Role, User, utcnow
from reports import figures, plots, service
from reports.figures import Selection
from reports.periods import MAX_DAYS, PERIODS
from routes.service import today_for

bp = Blueprint("reports_console", __name__, url_prefix="/console/reports", template_folder="templates")
MANAGERS = (Role.manager,)
install(bp, nav=[NavEntry("Figures", "reports_console.dashboard", MANAGERS)])


def _query(user: User) -> dict:
    """The page's filters; by default the last four weeks up to today."""
    args = request.args
    if "period" not in args:
        today = today_for(user)
        return {"period": "range", "date_from": today - timedelta(days=27), "date_to": today,
                **({"team": args["team"]} if args.get("team") else {})}
    query: dict = {"period": args.get("period") if args.get("period") in PERIODS else "month"}
    for name in ("day", "date_from", "date_to"):
        try:
            if args.get(name):
                query[name] = date.fromisoformat(args[name])
        except ValueError:
            pass
    if query["period"] == "range":
        first, last = query.get("date_from"), query.get("date_to")
        if first is None or last is None or last < first or (last - first).days >= MAX_DAYS:
            raise Invalid("Choose a range of at most a year: a first day and a last day after it.")
    else:
        query.pop("date_from", None), query.pop("date_to", None)
    if args.get("team"):
        query["team"] = args["team"]
    return query


@bp.get("/")
@roles(*MANAGERS)
def dashboard():
    session, now, user = db_session(), utcnow(), current_user()
    assert user is not None
    query = _query(user)
    base = service.selection_for(session, user, query, now)
    by_team = figures.compute(session, Selection(base.period, "team", team=base.team), now)
    by_rep = figures.compute(session, Selection(base.period, "rep", team=base.team), now)
    whole = figures.totals(session, base, now)
    grain = "day" if base.period.days <= 31 else "week"
    series = figures.trend(session, Selection(base.period, "all", team=base.team), grain, now)
    trend_chart = plots.line_chart(
        "cancellation rate", [row.day.isoformat()[5:] for row in series if row.day],
        {"caused by the rep": [row.cancellation_rate for row in series],
         "all cancellations": [row.cancellation_rate_raw for row in series]})
    criteria = sorted(whole.violations_by_criterion.items(), key=lambda item: -item[1])
    violations_chart = plots.stacked_bars("violations by criterion",
                                          [(name, {"violations": count}) for name, count in criteria],
                                          ["violations"])
    discipline_chart = plots.stacked_bars(
        "reminder-call discipline by team",
        [(row.label, {"on time": row.counts["reminder_calls_on_time"],
                      "off window": row.counts["reminder_calls_off_window"],
                      "missing": row.counts["reminder_calls_missing"]}) for row in by_team],
        ["on time", "off window", "missing"])
    return render_template("reports/dashboard.html", query=query, period=base.period, teams=figures.teams(session),
                           by_team=[row.as_dict() for row in by_team], by_rep=[row.as_dict() for row in by_rep],
                           whole=whole.as_dict(), trend_chart=trend_chart, violations_chart=violations_chart,
                           discipline_chart=discipline_chart, args=request.args, grain=grain)


@bp.get("/figures.csv")
@roles(*MANAGERS)
def figures_csv():
    session, now, user = db_session(), utcnow(), current_user()
    assert user is not None
    query = {**_query(user), "group_by": request.args.get("group_by") if request.args.get("group_by") in figures.GROUPS
             else "rep"}
    selection = service.selection_for(session, user, query, now)
    name = f"figures-{selection.period.first}-{selection.period.last}.csv"
    return Response(service.figures_csv(figures.compute(session, selection, now)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
