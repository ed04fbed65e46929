"""Figures for managers and reps' rewards over HTTP, as JSON and CSV. Routes only translate: the queries are
in reports.figures and reports.rewards, who sees what in reports.service."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from accounts.auth import roles_required
from api.context import app_settings, db_session
from api.contract import ETAG, errors, requires_if_match
from api.fields import ID_PATH
from api.idempotency import idempotent
from api.pagination import SelectPage
from models import Role, utcnow
from reports import figures, rewards, service, targets
from reports.schemas import (
    OfferTargetChangeSchema,
    OfferTargetQuerySchema,
    OfferTargetSchema,
    ReportFiguresSchema,
    ReportPeriodQuerySchema,
    ReportQuerySchema,
    ReportTrendQuerySchema,
    ReportTrendSchema,
    RewardSchema,
)

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Figures for managers (per rep, team or overall, by the reps' local days) and reps' "
                            "rewards, as JSON or CSV")
READERS = (Role.manager, Role.rep)
CSV_DOC = {"responses": {200: {"description": "CSV (UTF-8, a header line, CRLF line ends)",
                               "content": {"text/csv": {"schema": {"type": "string"}}}}}}
NOT_FOUND = "No such rep or team, or not yours (a rep sees only their own figures)"


def _figures(query):
    session, now = db_session(), utcnow()
    selection = service.selection_for(session, current_user, query, now)
    return selection, figures.compute(session, selection, now), figures.totals(session, selection, now)


@blp.route("/figures", methods=["GET"])
@roles_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportFiguresSchema)
@errors(e404=NOT_FOUND)
def figures_report(query):
    selection, rows, totals = _figures(query)
    return {"period": {"first": selection.period.first, "last": selection.period.last},
            "group_by": selection.group_by, "rows": [row.as_dict() for row in rows], "totals": totals.as_dict()}


@blp.route("/figures.csv", methods=["GET"])
@roles_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.doc(**CSV_DOC)
@errors(e404=NOT_FOUND)
def figures_report_csv(query):
    selection, rows, _totals = _figures(query)
    name = f"figures-{selection.period.first}-{selection.period.last}.csv"
    return Response(service.figures_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/trend", methods=["GET"])
@roles_required(*READERS)
@blp.arguments(ReportTrendQuerySchema, location="query")
@blp.response(200, ReportTrendSchema)
@errors(e404=NOT_FOUND)
def figures_trend(query):
    session, now = db_session(), utcnow()
    selection = service.selection_for(session, current_user, query, now)
    rows = figures.trend(session, selection, query["grain"], now)
    return {"period": {"first": selection.period.first, "last": selection.period.last},
            "group_by": selection.group_by, "grain": query["grain"], "rows": [row.as_dict() for row in rows]}


def _reward(query):
    session, now = db_session(), utcnow()
    rep = service.rep_for(session, current_user, query.get("rep_id"))
    period = service.period_for(current_user, query, now)
    return rewards.reward_of(session, current_user, rep, period, rewards.RewardScheme.from_settings(app_settings()),
                             now)


@blp.route("/rewards", methods=["GET"])
@roles_required(*READERS)
@blp.arguments(ReportPeriodQuerySchema, location="query")
@blp.response(200, RewardSchema)
@errors(e404="No such rep, or not yours; a manager names the rep (rep_id)")
def reward_report(query):
    return service.reward_dict(_reward(query))


@blp.route("/rewards.csv", methods=["GET"])
@roles_required(*READERS)
@blp.arguments(ReportPeriodQuerySchema, location="query")
@blp.doc(**CSV_DOC)
@errors(e404="No such rep, or not yours; a manager names the rep (rep_id)")
def reward_report_csv(query):
    reward = _reward(query)
    name = f"reward-{reward.rep_id}-{reward.period.first}-{reward.period.last}.csv"
    return Response(service.reward_csv(reward), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- offer targets -------------------------------------------------------------------------------------------

def _target(target, status: int = 200):
    return target, status, {"ETag": f'"{targets.target_etag(target)}"'}


@blp.route("/targets")
class OfferTargets(MethodView):
    @roles_required(*READERS)
    @blp.arguments(OfferTargetQuerySchema, location="query")
    @blp.response(200, OfferTargetSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query):
        """Personal-offer targets per rep and month, newest month first (a rep: their own)."""
        return targets.targets_of(current_user, rep_id=query.get("rep_id"), month=query.get("month"))

    @roles_required(Role.manager)
    @idempotent
    @blp.arguments(OfferTargetSchema)
    @blp.response(201, OfferTargetSchema, headers=ETAG)
    @errors(e404="No such rep", e409="The rep already has a target for that month: change it with PATCH")
    def post(self, body):
        """Set a rep's targets for a month (offers presented and accepted); the figures and the reward's
        target bonus count against them from now on."""
        return _target(targets.set_target(db_session(), body), 201)


@blp.route(f"/targets/<{ID_PATH}:target_id>")
class OfferTargetItem(MethodView):
    @roles_required(*READERS)
    @blp.response(200, OfferTargetSchema, headers=ETAG)
    @errors(e404="No such target, or not yours")
    def get(self, target_id):
        """One target; its ETag goes into If-Match of a change."""
        return _target(targets.get_target(db_session(), current_user, target_id))

    @roles_required(Role.manager)
    @requires_if_match
    @blp.arguments(OfferTargetChangeSchema)
    @blp.response(200, OfferTargetSchema, headers=ETAG)
    @errors(e404="No such target")
    def patch(self, changes, target_id):
        """Change a target (send If-Match with the ETag you read)."""
        session = db_session()
        target = targets.get_target(session, current_user, target_id)
        targets.check_if_match(target, request.headers.get("If-Match"))
        targets.change_target(target, changes)
        session.commit()
        return _target(target)
