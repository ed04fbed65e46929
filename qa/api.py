"""QA review of the bot's flagged calls, the figures from reviewers' decisions, the script's next version
learnt from them, and reps' disputes of confirmed violations."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint, Page

from accounts.auth import roles_required
from api.context import app_settings, db_session, object_store
from api.contract import ETAG, errors, requires_if_match
from api.fields import ID_PATH
from api.idempotency import idempotent
from api.pagination import SelectPage
from models import Role, utcnow
from qa import service, teaching
from qa.rules import QaOptions
from qa.schemas import (
    AddViolationSchema,
    CallSchema,
    ClaimSchema,
    DecideSchema,
    DisputeCreateSchema,
    DisputeSchema,
    DraftQuerySchema,
    FiguresQuerySchema,
    FiguresSchema,
    PreviewSchema,
    ProposalQuerySchema,
    ProposalReviewSchema,
    ProposalSchema,
    PublishSchema,
    QueueItemSchema,
    QueueQuerySchema,
    ScriptSchema,
    ViolationReviewSchema,
)

blp = Blueprint("qa", __name__, url_prefix="/api/v1/qa",
                description="QA review of the bot's flagged calls: queue, claims, decisions, figures, teaching the bot")
disputes_blp = Blueprint("disputes", __name__, url_prefix="/api/v1",
                         description="A rep disputes a confirmed violation")
REVIEWERS = (Role.qa, Role.qa_lead)
READERS = (Role.qa, Role.qa_lead, Role.manager)  # managers see the review, read-only
LEADS = (Role.qa_lead,)
RECORDING_PATH = "string(length=32)"


def _options() -> QaOptions:
    return QaOptions.from_settings(app_settings())


def _marks(data: dict) -> list[service.Mark]:
    return [service.Mark(m["segment"], m["words"], m["carries"]) for m in data.get("marks", [])]


def _with_etag(review: service.ViolationReview, status: int = 200):
    return review, status, {"ETag": f'"{review.etag}"'}


@blp.route("/queue")
class Queue(MethodView):
    @roles_required(*READERS)
    @blp.arguments(QueueQuerySchema, location="query")
    @blp.response(200, QueueItemSchema(many=True))
    @blp.paginate(Page)  # a list: the queue's order and status are worked out in Python
    def get(self, query):
        """Analysed calls with the bot's flags, least certain first (filter by rep, team, days, criterion, status)."""
        status = query.get("status", "open")
        filters = service.QueueFilter(rep_id=query.get("rep_id"), team=query.get("team"),
                                      date_from=query.get("date_from"), date_to=query.get("date_to"),
                                      criterion=query.get("criterion"), status=None if status == "all" else status)
        return service.queue(db_session(), current_user, filters, utcnow(), _options())


@blp.route(f"/calls/<{RECORDING_PATH}:recording_id>")
class Call(MethodView):
    @roles_required(*READERS)
    @blp.response(200, CallSchema)
    def get(self, recording_id):
        """One call to review: meeting context, a short-lived audio link, the transcript (speakers, languages),
        each criterion's result with its evidence, and the violations with every decision made on them."""
        session = db_session()
        recording = service.flagged_call(session, recording_id)
        view = service.call_view(session, current_user, recording, utcnow(), _options())
        seconds = app_settings().download_url_seconds
        view.audio = {"url": object_store().download_url(recording.object_key, seconds), "expires_in": seconds}
        return view


@blp.route(f"/calls/<{RECORDING_PATH}:recording_id>/claim")
class CallClaim(MethodView):
    @roles_required(*REVIEWERS)
    @idempotent
    @blp.response(200, ClaimSchema)
    @errors(e409="Another reviewer holds the call (`claimed`), or it has been reviewed by as many reviewers as it "
                 "needs")
    def post(self, recording_id):
        """Claim the call to review it; the claim expires if abandoned, and each decision renews it.
        Claim it again after finishing to revise a decision."""
        session = db_session()
        recording = service.flagged_call(session, recording_id)
        return service.claim(session, current_user, recording, utcnow(), _options())

    @roles_required(*REVIEWERS)
    @blp.response(204)
    @errors(e409="You do not hold this call")
    def delete(self, recording_id):
        """Give the call back before your claim expires."""
        session = db_session()
        service.release(session, current_user, service.flagged_call(session, recording_id), utcnow())
        session.commit()


@blp.route(f"/calls/<{RECORDING_PATH}:recording_id>/violations")
class CallViolations(MethodView):
    @roles_required(*REVIEWERS)
    @idempotent
    @blp.arguments(AddViolationSchema)
    @blp.response(201, ViolationReviewSchema, headers=ETAG)
    @errors(e409="Claim the call first (`not_claimed`), or the call already has a violation of that criterion")
    def post(self, data, recording_id):
        """Add a violation the bot missed (criterion, the second it is heard at, why); mark the words that
        carried the meaning to propose them as examples for the criterion."""
        session = db_session()
        recording = service.flagged_call(session, recording_id)
        review = service.add_missed(session, current_user, recording, criterion=data["criterion"], at_s=data["at_s"],
                                    comment=data["comment"], marks=_marks(data), now=utcnow(),
                                    options=_options())
        return _with_etag(review, 201)


