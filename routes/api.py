"""Route plans and meetings: planning and import (managers), the day's route with ETag, the
lifecycle, place changes, and the "changes since" sync for phones on flaky networks."""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint, Page

from accounts.auth import ALL_ROLES, polled_read, roles_required, viewer
from api.context import app_settings, database, db_session, services
from api.contract import ETAG, errors, requires_if_match, takes_if_none_match
from api.fields import ID_PATH
from api.idempotency import idempotent
from api.lean import json_response, lean_query, no_query
from errors import Invalid
from models import Role
from routes import importer, reads, service
from routes.schemas import (
    IMPORT_FORMATS,
    ImportFileSchema,
    ImportReportSchema,
    MeetingQuerySchema,
    MeetingSchema,
    MeetingUpdateSchema,
    PlaceChangeSchema,
    RouteSchema,
    SyncQuerySchema,
    SyncSchema,
    TransitionSchema,
)
from routes.sync_tokens import SyncTokens
from storage.raw_reads import read_connection

blp = Blueprint("meetings", __name__, url_prefix="/api/v1", description="Route plans and meetings")
PLANNERS = (Role.manager,)
EDITORS = (Role.manager, Role.support)



def _tolerance() -> timedelta:
    return timedelta(minutes=app_settings().reminder_tolerance_minutes)


def _with_etag(meeting, status: int = 200):
    return meeting, status, {"ETag": f'"{service.meeting_etag(meeting)}"'}


@blp.route("/route")
class Route(MethodView):
    @polled_read(*ALL_ROLES)
    @takes_if_none_match
    @lean_query(blp, MeetingQuerySchema, no_query)
    @blp.response(200, RouteSchema, headers=ETAG)
    @blp.alt_response(304, description="Not modified since the ETag in If-None-Match", headers=ETAG)
    @errors(404)
    def get(self, query):
        """A rep's route for a day (default: today in the rep's zone). Send If-None-Match to get 304.

        Not paginated: one rep's one day is bounded (the meetings list, `/meetings`, pages the same day)."""
        with read_connection(database().engine) as connection:
            route = reads.day_bounds(connection, viewer(), day=query.get("day"), rep_id=query.get("rep_id"))
            # If-None-Match compares weakly (RFC 9110 13.1.2); the 304 is decided on (id, version) alone
            if request.if_none_match and request.if_none_match.contains_weak(
                    etag := reads.route_etag(connection, route)):
                response = Response(status=304)
                response.set_etag(etag)
                return response
            body, etag = reads.route_body(connection, route)
        return json_response(body, {"ETag": f'"{etag}"', "Cache-Control": "private, no-cache"})


@blp.route("/meetings")
class Meetings(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(MeetingQuerySchema, location="query")
    @blp.response(200, MeetingSchema(many=True))
    @blp.paginate(Page)
    @errors(404)
    def get(self, query):
        """The meetings of a day (default: today in the rep's time zone), in time order, paged like every list
        (50 a page by default). `/route` is the same day unpaged, with its ETag."""
        return service.meetings_of_day(db_session(), current_user, day=query.get("day"), rep_id=query.get("rep_id"))

    @roles_required(*PLANNERS)
    @idempotent
    @blp.arguments(MeetingSchema)
    @blp.response(201, MeetingSchema, headers=ETAG)
    @errors(e409="The rep already has a meeting at that time")
    def post(self, data):
        """Plan a meeting on a rep's route; its reminder-call task is created with it."""
        session = db_session()
        meeting = service.plan_meeting(session, current_user, data, _tolerance())
        session.flush()
        return _with_etag(meeting, 201)


@blp.route("/meetings/import")
class MeetingImport(MethodView):
    @roles_required(*PLANNERS)
    @idempotent
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportReportSchema)
    @blp.doc(description=IMPORT_FORMATS)
    def post(self, files):
        """Import route plans from a CSV or JSON file; good rows are planned, rejected rows listed with why."""
        upload = files["file"]
        if not hasattr(upload, "read"):
            raise Invalid("Send the plan as a file part named `file`.", errors={"file": ["Not a file."]})
        try:
            content = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("The file must be UTF-8 text (CSV or JSON).", errors={"file": ["Not UTF-8."]}) from None
        is_json = (upload.filename or "").lower().endswith(".json") or "json" in (upload.mimetype or "")
        kind = "json" if is_json else "csv"
        session = db_session()
        report = importer.import_rows(session, current_user, importer.parse_rows(content, kind))
        session.flush()
        return report


_PLAIN_TOKEN = re.compile(r"since=([A-Za-z0-9_=-]+)")  # a token as issued (urlsafe base64), nothing escaped


