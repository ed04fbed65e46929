"""The support console: the ticket queue by response deadline (overdue flagged, deflection figures), a ticket
with its thread, the meeting's record and history, the answer and correction forms, and incidents.
Server-rendered on the console base (login, CSRF, no CDN); every change goes through the same service
functions as the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from api.context import app_settings, db_session, object_store
from console import NavEntry, current_user, install, roles
from errors import FieldrepError
from models import Meeting, MeetingStatus, Role, Ticket, TicketState, User, utcnow
from routes import service as routes_service
from support import corrections as correction_service
from support import incidents as incident_service
from support import lifecycle, service

bp = Blueprint("support_console", __name__, url_prefix="/console/support", template_folder="templates")
DESK = (Role.support, Role.manager)
install(bp, nav=[NavEntry("Tickets", "support_console.queue", DESK),
                 NavEntry("Incidents", "support_console.incidents", DESK)])


def _user() -> User:
    user = current_user()
    assert user is not None  # @roles let only a logged-in user through
    return user


def _options() -> service.DeskOptions:
    return service.DeskOptions.from_settings(app_settings())


def _attempt(change: Callable[[], Any], done: str) -> bool:
    """Run a change; commit and flash `done`, or roll back and flash the service's message."""
    session = db_session()
    try:
        change()
    except FieldrepError as error:
        session.rollback()
        flash(error.message)
        return False
    session.commit()
    flash(done)
    return True


@bp.get("/")
@roles(*DESK)
def queue():
    args = request.args
    state = args.get("state") or "open"
    states = {"open": list(lifecycle.OPEN_STATES), "answered": list(lifecycle.ANSWERED_STATES), "all": None}.get(
        state, [TicketState(state)] if state in TicketState.__members__ else list(lifecycle.OPEN_STATES))
    overdue = {"yes": True, "no": False}.get(args.get("overdue", ""))
    rep_id = args.get("rep_id", type=int)
    session = db_session()
    tickets = session.scalars(service.list_tickets(_user(), states=states, rep_id=rep_id, overdue=overdue)
                              .limit(300)).all()
    reps = {user.id: user for user in session.scalars(select(User).where(User.role == Role.rep)
                                                      .order_by(User.full_name))}
    now = utcnow()
    figures = service.deflection_figures(session, now - timedelta(days=30), now + timedelta(seconds=1))
    return render_template("support/queue.html", tickets=tickets, reps=reps, args=args, state=state, now=now,
                           is_overdue=lambda t: lifecycle.is_overdue(t.state, t.response_due_at, now),
                           figures=figures, can_close=_user().role == Role.manager)


@bp.get("/tickets/<int:ticket_id>")
@roles(*DESK)
def ticket(ticket_id: int):
    session = db_session()
    item = service.get_ticket(session, _user(), ticket_id)
    meeting = session.get(Meeting, item.meeting_id) if item.meeting_id else None
    rep = session.get_one(User, item.rep_id)
    seconds = app_settings().download_url_seconds
    files = [(attachment, object_store().download_url(attachment.object_key, seconds))
             for attachment in service.attachments(session, item)]
    names = {user.id: user.full_name for user in session.scalars(select(User))}
    return render_template(
        "support/ticket.html", ticket=item, rep=rep, thread=service.thread(session, item), files=files,
        meeting=meeting, etag=service.ticket_etag(item),
        meeting_etag=routes_service.meeting_etag(meeting) if meeting else None,
        history=correction_service.history(session, meeting) if meeting else [],
        corrections=session.scalars(correction_service.corrections_of(_user(), meeting_id=meeting.id)).all()
        if meeting else [],
        names=names, actions=lifecycle.allowed_actions(item.state, _user().role), statuses=list(MeetingStatus),
        overdue=lifecycle.is_overdue(item.state, item.response_due_at, utcnow()),
        resembles=session.get(Ticket, item.resembles_ticket_id) if item.resembles_ticket_id else None,
        incident=incident_service.get_incident(session, _user(), item.incident_id) if item.incident_id else None)