@blp.route(f"/violations/<{ID_PATH}:violation_id>/decisions")
class ViolationDecisions(MethodView):
    @roles_required(*READERS)
    @blp.response(200, ViolationReviewSchema, headers=ETAG)
    def get(self, violation_id):
        """The violation and every decision on it, oldest first (who, when, what, why)."""
        session = db_session()
        return _with_etag(service.history(session, current_user, service.reviewed_violation(session, violation_id)))

    @roles_required(*REVIEWERS)
    @idempotent
    @requires_if_match
    @blp.arguments(DecideSchema)
    @blp.response(201, ViolationReviewSchema, headers=ETAG)
    @errors(e409="Claim the call first (`not_claimed`)")
    def post(self, data, violation_id):
        """Confirm or dismiss (with a comment) a violation of a call you hold, or revise your decision: a new
        version, the earlier ones kept. Mark words to propose them as examples or near-misses."""
        session = db_session()
        violation = service.reviewed_violation(session, violation_id)
        review = service.decide(session, current_user, violation, decision=data["decision"],
                                comment=data.get("comment"), marks=_marks(data),
                                if_match=request.headers.get("If-Match"), now=utcnow(), options=_options())
        return _with_etag(review, 201)


@blp.route("/figures")
class Figures(MethodView):
    @roles_required(*READERS)
    @blp.arguments(FiguresQuerySchema, location="query")
    @blp.response(200, FiguresSchema)
    def get(self, query):
        """The bot's precision per criterion from reviewers' decisions, the misses they added, per period;
        agreement between reviewers on the double-reviewed sample (share equal, Cohen's kappa)."""
        return service.figures(db_session(), date_from=query.get("date_from"), date_to=query.get("date_to"),
                               period=query["period"])


@blp.route("/proposals")
class Proposals(MethodView):
    @roles_required(*READERS)
    @blp.arguments(ProposalQuerySchema, location="query")
    @blp.response(200, ProposalSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query):
        """Examples and near-misses proposed from reviewers' marks, per criterion."""
        return teaching.list_proposals(status=query.get("status"), criterion=query.get("criterion"),
                                       script_name=query.get("name"))


@blp.route(f"/proposals/<{ID_PATH}:proposal_id>/review")
class ProposalReview(MethodView):
    @roles_required(*LEADS)
    @idempotent
    @requires_if_match
    @blp.arguments(ProposalReviewSchema)
    @blp.response(200, ProposalSchema, headers=ETAG)
    @errors(e409="The proposal is already in a published script version")
    def post(self, data, proposal_id):
        """Accept a proposal into the script's next version, or reject it (with a reason)."""
        session = db_session()
        proposal = teaching.get_proposal(session, proposal_id)
        teaching.review_proposal(session, current_user, proposal, accept=data["decision"] == "accept",
                                 reason=data.get("reason"), if_match=request.headers.get("If-Match"), now=utcnow())
        return proposal, 200, {"ETag": f'"{teaching.proposal_etag(proposal)}"'}


@blp.route("/script-draft")
class ScriptDraft(MethodView):
    @roles_required(*READERS)
    @blp.arguments(DraftQuerySchema, location="query")
    @blp.response(200, PreviewSchema, headers=ETAG)
    def get(self, query):
        """The script's next version (the latest plus the accepted proposals), and how it re-scores every
        reviewed call's stored transcript: precision and recall per criterion, before and after."""
        preview = teaching.preview(db_session(), query["name"])
        return preview, 200, {"ETag": f'"{preview.draft.etag}"'}


@blp.route("/script-draft/publish")
class ScriptPublish(MethodView):
    @roles_required(*LEADS)
    @idempotent
    @requires_if_match
    @blp.arguments(PublishSchema)
    @blp.response(201, ScriptSchema)
    @errors(e409="No accepted proposals to publish, or the version number is taken")
    def post(self, data):
        """Publish the draft you previewed (If-Match: its ETag) as the script's next version from a date."""
        return teaching.publish(db_session(), current_user, name=data["name"], effective_from=data["effective_from"],
                                if_match=request.headers.get("If-Match"), now=utcnow())


@disputes_blp.route(f"/violations/<{ID_PATH}:violation_id>/dispute")
class ViolationDispute(MethodView):
    @roles_required(Role.rep)
    @idempotent
    @disputes_blp.arguments(DisputeCreateSchema)
    @disputes_blp.response(201, DisputeSchema)
    @errors(e409="Not a confirmed violation, or already disputed")
    def post(self, data, violation_id):
        """Dispute one of your confirmed violations; support takes it up as a ticket."""
        return service.dispute(db_session(), current_user, violation_id, data["reason"], utcnow())
