"""Meetings on the route: a rep reads their day; staff read anyone's."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from accounts.auth import ALL_ROLES, roles_required
from api.fields import ID_PATH
from routes import service
from routes.schemas import MeetingQuerySchema, MeetingSchema

blp = Blueprint("meetings", __name__, url_prefix="/api/v1/meetings", description="Meetings on a rep's route")


def _session():
    return current_app.extensions["fieldrep_db"].session


@blp.route("")
class Meetings(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(MeetingQuerySchema, location="query")
    @blp.response(200, MeetingSchema(many=True))
    def get(self, query):
        """The meetings of a day (default: today in the rep's time zone), in time order."""
        return service.meetings_of_day(_session(), current_user, day=query.get("day"), rep_id=query.get("rep_id"))


@blp.route(f"/<{ID_PATH}:meeting_id>")
class MeetingItem(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.response(200, MeetingSchema)
    def get(self, meeting_id):
        """One meeting (a rep: only their own)."""
        return service.get_meeting(_session(), current_user, meeting_id)
