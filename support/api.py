"""The support desk over HTTP: tickets (with duplicate deflection), incidents, meeting-record corrections.
Routes only translate; the rules are in support.service, support.incidents, support.corrections."""

from __future__ import annotations

from datetime import timedelta

from flask import jsonify, request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from accounts.auth import roles_required
from api.context import app_settings, db_session, object_store
from api.contract import ETAG, errors, requires_if_match
from api.fields import ID_PATH
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.idempotency import idempotent
from api.pagination import SelectPage
from errors import Invalid, NotFound
from models import Role, Ticket, TicketDeflection, TicketState, utcnow
from qa import disputes
from routes import service as routes_service
from support import corrections as correction_service
from support import incidents as incident_service
from support import service
from support.schemas import (
    AttachmentFileSchema,
    AttachmentSchema,
    BulkCloseResultSchema,
    BulkCloseSchema,
    CorrectionCreateSchema,
    CorrectionQuerySchema,
    CorrectionSchema,
    DeflectionFiguresSchema,
    DeflectionSchema,
    IncidentAnswerSchema,
    IncidentQuerySchema,
    IncidentSchema,
    IncidentUpdateSchema,
    MeetingRecordSchema,
    PeriodQuerySchema,
    TicketActionSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketMessageCreateSchema,
    TicketMessageSchema,
    TicketQuerySchema,
    TicketSchema,
)

blp = Blueprint("support", __name__, url_prefix="/api/v1",
                description="The support desk: tickets with duplicate deflection, incidents, meeting-record "
                            "corrections")
DESK = (Role.rep, Role.support, Role.manager)
STAFF = (Role.support, Role.manager)
DEFLECTED = ("This looks like a question already answered or an incident already known: see `matches`. "
             "If it does not answer you, send the ticket again with `insist: true` (and a new Idempotency-Key).")


def _options() -> service.DeskOptions:
    return service.DeskOptions.from_settings(app_settings())


# A rep's dispute of a confirmed violation (QA's POST /violations/{id}/dispute) opens a ticket here.
disputes.register_ticket_opener(
    lambda session, dispute, violation: service.open_dispute_ticket(session, dispute, violation, _options()).id)


def _ticket(ticket: Ticket, status: int = 200):
    return ticket, status, {"ETag": f'"{service.ticket_etag(ticket)}"'}


def _attachment(attachment) -> dict:
    fields = ("id", "ticket_id", "uploaded_by_id", "filename", "content_type", "size_bytes", "created_at")
    return {**{name: getattr(attachment, name) for name in fields},
            "download_url": object_store().download_url(attachment.object_key, app_settings().download_url_seconds)}


def _detail(ticket: Ticket, status: int = 200):
    """The ticket with its thread and attachments, dumped here (TicketSchema's computed fields read the record)."""
    session = db_session()
    body = {**TicketSchema().dump(ticket),
            "messages": TicketMessageSchema(many=True).dump(service.thread(session, ticket)),
            "attachments": AttachmentSchema(many=True).dump(
                [_attachment(attachment) for attachment in service.attachments(session, ticket)])}
    return jsonify(body), status, {"ETag": f'"{service.ticket_etag(ticket)}"'}


