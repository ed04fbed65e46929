"""A rep's tasks (reminder calls and others) and the "today" overview."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from accounts.auth import ALL_ROLES, roles_required
from api.context import app_settings, db_session, read_only
from api.contract import errors
from api.fields import ID_PATH
from api.idempotency import idempotent
from api.pagination import SelectPage
from errors import Invalid, NotFound
from models import Role, TaskKind, User
from reps import tasks as service
from reps.morning import check_of_day, deadline_at, instant_card_meetings, submitted_late
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
from reps.today import today_lists
from routes import service as routes_service

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
@roles_required(Role.manager, Role.support)
@idempotent
@blp.arguments(TaskCreateSchema)
@blp.response(201, TaskSchema)
@errors(e404="No such meeting (meeting_id)")
def create_task(body):
    """Give someone a task (a callback or a follow-up) with a central deadline."""
    session = db_session()
    owner = session.get(User, body["owner_id"])
    if owner is None or not owner.is_active:
        raise Invalid("No active user with that id.", errors={"owner_id": ["Unknown user."]})
    if body.get("meeting_id"):
        routes_service.get_meeting(session, current_user, body["meeting_id"])
    task = service.create_task(session, owner=owner, kind=TaskKind(body["kind"]), title=body["title"],
                               deadline_at=body["deadline_at"], meeting_id=body.get("meeting_id"),
                               note=body.get("note"))
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
    @blp.alt_response(422, description="The own time is after the central deadline, or no field was sent")
    @errors(e409="Only open tasks can be planned")
    def patch(self, body, task_id):
        """Set (or clear, with null) your own planned time; it may not be after the central deadline."""
        session = db_session()
        task = service.get_task(session, current_user, task_id)
        service.set_own_planned_time(task, body["own_planned_at"])
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

        Answers with the task as logged; `next_task` is the retry that `not_reachable` creates (a short
        deadline), or null. A call outside the window is recorded as `reminder_call_off_window`.
        """
        session = db_session()
        task = service.get_task(session, current_user, task_id)
        if task.owner_id != current_user.id:
            raise NotFound("No such task.")
        result = service.log_call(session, task, outcome=body["outcome"], called_at=body["called_at"],
                                  recording_id=body.get("recording_id"), note=body.get("note"))
        session.flush()
        return result


@blp.route("/today")
class Today(MethodView):
    @read_only
    @roles_required(Role.rep)
    @blp.response(200, TodaySchema)
    def get(self):
        """The rep's day at a glance: today's route, open tasks, violations still open."""
        session = db_session()
        day = routes_service.today_for(current_user)
        check = check_of_day(session, current_user, day)
        settings = app_settings()
        cutoff = deadline_at(day, current_user.time_zone, settings.morning_check_deadline)
        products = {part.strip() for part in settings.instant_card_products.split(",") if part.strip()}
        morning = {"deadline": settings.morning_check_deadline, "deadline_at": cutoff,
                   "selfie_status": check.selfie_status if check else None,
                   "checklist_submitted": bool(check and check.checklist_submitted_at),
                   "checklist_submitted_at": check.checklist_submitted_at if check else None,
                   "checklist_failures": (check.checklist_failures or []) if check else [],
                   "instant_card_meetings": instant_card_meetings(session, current_user, day, products),
                   "late": submitted_late(check, cutoff)}
        body = _TODAY_HEAD.dump({"day": day, "time_zone": current_user.time_zone, "morning_check": morning})
        return jsonify({**body, **today_lists(session, current_user, day)})  # the lists: rows dumped lean
