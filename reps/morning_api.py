"""The morning check: selfie and checklist from the phone; the supervisors' selfie queue; checklists."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from accounts.auth import ALL_ROLES, roles_required
from api.context import app_settings, db_session, object_store
from api.contract import errors
from api.fields import ID_PATH
from api.idempotency import idempotent
from api.pagination import SelectPage
from errors import Invalid
from models import MorningCheck, Role, User
from reps import morning as service
from reps.checklist import ChecklistSchema
from reps.schemas import (
    ChecklistAnswersSchema,
    ChecklistVersionSchema,
    LinkSchema,
    MorningCheckSchema,
    MorningQuerySchema,
    MorningQueueQuerySchema,
    SelfieFileSchema,
    SelfieReviewSchema,
)
from reps.selfie import ImageLimits
from routes.service import today_for

blp = Blueprint("morning_check", __name__, url_prefix="/api/v1", description="The morning check: selfie and checklist")
SUPERVISORS = (Role.manager,)




def _view(check, day, session):
    data = {key: getattr(check, key)
            for key in MorningCheckSchema().fields if check is not None and hasattr(check, key)}
    rep = session.get_one(User, check.rep_id) if check else current_user
    deadline = app_settings().morning_check_deadline
    cutoff = service.deadline_at(day, rep.time_zone, deadline)
    data.update(day=day, rep_id=rep.id, deadline=deadline, deadline_at=cutoff,
                late=service.submitted_late(check, cutoff),
                instant_card_meetings=service.instant_card_meetings(session, rep, day, _products()),
                checklist=service.checklist_in_force(session, day))
    return data


def _products() -> set[str]:
    return {part.strip() for part in app_settings().instant_card_products.split(",") if part.strip()}


@blp.route("/morning-check")
class MyMorningCheck(MethodView):
    @roles_required(Role.rep)
    @blp.arguments(MorningQuerySchema, location="query")
    @blp.response(200, MorningCheckSchema)
    def get(self, query):
        """Your morning check of a day (default today): what is done, what is missing, the questions."""
        session = db_session()
        day = query.get("day") or today_for(current_user)
        return _view(service.check_of_day(session, current_user, day), day, session)


@blp.route("/morning-check/selfie")
class MySelfie(MethodView):
    @roles_required(Role.rep)
    @idempotent
    @blp.arguments(SelfieFileSchema, location="files")
    @blp.response(201, MorningCheckSchema)
    @blp.alt_response(422, description="Not a photo, not shown to be taken today (no EXIF time, or another "
                                       "day), or not exactly one face")
    @errors(e409="Today's selfie is already approved", e413="The photo is too large")
    def post(self, files):
        """Upload today's selfie (JPEG/PNG/HEIC). It is checked, stripped of location data and queued
        for a supervisor's dress-code review."""
        upload = files["file"]
        if not hasattr(upload, "read"):
            raise Invalid("Send the photo as a file part named `file`.", errors={"file": ["Not a file."]})
        session = db_session()
        settings = app_settings()
        data = upload.read(settings.max_selfie_mb * 1024 * 1024 + 1)
        check = service.submit_selfie(session, object_store(), current_user,
                                      data, settings.max_selfie_mb * 1024 * 1024,
                                      limits=ImageLimits.from_settings(settings))
        session.flush()
        return _view(check, check.day, session)


@blp.route("/morning-check/checklist")
class MyChecklist(MethodView):
    @roles_required(Role.rep)
    @idempotent
    @blp.arguments(ChecklistAnswersSchema)
    @blp.response(201, MorningCheckSchema)
    @errors(e409="Today's checklist is already submitted")
    def post(self, body):
        """Answer today's checklist (the version in force). Failed rules (no passport, too few cards for
        today's instant-card meetings) are listed and recorded as `morning_check_failed`."""
        session = db_session()
        check = service.submit_checklist(session, current_user, body["answers"], _products())
        session.flush()
        return _view(check, check.day, session)


@blp.route("/morning-checks")
class MorningQueue(MethodView):
    @roles_required(*SUPERVISORS)
    @blp.arguments(MorningQueueQuerySchema, location="query")
    @blp.response(200, MorningCheckSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query):
        """The selfie review queue (default: pending), oldest first."""
        statement = select(MorningCheck).where(MorningCheck.selfie_status == query["selfie_status"])
        if "day" in query:
            statement = statement.where(MorningCheck.day == query["day"])
        if "rep_id" in query:
            statement = statement.where(MorningCheck.rep_id == query["rep_id"])
        return statement.order_by(MorningCheck.selfie_uploaded_at, MorningCheck.id)


@blp.route(f"/morning-checks/<{ID_PATH}:check_id>/selfie-review")
class SelfieReview(MethodView):
    @roles_required(*SUPERVISORS)
    @idempotent
    @blp.arguments(SelfieReviewSchema)
    @blp.response(200, MorningCheckSchema)
    @errors(e409="The selfie was already reviewed, or there is none to review")
    def post(self, body, check_id):
        """Approve the selfie, or reject it with a reason (recorded as `morning_check_failed`)."""
        session = db_session()
        check = service.get_check(session, current_user, check_id)
        service.review_selfie(session, current_user, check, body["decision"], body.get("reason"))
        session.flush()
        return _view(check, check.day, session)


@blp.route(f"/morning-checks/<{ID_PATH}:check_id>/selfie-url")
class SelfieUrl(MethodView):
    @roles_required(Role.rep, *SUPERVISORS)
    @blp.response(200, LinkSchema)
    @errors(e422="No selfie was uploaded for this check")
    def get(self, check_id):
        """A time-limited link to the stored selfie (location data removed)."""
        check = service.get_check(db_session(), current_user, check_id)
        if not check.selfie_key:
            raise Invalid("No selfie was uploaded for this check.")
        seconds = app_settings().download_url_seconds
        return {"url": object_store().download_url(check.selfie_key, seconds),
                "expires_in": seconds}


@blp.route("/checklists")
class Checklists(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(MorningQuerySchema, location="query")
    @blp.response(200, ChecklistVersionSchema)
    def get(self, query):
        """The checklist in force on a day (default today)."""
        session = db_session()
        return service.checklist_in_force(session, query.get("day") or today_for(current_user))

    @roles_required(Role.manager)
    @idempotent
    @blp.arguments(ChecklistVersionSchema)
    @blp.response(201, ChecklistVersionSchema)
    def post(self, body):
        """Publish a new checklist version; questions: id, text, type (yes_no|count|rating|text), required,
        must_be (yes_no), min_from: instant_card_meetings (count)."""
        try:
            questions = ChecklistSchema().load({"questions": body["questions"]})["questions"]
        except Exception as exc:  # marshmallow.ValidationError
            messages = getattr(exc, "messages", {"questions": [str(exc)]})
            raise Invalid("The checklist has invalid questions.", errors=messages) from exc
        session = db_session()
        row = service.add_checklist_version(session, questions, body["effective_from"], current_user)
        session.flush()
        return row