@blp.route("/tickets")
class Tickets(MethodView):
    @roles_required(*DESK)
    @blp.arguments(TicketQuerySchema, location="query")
    @blp.response(200, TicketSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query):
        """Tickets by response deadline (the most urgent first): a rep sees their own; staff filter by state,
        rep, kind, overdue, assignee, meeting, incident."""
        return service.list_tickets(current_user, states=query.get("state"), rep_id=query.get("rep_id"),
                                    kind=query.get("kind"), overdue=query.get("overdue"),
                                    assignee_id=query.get("assignee_id"), meeting_id=query.get("meeting_id"),
                                    incident_id=query.get("incident_id"))

    @roles_required(Role.rep)
    @idempotent
    @blp.arguments(TicketCreateSchema)
    @blp.response(201, TicketSchema, headers=ETAG)
    @blp.alt_response(200, schema=DeflectionSchema, description="Deflected: nothing created; `matches` holds your "
                      "earlier ticket(s) with their answer, or the incident, that the question resembles")
    @errors(404, e409="You already dispute this violation in an open ticket")
    def post(self, body):
        """Write to support about a meeting record (wrong status, cause, offers, a missing meeting), or dispute a
        violation. A question like one of yours already answered, or about an active incident, is deflected
        (200, the earlier answer or the incident) unless you insist (201, linked to what it resembled)."""
        session = db_session()
        if body.get("deflection_id") is not None:
            deflection = session.get(TicketDeflection, body["deflection_id"])
            if deflection is None or deflection.rep_id != current_user.id:
                raise NotFound("No such deflection.")
        submission = service.create_ticket(session, current_user, body, _options())
        session.flush()
        if submission.ticket is None:
            assert submission.deflection is not None
            return jsonify(DeflectionSchema().dump({
                "deflected": True, "deflection_id": submission.deflection.id, "message": DEFLECTED,
                "matches": service.resembled(session, submission.matches)})), 200
        return _ticket(submission.ticket, 201)


@blp.route("/tickets/close", methods=["POST"])
@roles_required(Role.manager)
@idempotent
@blp.arguments(BulkCloseSchema)
@blp.response(200, BulkCloseResultSchema)
def close_tickets(body):
    """Close, in bulk, every answered (resolved or rejected) ticket the filter selects; open tickets stay open."""
    session = db_session()
    closed = service.close_in_bulk(session, current_user, states=[TicketState(s) for s in body.get("state") or []],
                                   rep_id=body.get("rep_id"), kind=body.get("kind"),
                                   incident_id=body.get("incident_id"), answered_before=body.get("answered_before"))
    return {"closed": len(closed), "ticket_ids": closed}


