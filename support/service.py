"""Tickets: creation with duplicate deflection, the thread, the lifecycle, attachments, bulk close, and the
deflection figures. No Flask here."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from errors import Conflict, Invalid, NotFound, require_matching_etag
from models import (
    Incident,
    Role,
    Ticket,
    TicketAttachment,
    TicketDeflection,
    TicketKind,
    TicketMessage,
    TicketState,
    User,
    Violation,
    ViolationDispute,
    utcnow,
)
from notifications import outbox
from qa.visibility import shown_to_rep
from routes import service as routes_service
from storage.objects import ObjectStore, new_object_key
from support import incidents as incident_service
from support import lifecycle
from support.similarity import Candidate, Resemblance, closest

SUBJECT_LENGTH = 80
MATCHES_SHOWN = 3
# A photo of a document, or a scan: what a phone sends, told by the file's first bytes (not its name).
ATTACHMENT_TYPES = ((b"\xff\xd8\xff", "image/jpeg", ".jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
                    (b"%PDF-", "application/pdf", ".pdf"))
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")


@dataclass(frozen=True)
class DeskOptions:
    response_business_days: int = 1
    holiday_country: str = "RU"
    reopen_days: int = 14
    deflection_threshold: float = 54
    lookback_days: int = 60

    @classmethod
    def from_settings(cls, settings: Any) -> DeskOptions:
        return cls(settings.ticket_response_business_days, settings.ticket_holiday_country,
                   settings.ticket_reopen_days, settings.deflection_threshold, settings.deflection_lookback_days)


@dataclass
class Submission:
    """What creating a ticket gave: the ticket, or (deflected) the earlier tickets and incidents it resembles."""

    ticket: Ticket | None
    deflection: TicketDeflection | None = None
    matches: list[Resemblance] = field(default_factory=list)


# --- ETags -------------------------------------------------------------------------------------------------

def ticket_etag(ticket: Ticket) -> str:
    return f"t{ticket.id}-v{ticket.version}"


def check_if_match(current: str, if_match: str | None, what: str) -> None:
    """Tickets and incidents are shared (the rep, support, managers): a change names the version it was made on."""
    require_matching_etag(current, if_match, what)


# --- reading -------------------------------------------------------------------------------------------------

def get_ticket(session: Session, viewer: User, ticket_id: int) -> Ticket:
    """A rep reads only their own tickets; another's reads exactly as a missing one."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or (viewer.role == Role.rep and ticket.rep_id != viewer.id):
        raise NotFound("No such ticket.")
    return ticket


def list_tickets(viewer: User, *, states: Sequence[TicketState] | None = None, rep_id: int | None = None,
                 kind: TicketKind | None = None, overdue: bool | None = None, assignee_id: int | None = None,
                 meeting_id: int | None = None, incident_id: int | None = None,
                 now: datetime | None = None) -> Select[Any]:
    """Support's queue order: the earliest response deadline first, tickets waiting on nobody after."""
    now = now or utcnow()
    statement = select(Ticket)
    if viewer.role == Role.rep:
        statement = statement.where(Ticket.rep_id == viewer.id)
    elif rep_id is not None:
        statement = statement.where(Ticket.rep_id == rep_id)
    if states:
        statement = statement.where(Ticket.state.in_(states))
    if kind is not None:
        statement = statement.where(Ticket.kind == kind)
    if assignee_id is not None:
        statement = statement.where(Ticket.assignee_id == assignee_id)
    if meeting_id is not None:
        statement = statement.where(Ticket.meeting_id == meeting_id)
    if incident_id is not None:
        statement = statement.where(Ticket.incident_id == incident_id)
    late = Ticket.state.in_(lifecycle.SUPPORT_OWES) & (Ticket.response_due_at < now)
    if overdue is True:
        statement = statement.where(late)
    elif overdue is False:
        statement = statement.where(~late | Ticket.response_due_at.is_(None))
    return statement.order_by(Ticket.response_due_at.is_(None), Ticket.response_due_at, Ticket.id)


def thread(session: Session, ticket: Ticket) -> list[TicketMessage]:
    return list(session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                                .order_by(TicketMessage.id)))