def _plain_since(query_string: str) -> dict[str, Any] | None:
    if not query_string:
        return {}
    match = _PLAIN_TOKEN.fullmatch(query_string)
    return {"since": match.group(1)} if match else None


@functools.lru_cache(maxsize=8)
def _sync_tokens(secret_key: str) -> SyncTokens:
    return SyncTokens(secret_key)


@blp.route("/meetings/changes")
class MeetingChanges(MethodView):
    @polled_read(*ALL_ROLES)
    @lean_query(blp, SyncQuerySchema, _plain_since)
    @blp.response(200, SyncSchema)
    @blp.alt_response(410, description="The token cannot be served (too old, malformed or another user's): "
                                       "reload in full (call without `since`)")
    @errors(404)
    def get(self, query):
        """Meetings new, changed or cancelled since `since`, ids of deleted ones, and the next token."""
        with read_connection(database().engine) as connection:
            rep = service.rep_of(connection, viewer(), query.get("rep_id"))
            page = service.sync_page(connection, viewer(), rep, query.get("since"),
                                     tokens=_sync_tokens(services().secret_key))
            body = reads.sync_body(connection, page, one_rep=rep is not None)
        return json_response(body)


@blp.route(f"/meetings/<{ID_PATH}:meeting_id>")
class MeetingItem(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.response(200, MeetingSchema, headers=ETAG)
    def get(self, meeting_id):
        """One meeting (a rep: only their own); its ETag goes into If-Match of a change."""
        return _with_etag(service.get_meeting(db_session(), current_user, meeting_id))

    @roles_required(*EDITORS)
    @requires_if_match
    @blp.arguments(MeetingUpdateSchema)
    @blp.response(200, MeetingSchema, headers=ETAG)
    @errors(e409="The meeting can no longer be edited, or the new interval overlaps another meeting, or someone "
                 "saved a change at the same moment (`concurrent_change`)")
    def patch(self, changes, meeting_id):
        """Change a meeting's client details or interval (send If-Match with the ETag you read)."""
        session = db_session()
        meeting = service.get_meeting(session, current_user, meeting_id)
        service.update_meeting(session, current_user, meeting, changes, request.headers.get("If-Match"), _tolerance())
        session.commit()
        return _with_etag(meeting)

    @roles_required(*PLANNERS)
    @requires_if_match
    @blp.response(204)
    @errors(e409="Someone saved a change at the same moment (`concurrent_change`)")
    def delete(self, meeting_id):
        """Take a meeting off the route (phones learn of it through the sync)."""
        session = db_session()
        meeting = service.get_meeting(session, current_user, meeting_id)
        service.delete_meeting(session, current_user, meeting, request.headers.get("If-Match"))
        session.commit()


@blp.route(f"/meetings/<{ID_PATH}:meeting_id>/transitions")
class MeetingTransitions(MethodView):
    @roles_required(Role.rep, *EDITORS)
    @idempotent
    @requires_if_match
    @blp.arguments(TransitionSchema)
    @blp.response(200, MeetingSchema, headers=ETAG)
    @errors(e409="Not allowed from the current state (`allowed` lists what is, `status_now` the state), not yet "
                 "(too early for the clock), the new interval overlaps, or a concurrent change")
    def post(self, body, meeting_id):
        """Move a meeting through its lifecycle: confirm, start, complete (offers presented/accepted),
        cancel (caused_by, reason), reschedule (caused_by, new interval), no_show, fail (reason)."""
        session = db_session()
        meeting = service.get_meeting(session, current_user, meeting_id)
        action = body.pop("action")
        service.transition(session, current_user, meeting, action, body, request.headers.get("If-Match"), _tolerance())
        session.flush()
        return _with_etag(meeting)


@blp.route(f"/meetings/<{ID_PATH}:meeting_id>/place")
class MeetingPlace(MethodView):
    @roles_required(Role.rep, *EDITORS)
    @idempotent
    @requires_if_match
    @blp.arguments(PlaceChangeSchema)
    @blp.response(200, MeetingSchema, headers=ETAG)
    @errors(e409="Only a client's request moves a meeting, and only an active meeting moves")
    def post(self, body, meeting_id):
        """Move the meeting to another place; allowed only when the client asked for it."""
        session = db_session()
        meeting = service.get_meeting(session, current_user, meeting_id)
        service.change_place(session, current_user, meeting, address=body["address"],
                             requested_by=body["requested_by"], latitude=body.get("latitude"),
                             longitude=body.get("longitude"), if_match=request.headers.get("If-Match"))
        session.flush()
        return _with_etag(meeting)