@bp.post("/tickets/<int:ticket_id>/act")
@roles(*DESK)
def act(ticket_id: int):
    session = db_session()
    item = service.get_ticket(session, _user(), ticket_id)
    action = request.form.get("action", "")
    if action not in lifecycle.ACTIONS:
        flash("Unknown action.")
    else:
        _attempt(lambda: service.transition(session, _user(), item, action, request.form.get("text"),
                                            request.form.get("etag"), _options()),
                 f"Ticket #{ticket_id}: {action} done.")
    return redirect(url_for("support_console.ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/message")
@roles(Role.support)
def message(ticket_id: int):
    session = db_session()
    item = service.get_ticket(session, _user(), ticket_id)
    text = (request.form.get("text") or "").strip()
    if text:
        _attempt(lambda: service.add_message(session, _user(), item, text, _options()), "Message sent.")
    return redirect(url_for("support_console.ticket", ticket_id=ticket_id))


CORRECTION_FIELDS = ("status", "caused_by", "status_reason", "offers_presented", "offers_accepted")


def _correction(form: Any, meeting: Meeting) -> dict[str, Any]:
    """The fields the form changes (unchanged ones are left out, so each correction says only what changed)."""
    wanted: dict[str, Any] = {"status": form.get("status") or meeting.status.value,
                              "caused_by": form.get("caused_by") or None,
                              "status_reason": form.get("status_reason") or None}
    for name in ("offers_presented", "offers_accepted"):
        wanted[name] = [offer.strip() for offer in (form.get(name) or "").split(",") if offer.strip()]
    current = {name: getattr(getattr(meeting, name), "value", getattr(meeting, name)) for name in CORRECTION_FIELDS}
    return {name: value for name, value in wanted.items() if value != (current[name] or ([] if "offers" in name
                                                                                         else None))}


@bp.post("/meetings/<int:meeting_id>/correct")
@roles(Role.support)
def correct(meeting_id: int):
    session = db_session()
    user = _user()
    meeting = routes_service.get_meeting(session, user, meeting_id)
    ticket_id = request.form.get("ticket_id", type=int)
    item = service.get_ticket(session, user, ticket_id) if ticket_id else None
    changes = _correction(request.form, meeting)
    tolerance = timedelta(minutes=app_settings().reminder_tolerance_minutes)
    _attempt(lambda: correction_service.correct_meeting(session, user, meeting, changes, request.form.get("reason", ""),
                                                        request.form.get("etag"), item, tolerance),
             f"Meeting #{meeting_id} corrected.")
    if item is not None:
        return redirect(url_for("support_console.ticket", ticket_id=item.id))
    return redirect(url_for("support_console.queue"))


@bp.get("/incidents")
@roles(*DESK)
def incidents():
    session = db_session()
    now = utcnow()
    listed = incident_service.list_incidents(session, _user())
    open_tickets = {incident.id: session.scalars(service.list_tickets(
        _user(), incident_id=incident.id, states=list(lifecycle.OPEN_STATES))).all() for incident in listed}
    return render_template("support/incidents.html", incidents=listed, open_tickets=open_tickets,
                           is_active=lambda incident: incident_service.is_active(incident, now),
                           etag=incident_service.incident_etag, can_edit=_user().role == Role.support)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@bp.post("/incidents")
@roles(Role.support)
def publish():
    session = db_session()
    form = request.form
    rep_ids = [int(part) for part in _split(form.get("rep_ids")) if part.isdigit()]
    title, text = form.get("title", "").strip(), form.get("text", "").strip()
    data = {"title": title, "text": text, "regions": _split(form.get("regions")), "rep_ids": rep_ids}
    if not title or not text:
        flash("An incident needs a title and a text.")
    else:
        _attempt(lambda: incident_service.publish(session, _user(), data), "Incident published.")
    return redirect(url_for("support_console.incidents"))


@bp.post("/incidents/<int:incident_id>/close")
@roles(Role.support)
def close_incident(incident_id: int):
    session = db_session()
    incident = incident_service.get_incident(session, _user(), incident_id)

    def change() -> None:
        service.check_if_match(incident_service.incident_etag(incident), request.form.get("etag"), "incident")
        incident_service.close(session, _user(), incident)

    _attempt(change, "Incident closed.")
    return redirect(url_for("support_console.incidents"))


@bp.post("/incidents/<int:incident_id>/answer")
@roles(Role.support)
def answer_incident(incident_id: int):
    session = db_session()
    incident = incident_service.get_incident(session, _user(), incident_id)
    text = (request.form.get("text") or "").strip()
    if not text:
        flash("Write the answer.")
        return redirect(url_for("support_console.incidents"))
    tickets = session.scalars(service.list_tickets(_user(), incident_id=incident.id,
                                                   states=list(lifecycle.OPEN_STATES))).all()
    _attempt(lambda: service.answer_tickets(session, _user(), tickets, TicketState.resolved, text),
             f"Answered {len(tickets)} ticket(s) about the incident.")
    return redirect(url_for("support_console.incidents"))