def attachments(session: Session, ticket: Ticket) -> list[TicketAttachment]:
    return list(session.scalars(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
                                .order_by(TicketAttachment.id)))


# --- creating, with duplicate deflection ---------------------------------------------------------------------

def _own_violation(session: Session, rep: User, violation_id: int) -> Violation:
    """One of the rep's violations as the rep sees them (confirmed, or recorded by rule); else 404."""
    violation = session.scalar(select(Violation).where(Violation.id == violation_id, Violation.rep_id == rep.id,
                                                       shown_to_rep()))
    if violation is None:
        raise NotFound("No such violation.")
    return violation


def _candidates(session: Session, rep: User, meeting_id: int | None, violation_id: int | None,
                options: DeskOptions, now: datetime) -> list[Candidate]:
    """The rep's recent tickets and the incidents active for the rep. A ticket about another meeting or another
    violation is not a duplicate, however alike the words: its answer was about that other record."""
    since = now - timedelta(days=options.lookback_days)
    tickets = session.scalars(select(Ticket).where(Ticket.rep_id == rep.id, Ticket.created_at >= since)
                              .order_by(Ticket.id.desc()).limit(200))
    found = []
    for ticket in tickets:
        if meeting_id and ticket.meeting_id and ticket.meeting_id != meeting_id:
            continue
        if violation_id and ticket.violation_id and ticket.violation_id != violation_id:
            continue
        if ticket.state == TicketState.rejected and ticket.answer is None:
            continue
        found.append(Candidate("ticket", ticket.id, f"{ticket.subject}. {ticket.text}"))
    for incident in incident_service.active_for_rep(session, rep, now):
        found.append(Candidate("incident", incident.id, f"{incident.title}. {incident.text}"))
    return found


def _insisted_over(session: Session, rep: User, text: str, deflection_id: int | None) -> TicketDeflection | None:
    statement = select(TicketDeflection).where(TicketDeflection.rep_id == rep.id,
                                               TicketDeflection.insisted_ticket_id.is_(None))
    if deflection_id is not None:
        statement = statement.where(TicketDeflection.id == deflection_id)
    else:
        statement = statement.where(TicketDeflection.text == text)
    return session.scalar(statement.order_by(TicketDeflection.id.desc()).limit(1))


def create_ticket(session: Session, rep: User, data: dict[str, Any], options: DeskOptions,
                  now: datetime | None = None) -> Submission:
    """Open a ticket, unless it resembles an answered (or still open) ticket of the rep's or an active incident:
    then nothing is created and the resemblances come back (deflected), until the rep insists."""
    now = now or utcnow()
    text = data["text"].strip()
    kind = TicketKind(data.get("kind") or TicketKind.meeting_record.value)
    meeting_id, violation_id, incident_id = data.get("meeting_id"), data.get("violation_id"), data.get("incident_id")
    if meeting_id is not None:
        routes_service.get_meeting(session, rep, meeting_id)
    if violation_id is not None:
        violation = _own_violation(session, rep, violation_id)
        meeting_id = meeting_id or violation.meeting_id
    if incident_id is not None:
        incident_service.get_incident(session, rep, incident_id)
    if kind == TicketKind.violation_dispute:
        if violation_id is None:
            raise Invalid("A dispute names the violation it disputes.", errors={"violation_id": ["Required."]})
        from qa import service as qa_service  # QA keeps the dispute; it opens the ticket through qa.disputes

        dispute = qa_service.dispute(session, rep, violation_id, text, now)
        return Submission(session.get(Ticket, dispute.ticket_id) if dispute.ticket_id else None)
    matches = closest(text, _candidates(session, rep, meeting_id, violation_id, options, now),
                      options.deflection_threshold)[:MATCHES_SHOWN]
    if matches and not data.get("insist"):
        best = matches[0]
        deflection = TicketDeflection(rep_id=rep.id, text=text, score=best.score,
                                      matched_ticket_id=best.id if best.kind == "ticket" else None,
                                      matched_incident_id=best.id if best.kind == "incident" else None)
        session.add(deflection)
        session.flush()
        return Submission(None, deflection, matches)
    ticket = Ticket(rep_id=rep.id, kind=kind, state=TicketState.new, subject=_subject(data.get("subject"), text),
                    text=text, meeting_id=meeting_id, violation_id=violation_id, incident_id=incident_id,
                    insisted=bool(matches), updated_at=now,
                    response_due_at=lifecycle.response_due(now, rep.time_zone, options.response_business_days,
                                                           options.holiday_country))
    like_ticket = next((match for match in matches if match.kind == "ticket"), None)
    like_incident = next((match for match in matches if match.kind == "incident"), None)
    if like_ticket is not None:
        ticket.resembles_ticket_id, ticket.resemblance = like_ticket.id, like_ticket.score
    if like_incident is not None and ticket.incident_id is None:
        ticket.incident_id = like_incident.id  # a ticket about an incident is answered with it
        ticket.resemblance = max(ticket.resemblance or 0.0, like_incident.score)
    session.add(ticket)
    session.flush()
    if matches:
        insisted = _insisted_over(session, rep, text, data.get("deflection_id"))
        if insisted is not None:
            insisted.insisted_ticket_id = ticket.id
    return Submission(ticket)