@blp.route("/tickets/deflections", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(PeriodQuerySchema, location="query")
@blp.response(200, DeflectionFiguresSchema)
def deflection_figures(query):
    """How many questions were deflected (to an earlier answer, to an incident) and how many reps insisted."""
    until = query.get("until") or utcnow()
    since = query.get("since") or until - timedelta(days=30)
    if since >= until:
        raise Invalid("`since` must be before `until`.", errors={"since": ["Must be before until."]})
    return {"since": since, "until": until, **service.deflection_figures(db_session(), since, until)}


@blp.route(f"/tickets/<{ID_PATH}:ticket_id>")
class TicketItem(MethodView):
    @roles_required(*DESK)
    @blp.response(200, TicketDetailSchema, headers=ETAG)
    def get(self, ticket_id):
        """One ticket with its thread and attachments; its ETag goes into If-Match of an action."""
        return _detail(service.get_ticket(db_session(), current_user, ticket_id))


@blp.route(f"/tickets/<{ID_PATH}:ticket_id>/messages")
class TicketMessages(MethodView):
    @roles_required(Role.rep, Role.support)
    @idempotent
    @blp.arguments(TicketMessageCreateSchema)
    @blp.response(201, TicketDetailSchema, headers=ETAG)
    @errors(e409="The ticket is answered (reopen it to write again) or closed")
    def post(self, body, ticket_id):
        """Write in the ticket's thread. The rep's reply to support's question sends the ticket back to support."""
        session = db_session()
        ticket = service.get_ticket(session, current_user, ticket_id)
        service.add_message(session, current_user, ticket, body["text"], _options())
        return _detail(ticket, 201)


@blp.route(f"/tickets/<{ID_PATH}:ticket_id>/transitions")
class TicketTransitions(MethodView):
    @roles_required(*DESK)
    @idempotent
    @requires_if_match
    @blp.arguments(TicketActionSchema)
    @blp.response(200, TicketSchema, headers=ETAG)
    @errors(e409="Not allowed from the ticket's state (`allowed`, `status_now`), or past the reopen period")
    def post(self, body, ticket_id):
        """Move a ticket: support `take`, `ask` (the rep), `resolve` or `reject` (with the answer); the rep
        `reopen` (within the reopen period, with why); a manager `close`. A rep never closes (403)."""
        session = db_session()
        ticket = service.get_ticket(session, current_user, ticket_id)
        service.transition(session, current_user, ticket, body["action"], body.get("text"),
                           request.headers.get("If-Match"), _options())
        return _ticket(ticket)


@blp.route(f"/tickets/<{ID_PATH}:ticket_id>/attachments")
class TicketAttachments(MethodView):
    @roles_required(Role.rep, Role.support)
    @idempotent
    @blp.arguments(AttachmentFileSchema, location="files")
    @blp.response(201, AttachmentSchema)
    @errors(e409="The ticket is closed", e413="The file is too large", e415="Not a photo or a PDF")
    def post(self, files, ticket_id):
        """Attach a photo of a document (JPEG, PNG, HEIC) or a PDF scan; it goes to object storage."""
        upload = files["file"]
        if not hasattr(upload, "read"):
            raise Invalid("Send the file as a part named `file`.", errors={"file": ["Not a file."]})
        session = db_session()
        ticket = service.get_ticket(session, current_user, ticket_id)
        limit = app_settings().max_attachment_mb * 1024 * 1024
        key = request.headers.get(IDEMPOTENCY_HEADER)
        attachment = service.add_attachment(session, object_store(), current_user, ticket, upload.read(limit + 1),
                                            upload.filename, limit,
                                            retry_seed=f"{current_user.id}:{key}" if key else None)
        return _attachment(attachment)


# --- incidents ---------------------------------------------------------------------------------------------

def _incident(incident, status: int = 200):
    return incident, status, {"ETag": f'"{incident_service.incident_etag(incident)}"'}


@blp.route("/incidents")
class Incidents(MethodView):
    @roles_required(*DESK)
    @blp.arguments(IncidentQuerySchema, location="query")
    @blp.response(200, IncidentSchema(many=True))
    def get(self, query):
        """Incidents, newest first: a rep sees the active ones that affect them; staff all (or filter `active`)."""
        return incident_service.list_incidents(db_session(), current_user, active=query.get("active"))

    @roles_required(Role.support)
    @idempotent
    @blp.arguments(IncidentSchema)
    @blp.response(201, IncidentSchema, headers=ETAG)
    def post(self, body):
        """Publish an incident: title, text, time range, the regions or reps it affects (none: every rep)."""
        session = db_session()
        return _incident(incident_service.publish(session, current_user, body), 201)


@blp.route(f"/incidents/<{ID_PATH}:incident_id>")
class IncidentItem(MethodView):
    @roles_required(*DESK)
    @blp.response(200, IncidentSchema, headers=ETAG)
    def get(self, incident_id):
        """One incident (a rep: an active one that affects them)."""
        return _incident(incident_service.get_incident(db_session(), current_user, incident_id))

    @roles_required(Role.support)
    @requires_if_match
    @blp.arguments(IncidentUpdateSchema)
    @blp.response(200, IncidentSchema, headers=ETAG)
    @errors(e409="The incident is closed")
    def patch(self, changes, incident_id):
        """Update an incident (send If-Match with the ETag you read)."""
        session = db_session()
        incident = incident_service.get_incident(session, current_user, incident_id)
        service.check_if_match(incident_service.incident_etag(incident), request.headers.get("If-Match"), "incident")
        incident_service.update(session, incident, changes)
        session.commit()
        return _incident(incident)


@blp.route(f"/incidents/<{ID_PATH}:incident_id>/close")
class IncidentClose(MethodView):
    @roles_required(Role.support)
    @idempotent
    @requires_if_match
    @blp.response(200, IncidentSchema, headers=ETAG)
    @errors(e409="The incident is already closed")
    def post(self, incident_id):
        """Close an incident: reps no longer see it."""
        session = db_session()
        incident = incident_service.get_incident(session, current_user, incident_id)
        service.check_if_match(incident_service.incident_etag(incident), request.headers.get("If-Match"), "incident")
        incident_service.close(session, current_user, incident)
        return _incident(incident)


@blp.route(f"/incidents/<{ID_PATH}:incident_id>/answer")
class IncidentAnswer(MethodView):
    @roles_required(Role.support)
    @idempotent
    @blp.arguments(IncidentAnswerSchema)
    @blp.response(200, TicketSchema(many=True))
    def post(self, body, incident_id):
        """Answer every open ticket about the incident at once (resolve, or reject, with the same answer)."""
        session = db_session()
        incident = incident_service.get_incident(session, current_user, incident_id)
        tickets = session.scalars(service.list_tickets(current_user, incident_id=incident.id,
                                                       states=[TicketState.new, TicketState.in_progress,
                                                               TicketState.waiting_for_rep])).all()
        return service.answer_tickets(session, current_user, tickets, TicketState(body["outcome"]), body["text"])


# --- meeting-record corrections ---------------------------------------------------------------------------

@blp.route(f"/meetings/<{ID_PATH}:meeting_id>/corrections")
class MeetingCorrections(MethodView):
    @roles_required(Role.support)
    @idempotent
    @requires_if_match
    @blp.arguments(CorrectionCreateSchema)
    @blp.response(201, CorrectionSchema(many=True), headers=ETAG)
    @errors(e409="Someone saved a change at the same moment (`concurrent_change`)")
    def post(self, body, meeting_id):
        """Correct a meeting's record (status, caused_by, status_reason, offers) with a reason, from a ticket:
        one correction per changed field, kept in the meeting's history; the violations the record decides are
        re-derived and the rep is told. Send If-Match with the meeting's ETag. Answers the meeting's new ETag."""
        session = db_session()
        meeting = routes_service.get_meeting(session, current_user, meeting_id)
        ticket = service.get_ticket(session, current_user, body["ticket_id"]) if body.get("ticket_id") else None
        changes = {name: value for name, value in body.items() if name not in ("reason", "ticket_id")}
        made = correction_service.correct_meeting(
            session, current_user, meeting, changes, body["reason"], request.headers.get("If-Match"), ticket,
            timedelta(minutes=app_settings().reminder_tolerance_minutes))
        return made, 201, {"ETag": routes_service.quoted_etag(meeting)}


@blp.route(f"/meetings/<{ID_PATH}:meeting_id>/record")
class MeetingRecord(MethodView):
    @roles_required(*DESK)
    @blp.response(200, MeetingRecordSchema, headers=ETAG)
    def get(self, meeting_id):
        """A meeting's record as it stands, its whole history (every transition and correction, who and why),
        and its corrections (a rep: their own meetings)."""
        session = db_session()
        meeting = routes_service.get_meeting(session, current_user, meeting_id)
        corrections = session.scalars(correction_service.corrections_of(current_user, meeting_id=meeting.id)).all()
        return ({"meeting": meeting, "history": correction_service.history(session, meeting),
                 "corrections": corrections}, 200, {"ETag": routes_service.quoted_etag(meeting)})


@blp.route("/corrections", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(CorrectionQuerySchema, location="query")
@blp.response(200, CorrectionSchema(many=True))
@blp.paginate(SelectPage)
def list_corrections(query):
    """Meeting-record corrections in the order made, by rep, meeting, ticket and period (what figures follow)."""
    return correction_service.corrections_of(current_user, rep_id=query.get("rep_id"),
                                             meeting_id=query.get("meeting_id"), ticket_id=query.get("ticket_id"),
                                             since=query.get("since"), until=query.get("until"))
