"""A rep's tasks (reminder calls and others) and the "today" overview."""

from __future__ import annotations

import functools

from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from accounts.auth import ALL_ROLES, polled_read, roles_required, viewer
from api.context import app_settings, database, db_session
from api.contract import errors
from api.fields import ID_PATH
from api.idempotency import idempotent
from api.lean import json_response
from api.pagination import SelectPage
from errors import Invalid, NotFound
from models import Role, TaskKind, User, utcnow
from reps import tasks as service
from reps import today
from reps.morning import deadline_at
from reps.schemas import (
    CallLogSchema,
    LoggedCallSchema,
    OwnTimeSchema,
    TaskCreateSchema,
    TaskDoneSchema,
    TaskQuerySchema,
    TaskSchema,
    TodaySchema,
)
from routes import service as routes_service
from storage.raw_reads import read_connection
from support.incidents import active_rows_for as active_incidents

_TODAY_HEAD = TodaySchema(exclude=("route", "open_tasks", "violations"))  # the lists come from reps.today
blp = Blueprint("tasks", __name__, url_prefix="/api/v1", description="Tasks with deadlines, reminder calls, today")



@blp.route("/tasks")
class Tasks(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query):
        """Tasks by deadline: a rep sees their own; staff filter by owner. Filter by state (repeatable)."""
        return service.list_tasks(db_session(), current_user, states=query.get("state"), owner_id=query.get("owner_id"))


@blp.route("/tasks", methods=["POST"])
@roles_required(Role.manager, Role.support, Role.rep)
@idempotent
@blp.arguments(TaskCreateSchema)
@blp.response(201, TaskSchema)
@errors(e404="No such meeting (meeting_id)")
def create_task(body):
    """Give someone a task (a callback or a follow-up) with a central deadline, or, as a rep, give yourself one.

    A rep's own task needs `remind_at`, the time the rep chooses to be reminded (not in the past, not after the
    task's expiry). A callback needs a number to call: its meeting's client, or `client_phone`."""
    session = db_session()
    if current_user.role == Role.rep:
        if body.get("owner_id", current_user.id) != current_user.id:  # ids are the caller's: no one else exists
            raise Invalid("No active user with that id.", errors={"owner_id": ["Unknown user."]})
        if body.get("remind_at") is None:
            raise Invalid("Choose when to be reminded of your task.",
                          errors={"remind_at": ["Required for a task you give yourself."]})
        owner = current_user
    else:
        if body.get("owner_id") is None:
            raise Invalid("Say whose task it is.", errors={"owner_id": ["Missing data for required field."]})
        owner = session.get(User, body["owner_id"])
        if owner is None or not owner.is_active:
            raise Invalid("No active user with that id.", errors={"owner_id": ["Unknown user."]})
    if body.get("meeting_id"):
        routes_service.get_meeting(session, current_user, body["meeting_id"])
    task = service.create_task(session, owner=owner, kind=TaskKind(body["kind"]), title=body["title"],
                               deadline_at=body["deadline_at"], meeting_id=body.get("meeting_id"),
                               note=body.get("note"), remind_at=body.get("remind_at"),
                               client_phone=body.get("client_phone"))
    session.flush()
    return task


@blp.route(f"/tasks/<{ID_PATH}:task_id>/done")
class TaskDone(MethodView):
    @roles_required(*ALL_ROLES)
    @idempotent
    @blp.arguments(TaskDoneSchema)
    @blp.response(200, TaskSchema)
    @errors(e409="The task is not open, or it is a call task (done by logging the call)")
    def post(self, body, task_id):
        """Mark a follow-up done (call tasks are done by logging the call)."""
        session = db_session()
        task = service.get_task(session, current_user, task_id)
        if current_user.role != Role.rep and task.owner_id != current_user.id:
            raise NotFound("No such task.")
        service.complete_task(task, body.get("note"))
        session.flush()
        return task


@blp.route(f"/tasks/<{ID_PATH}:task_id>")
class TaskItem(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """One task."""
        return service.get_task(db_session(), current_user, task_id)

    @roles_required(Role.rep, Role.manager)
    @blp.arguments(OwnTimeSchema)
    @blp.response(200, TaskSchema)
    @blp.alt_response(422, description="The own time is after the central deadline, the reminder is in the past or "
                                       "after the task expires, or no field was sent")
    @errors(e409="Only open tasks can be planned")
    def patch(self, body, task_id):
        """Set (or clear, with null) your own planned time (never after the central deadline) and your reminder
        (`remind_at`: not in the past, not after `expires_at`; the reminder is sent to you at that time)."""
        session = db_session()
        task = service.get_task(session, current_user, task_id)
        service.plan_task(task, body)
        session.commit()
        return task


@blp.route(f"/tasks/<{ID_PATH}:task_id>/call")
class TaskCall(MethodView):
    @roles_required(*ALL_ROLES)
    @idempotent
    @blp.arguments(CallLogSchema)
    @blp.response(201, LoggedCallSchema)
    @errors(e409="Not a call task, or the call is already logged")
    def post(self, body, task_id):
        """Log the call made for a call task: outcome and time (and the recording's id, if uploaded).

        Answers with the task as logged; `next_task` is what `not_reachable` leads to, else null. The decision
        tree (attempts counted along the chain; settings `follow_up_*`): the first reminder call missed before the
        meeting gets a retry call within a short deadline (before the start); a later miss gets a callback 2
        business days later (to the end of that local day; weekends and public holidays skipped); the 3rd missed
        attempt tells the managers by e-mail and gives the owner a follow-up to re-check the client 5 business
        days later. A call outside the window is recorded as `reminder_call_off_window`.
        """
        session = db_session()
        task = service.get_task(session, current_user, task_id)
        if task.owner_id != current_user.id:
            raise NotFound("No such task.")
        result = service.log_call(session, task, outcome=body["outcome"], called_at=body["called_at"],
                                  recording_id=body.get("recording_id"), note=body.get("note"),
                                  rules=service.FollowUpRules.of(app_settings()))
        session.flush()
        return result


@functools.lru_cache(maxsize=8)
def _instant_card_products(setting: str) -> frozenset[str]:
    return frozenset(part.strip() for part in setting.split(",") if part.strip())


@blp.route("/today")
class Today(MethodView):
    @polled_read(Role.rep)
    @blp.response(200, TodaySchema)
    def get(self):
        """The rep's day at a glance: today's route (one day's meetings, bounded, so not paginated), open tasks,
        violations still open, active incidents, and the morning digest once it is queued."""
        rep = viewer()
        day = routes_service.today_for(rep)
        settings = app_settings()
        cutoff = deadline_at(day, rep.time_zone, settings.morning_check_deadline)
        with read_connection(database().engine) as connection:
            lists = today.today_lists(connection, rep, day)  # the lists: rows dumped lean
            lists["incidents"] = active_incidents(connection, rep.id, utcnow())
            morning = {"deadline": settings.morning_check_deadline, "deadline_at": cutoff,
                       **today.morning_check(connection, rep, day, cutoff),
                       "instant_card_meetings": today.instant_card_meetings(
                           lists["route"], _instant_card_products(settings.instant_card_products))}
            digest = today.morning_digest(connection, rep.id, day)
        body = _TODAY_HEAD.dump({"day": day, "time_zone": rep.time_zone, "morning_check": morning, "digest": digest})
        return json_response({**body, **lists})