def open_dispute_ticket(session: Session, dispute: ViolationDispute, violation: Violation, options: DeskOptions,
                        now: datetime | None = None) -> Ticket:
    """QA's seam (qa.disputes.register_ticket_opener): a rep's dispute of a confirmed violation becomes a
    ticket, in the same transaction, never deflected (a dispute is about that one violation)."""
    now = now or utcnow()
    rep = session.get_one(User, dispute.rep_id)
    ticket = Ticket(rep_id=rep.id, kind=TicketKind.violation_dispute, state=TicketState.new,
                    subject=f"Dispute of violation #{violation.id} ({violation.criterion})", text=dispute.reason,
                    meeting_id=violation.meeting_id, violation_id=violation.id, updated_at=now,
                    response_due_at=lifecycle.response_due(now, rep.time_zone, options.response_business_days,
                                                           options.holiday_country))
    session.add(ticket)
    session.flush()
    return ticket


def _subject(subject: str | None, text: str) -> str:
    subject = (subject or "").strip()
    if subject:
        return subject[:200]
    first_line = text.splitlines()[0] if text else ""
    return first_line if len(first_line) <= SUBJECT_LENGTH else first_line[:SUBJECT_LENGTH - 1].rstrip() + "…"


# --- the thread and the lifecycle ----------------------------------------------------------------------------

def _note(session: Session, ticket: Ticket, author: User | None, kind: str, body: str,
          state_from: TicketState | None = None) -> TicketMessage:
    message = TicketMessage(ticket_id=ticket.id, author_id=author.id if author else None,
                            author_role=author.role.value if author else "system", kind=kind, body=body,
                            state_from=state_from.value if state_from else None,
                            state_to=ticket.state.value if state_from else None)
    session.add(message)
    return message


def _owe_response(ticket: Ticket, rep: User, options: DeskOptions, now: datetime) -> None:
    ticket.response_due_at = lifecycle.response_due(now, rep.time_zone, options.response_business_days,
                                                    options.holiday_country)


def add_message(session: Session, author: User, ticket: Ticket, text: str, options: DeskOptions,
                now: datetime | None = None) -> TicketMessage:
    """A reply in the thread. The rep's reply to support's question brings the ticket back to support (a new
    response deadline); an answered ticket takes the rep's words only as a reopen."""
    now = now or utcnow()
    if ticket.state == TicketState.closed:
        raise Conflict("The ticket is closed; open a new ticket.", status_now=ticket.state.value, allowed=[])
    if author.role == Role.rep and ticket.state in lifecycle.ANSWERED_STATES:
        raise Conflict("The ticket is answered; reopen it (action `reopen` with your text) to write again.",
                       status_now=ticket.state.value, allowed=lifecycle.allowed_actions(ticket.state, author.role))
    before = ticket.state
    if author.role == Role.rep and ticket.state == TicketState.waiting_for_rep:
        ticket.state = lifecycle.back_to_support(ticket.assignee_id is not None)
        _owe_response(ticket, session.get_one(User, ticket.rep_id), options, now)
    elif author.role == Role.support and ticket.state == TicketState.new:
        ticket.state, ticket.assignee_id = TicketState.in_progress, author.id  # writing to the rep takes it
    ticket.updated_at = now
    message = _note(session, ticket, author, "message", text.strip(), before if ticket.state != before else None)
    session.flush()
    if author.role != Role.rep:
        _tell_rep(session, ticket, f"Support wrote in ticket #{ticket.id}", text)
    return message


