"""The QA console: the queue, a call (audio beside the transcript, decisions by keyboard), the bot's
precision, and the QA lead's page for proposals and the script's next version. Server-rendered on the
console base; the decisions go through the same service functions as the JSON API."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from api.context import app_settings, db_session, object_store
from console import NavEntry, allow_media_from, current_user, install, roles
from errors import FieldrepError, Invalid
from models import Role, User, utcnow
from qa import service, teaching
from qa.rules import QaOptions

bp = Blueprint("qa_console", __name__, url_prefix="/console/qa", template_folder="templates",
               static_folder="static", static_url_path="/static")
REVIEWERS = (Role.qa, Role.qa_lead)
READERS = (Role.qa, Role.qa_lead, Role.manager)
LEADS = (Role.qa_lead,)
install(bp, nav=[NavEntry("QA queue", "qa_console.queue", READERS),
                 NavEntry("Bot precision", "qa_console.figures", READERS),
                 NavEntry("Teaching the bot", "qa_console.teaching_page", READERS)])


def _options() -> QaOptions:
    return QaOptions.from_settings(app_settings())


def _user() -> User:
    user = current_user()
    assert user is not None  # @roles let only a logged-in user through
    return user


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@roles(*READERS)
def queue():
    args = request.args
    status = args.get("status") or "open"
    rep_id = args.get("rep_id", type=int)
    filters = service.QueueFilter(rep_id=rep_id, team=args.get("team") or None, date_from=_day(args.get("date_from")),
                                  date_to=_day(args.get("date_to")), criterion=args.get("criterion") or None,
                                  status=None if status == "all" else status)
    items = service.queue(db_session(), _user(), filters, utcnow(), _options())
    reps = db_session().query(User).filter(User.role == Role.rep).order_by(User.full_name).all()
    return render_template("qa/queue.html", items=items[:200], total=len(items), args=args, status=status, reps=reps,
                           can_review=_user().role in REVIEWERS)


@bp.post("/calls/<string(length=32):recording_id>/claim")
@roles(*REVIEWERS)
def claim(recording_id: str):
    session = db_session()
    try:
        service.claim(session, _user(), service.flagged_call(session, recording_id), utcnow(), _options())
    except FieldrepError as error:
        session.rollback()
        flash(error.message)
        return redirect(url_for("qa_console.queue"))
    session.commit()
    return redirect(url_for("qa_console.call", recording_id=recording_id))


@bp.post("/calls/<string(length=32):recording_id>/release")
@roles(*REVIEWERS)
def release(recording_id: str):
    session = db_session()
    service.release(session, _user(), service.flagged_call(session, recording_id), utcnow())
    session.commit()
    flash("The call is back in the queue.")
    return redirect(url_for("qa_console.queue"))


def _highlighted(text: str, spans: list[str]) -> Markup:
    """The segment's text, escaped, with each evidence span found in it wrapped in <mark>."""
    words = [span for span in spans if span and span.strip()]
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(span.strip()) for span in sorted(words, key=len, reverse=True)),
                         re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


@bp.get("/calls/<string(length=32):recording_id>")
@roles(*READERS)
def call(recording_id: str):
    session = db_session()
    recording = service.flagged_call(session, recording_id)
    view = service.call_view(session, _user(), recording, utcnow(), _options())
    seconds = min(app_settings().download_url_seconds, 3600)
    audio_url = object_store().download_url(recording.object_key, seconds)
    allow_media_from(audio_url)
    spans: dict[int, list[str]] = {}
    evidence_of: dict[int, list[str]] = {}
    for result in view.criteria:
        if result.evidence and result.evidence.get("segment") is not None:
            spans.setdefault(result.evidence["segment"], []).append(result.evidence.get("words") or "")
            evidence_of.setdefault(result.evidence["segment"], []).append(result.criterion)
    for item in view.violations:
        evidence = item.violation.evidence or {}
        if evidence.get("segment") is not None:
            evidence_of.setdefault(evidence["segment"], []).append(item.violation.criterion)
    segments = [(segment, _highlighted(segment.text, spans.get(segment.position, [])),
                 evidence_of.get(segment.position, [])) for segment in view.segments]
    reviewers = {user.id: user.username for user in session.query(User).filter(
        User.role.in_((Role.qa, Role.qa_lead))).all()}
    return render_template("qa/call.html", view=view, audio_url=audio_url, segments=segments, reviewers=reviewers,
                           can_review=_user().role in REVIEWERS, user=_user())