def transition(session: Session, actor: User, ticket: Ticket, action: str, text: str | None, if_match: str | None,
               options: DeskOptions, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    check_if_match(ticket_etag(ticket), if_match, "ticket")
    rule = lifecycle.check_action(action, ticket.state, actor.role, text)
    before = ticket.state
    text = (text or "").strip()
    if action == "take":
        ticket.assignee_id = actor.id
        ticket.state = TicketState.in_progress
        _note(session, ticket, actor, "event", f"Taken by {actor.full_name}.", before)
    elif action == "ask":
        ticket.assignee_id = ticket.assignee_id or actor.id
        ticket.state, ticket.response_due_at = TicketState.waiting_for_rep, None
        _note(session, ticket, actor, "question", text, before)
        _tell_rep(session, ticket, f"Support asks you about ticket #{ticket.id}", text)
    elif action in ("resolve", "reject"):
        _answer(session, actor, ticket, rule.target or TicketState.resolved, text, now)
    elif action == "reopen":
        lifecycle.check_reopen_window(ticket.answered_at, options.reopen_days, now)
        ticket.state = lifecycle.back_to_support(ticket.assignee_id is not None)
        ticket.reopened_count += 1
        _owe_response(ticket, actor, options, now)
        _note(session, ticket, actor, "reopen", text, before)
    elif action == "close":
        ticket.state, ticket.closed_at, ticket.closed_by_id = TicketState.closed, now, actor.id
        ticket.response_due_at = None
        _note(session, ticket, actor, "event", f"Closed by {actor.full_name}.", before)
    ticket.updated_at = now
    session.flush()
    return ticket


def _answer(session: Session, actor: User, ticket: Ticket, state: TicketState, text: str, now: datetime) -> None:
    before = ticket.state
    ticket.state, ticket.answer, ticket.answered_by_id, ticket.answered_at = state, text, actor.id, now
    ticket.assignee_id = ticket.assignee_id or actor.id
    ticket.response_due_at = None
    _note(session, ticket, actor, "answer", text, before)
    verdict = "resolved" if state == TicketState.resolved else "rejected"
    _tell_rep(session, ticket, f"Your ticket #{ticket.id} is {verdict}", text)


def answer_tickets(session: Session, actor: User, tickets: Iterable[Ticket], state: TicketState, text: str,
                   now: datetime | None = None) -> list[Ticket]:
    """The same answer to several open tickets at once (the tickets about one incident)."""
    now = now or utcnow()
    answered = []
    for ticket in tickets:
        if ticket.state in lifecycle.OPEN_STATES:
            _answer(session, actor, ticket, state, text, now)
            ticket.updated_at = now
            answered.append(ticket)
    session.flush()
    return answered


def close_in_bulk(session: Session, manager: User, *, states: Sequence[TicketState] | None = None,
                  rep_id: int | None = None, kind: TicketKind | None = None, incident_id: int | None = None,
                  answered_before: datetime | None = None, now: datetime | None = None) -> list[int]:
    """Close every answered ticket the filter selects; open ones are never closed this way."""
    now = now or utcnow()
    wanted = [state for state in (states or lifecycle.ANSWERED_STATES) if state in lifecycle.ANSWERED_STATES]
    statement = select(Ticket).where(Ticket.state.in_(wanted))
    if rep_id is not None:
        statement = statement.where(Ticket.rep_id == rep_id)
    if kind is not None:
        statement = statement.where(Ticket.kind == kind)
    if incident_id is not None:
        statement = statement.where(Ticket.incident_id == incident_id)
    if answered_before is not None:
        statement = statement.where(Ticket.answered_at < answered_before)
    closed = []
    for ticket in session.scalars(statement.order_by(Ticket.id)):
        before = ticket.state
        ticket.state, ticket.closed_at, ticket.closed_by_id = TicketState.closed, now, manager.id
        ticket.updated_at = now
        _note(session, ticket, manager, "event", f"Closed (in bulk) by {manager.full_name}.", before)
        closed.append(ticket.id)
    session.flush()
    return closed


def _tell_rep(session: Session, ticket: Ticket, subject: str, body: str) -> None:
    rep = session.get_one(User, ticket.rep_id)
    seq = session.scalar(select(func.count()).select_from(TicketMessage).where(TicketMessage.ticket_id == ticket.id))
    outbox.enqueue(session, channel="email", kind="ticket_update", recipient=rep.email, subject=subject, body=body,
                   dedupe_key=f"ticket:{ticket.id}:{seq}")


# --- attachments ---------------------------------------------------------------------------------------------

def sniff_attachment(data: bytes) -> tuple[str, str]:
    """(content type, file suffix) of a photo or scan, from its first bytes; 415 for anything else."""
    for magic, content_type, suffix in ATTACHMENT_TYPES:
        if data.startswith(magic):
            return content_type, suffix
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return "image/heic", ".heic"
    from errors import UnsupportedMedia

    raise UnsupportedMedia("Attach a photo (JPEG, PNG, HEIC) or a PDF scan.")


def add_attachment(session: Session, store: ObjectStore, uploader: User, ticket: Ticket, data: bytes,
                   filename: str | None, max_bytes: int, retry_seed: str | None = None) -> TicketAttachment:
    if ticket.state == TicketState.closed:
        raise Conflict("The ticket is closed; open a new ticket.", status_now=ticket.state.value, allowed=[])
    if len(data) > max_bytes:
        from errors import PayloadTooLarge

        raise PayloadTooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise Invalid("The file is empty.", errors={"file": ["Empty."]})
    content_type, suffix = sniff_attachment(data)
    key = new_object_key(f"tickets/{ticket.id}", suffix, retry_seed)
    store.put(key, io.BytesIO(data), content_type)
    attachment = TicketAttachment(ticket_id=ticket.id, uploaded_by_id=uploader.id, object_key=key,
                                  filename=(filename or "")[:255] or None, content_type=content_type,
                                  size_bytes=len(data))
    session.add(attachment)
    ticket.updated_at = utcnow()
    session.flush()
    return attachment


# --- figures -------------------------------------------------------------------------------------------------

def deflection_figures(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """Deflected: shown an earlier answer or an incident and did not insist; insisted: created anyway."""
    rows = session.execute(select(TicketDeflection.matched_incident_id.is_(None), TicketDeflection.insisted_ticket_id)
                           .where(TicketDeflection.created_at >= since, TicketDeflection.created_at < until)).all()
    deflected = [row for row in rows if row[1] is None]
    tickets = session.scalar(select(func.count()).select_from(Ticket)
                             .where(Ticket.created_at >= since, Ticket.created_at < until)) or 0
    return {"deflected": len(deflected), "deflected_to_tickets": sum(1 for row in deflected if row[0]),
            "deflected_to_incidents": sum(1 for row in deflected if not row[0]),
            "insisted": sum(1 for row in rows if row[1] is not None), "tickets_created": tickets}


def resembled(session: Session, matches: Sequence[Resemblance]) -> list[dict[str, Any]]:
    """The deflection's matches with what the rep is shown of each: the earlier ticket's answer, the incident."""
    shown = []
    for match in matches:
        if match.kind == "ticket":
            shown.append({"kind": "ticket", "score": match.score, "ticket": session.get(Ticket, match.id),
                          "incident": None})
        else:
            shown.append({"kind": "incident", "score": match.score, "ticket": None,
                          "incident": session.get(Incident, match.id)})
    return shown