def _marks(body: dict) -> list[service.Mark]:
    marks = body.get("marks") or []
    if not isinstance(marks, list) or len(marks) > 20:
        raise Invalid("Up to 20 marks.")
    try:
        return [service.Mark(int(m["segment"]), str(m["words"])[:300], bool(m["carries"])) for m in marks]
    except (KeyError, TypeError, ValueError):
        raise Invalid("Each mark needs a segment, words and whether they carry the meaning.") from None


def _finished(recording_id: str) -> bool:
    claim = next((c for c in service.claims_of(db_session(), recording_id) if c.reviewer_id == _user().id), None)
    return claim is not None and claim.finished_at is not None


@bp.post("/violations/<int:violation_id>/decide")
@roles(*REVIEWERS)
def decide(violation_id: int):
    body = request.get_json(silent=True) or {}
    session = db_session()
    violation = service.reviewed_violation(session, violation_id)
    review = service.decide(session, _user(), violation, decision=str(body.get("decision", "")),
                            comment=body.get("comment"), marks=_marks(body), if_match=body.get("etag"),
                            now=utcnow(), options=_options())
    session.commit()
    recording_id = violation.recording_id or ""
    return jsonify(status=review.violation.status.value, etag=review.etag, finished=_finished(recording_id),
                   next_url=url_for("qa_console.queue"))


@bp.post("/calls/<string(length=32):recording_id>/violations")
@roles(*REVIEWERS)
def add_missed(recording_id: str):
    body = request.get_json(silent=True) or {}
    session = db_session()
    recording = service.flagged_call(session, recording_id)
    try:
        at_s = float(body.get("at_s", 0))
    except (TypeError, ValueError):
        raise Invalid("The time is a number of seconds.") from None
    review = service.add_missed(session, _user(), recording, criterion=str(body.get("criterion", "")), at_s=at_s,
                                comment=str(body.get("comment", "")), marks=_marks(body), now=utcnow(),
                                options=_options())
    session.commit()
    return jsonify(status=review.violation.status.value, etag=review.etag, id=review.violation.id), 201


def _bars(rows: list[tuple[str, float | None]], width: int = 520) -> dict:
    """Geometry of a horizontal bar chart of shares (0-1), drawn as inline SVG by the template."""
    bar, gap, label = 22, 8, 170
    return {"width": width, "height": len(rows) * (bar + gap) + 24, "label": label, "scale": width - label - 50,
            "rows": [{"name": name, "value": value, "y": index * (bar + gap), "h": bar} for index, (name, value)
                     in enumerate(rows)]}


@bp.get("/figures")
@roles(*READERS)
def figures():
    result = service.figures(db_session(), date_from=_day(request.args.get("date_from")),
                             date_to=_day(request.args.get("date_to")), period=request.args.get("period", "week")
                             if request.args.get("period") in ("day", "week", "month") else "week")
    chart = _bars([(f.criterion, f.precision) for f in result.criteria])
    trend = _bars([(p["period_start"].isoformat(), p["precision"]) for p in result.periods])
    return render_template("qa/figures.html", figures=result, chart=chart, trend=trend, args=request.args)


@bp.get("/teaching")
@roles(*READERS)
def teaching_page():
    session = db_session()
    name = request.args.get("name") or teaching.DEFAULT_SCRIPT_NAME
    proposals = list(session.scalars(teaching.list_proposals(script_name=name)))
    preview = teaching.preview(session, name)
    return render_template("qa/teaching.html", proposals=proposals, preview=preview, name=name,
                           is_lead=_user().role in LEADS, etag_of=teaching.proposal_etag, today=utcnow().date())


@bp.post("/proposals/<int:proposal_id>/review")
@roles(*LEADS)
def review_proposal(proposal_id: int):
    session = db_session()
    proposal = teaching.get_proposal(session, proposal_id)
    try:
        teaching.review_proposal(session, _user(), proposal, accept=request.form.get("decision") == "accept",
                                 reason=request.form.get("reason"), if_match=request.form.get("etag"), now=utcnow())
        session.commit()
    except FieldrepError as error:
        session.rollback()
        flash(error.message)
    return redirect(url_for("qa_console.teaching_page", name=proposal.script_name))


@bp.post("/publish")
@roles(*LEADS)
def publish():
    session = db_session()
    name = request.form.get("name") or teaching.DEFAULT_SCRIPT_NAME
    effective = _day(request.form.get("effective_from"))
    try:
        if effective is None:
            raise Invalid("Give the date the version applies from.")
        row = teaching.publish(session, _user(), name=name, effective_from=effective,
                               if_match=request.form.get("etag"), now=utcnow())
        session.commit()
        flash(f"Published {row.name} version {row.version}, in force from {row.effective_from.isoformat()}.")
    except FieldrepError as error:
        session.rollback()
        flash(error.message)
    return redirect(url_for("qa_console.teaching_page", name=name))
