"""Reviewers' decisions teach the bot.

A reviewer marks the words that carried a criterion's meaning (an example the bot missed) or did not
carry it (a near-miss the bot took for it). Each mark becomes a proposal; a QA lead accepts or rejects
it. The script's next version is the latest one plus the accepted proposals: examples become phrases,
near-misses are kept under the criterion's `near_misses` and lift its threshold just above their
scores. Before publishing, every reviewed call's stored transcript is scored again (no re-transcription)
with the latest version and with the proposed one, against what the reviewers decided.
"""

from __future__ import annotations

import copy
import hashlib
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance.matcher import DEFAULT_THRESHOLD, Segment, evaluate_call
from compliance.scripts import CallScriptSpec, load_script
from compliance.service import add_script_version
from errors import Conflict, Invalid, NotFound, require_matching_etag
from models import (
    CallScript,
    ExampleProposal,
    Meeting,
    Recording,
    ReviewClaim,
    ReviewDecision,
    TranscriptSegment,
    User,
    Violation,
    ViolationStatus,
)
from qa import rules

DEFAULT_SCRIPT_NAME = "reminder-call"
KINDS = ("example", "near_miss")
PROPOSAL_STATUSES = ("proposed", "accepted", "rejected")
MAX_LEARNT_THRESHOLD = 95.0  # a near-miss scoring above this is too close to a phrase to be told apart
WRONG_LANGUAGE = "wrong_language"


def score_text(spec: CallScriptSpec, criterion_id: str, text: str, language: str) -> float | None:
    """How well `text` matches the criterion (0-100), as the bot scores one utterance of it."""
    criterion = next((item for item in spec.criteria if item.id == criterion_id), None)
    if criterion is None:
        return None
    alone = replace(spec, criteria=(replace(criterion, speaker="any", within_seconds=None),))
    words = max(1, len(text.split()))
    segment = Segment(index=0, speaker="rep", start_s=0.0, end_s=0.4 * words + 1.0, language=language, text=text)
    verdict = evaluate_call([segment], alone)
    outcome = next(item for item in verdict.criteria if item.criterion == criterion_id)
    return round(outcome.score, 1)


def propose(session: Session, reviewer: User, script: CallScript | None, *, criterion: str, text: str,
            language: str, kind: str, decision: ReviewDecision | None) -> ExampleProposal:
    """Keep the marked words as a proposal for the criterion (once: the same words again join the open one)."""
    name = script.name if script is not None else DEFAULT_SCRIPT_NAME
    same = session.scalar(select(ExampleProposal).where(
        ExampleProposal.script_name == name, ExampleProposal.criterion == criterion, ExampleProposal.kind == kind,
        ExampleProposal.language == language, func.lower(ExampleProposal.text) == text.lower(),
        ExampleProposal.status != "rejected", ExampleProposal.published_script_id.is_(None)))
    if same is not None:
        return same
    score = None
    if script is not None:
        try:
            score = score_text(load_script(script.body), criterion, text, language)
        except Invalid:
            score = None
    row = ExampleProposal(script_name=name, criterion=criterion, kind=kind, language=language, text=text[:300],
                          score=score, decision_id=decision.id if decision else None,
                          recording_id=decision.recording_id if decision else None, proposed_by_id=reviewer.id,
                          status="proposed")
    session.add(row)
    session.flush()
    return row


def proposal_etag(proposal: ExampleProposal) -> str:
    return f"p{proposal.id}-v{proposal.version}"


def get_proposal(session: Session, proposal_id: int) -> ExampleProposal:
    row = session.get(ExampleProposal, proposal_id)
    if row is None:
        raise NotFound("No such proposal.")
    return row


def list_proposals(*, status: str | None = None, criterion: str | None = None, script_name: str | None = None):
    statement = select(ExampleProposal).order_by(ExampleProposal.criterion, ExampleProposal.id)
    if status:
        statement = statement.where(ExampleProposal.status == status)
    if criterion:
        statement = statement.where(ExampleProposal.criterion == criterion)
    if script_name:
        statement = statement.where(ExampleProposal.script_name == script_name)
    return statement


def review_proposal(session: Session, lead: User, proposal: ExampleProposal, *, accept: bool, reason: str | None,
                    if_match: str | None, now: datetime) -> ExampleProposal:
    """A QA lead accepts a proposal into the script's next version, or rejects it (a reason required)."""
    etag = proposal_etag(proposal)
    require_matching_etag(etag, if_match, "proposal",
                          missing="Send If-Match with the proposal's ETag as you read it (its `etag`).",
                          stale="The proposal changed since you read it; reload it.")
    if proposal.published_script_id is not None:
        raise Conflict("The proposal is already in a published script version.")
    reason = (reason or "").strip() or None
    if not accept and reason is None:
        raise Invalid("Say why the proposal is rejected.", errors={"reason": ["Required to reject."]})
    proposal.status = "accepted" if accept else "rejected"
    proposal.reviewed_by_id, proposal.reviewed_at, proposal.review_reason = lead.id, now, reason
    session.flush()
    return proposal


# --- the next version -------------------------------------------------------------------------

@dataclass
class Draft:
    base: CallScript
    proposals: list[ExampleProposal]
    body: dict[str, Any]
    etag: str
    notes: list[str] = field(default_factory=list)


def latest_script(session: Session, name: str) -> CallScript:
    row = session.scalar(select(CallScript).where(CallScript.name == name).order_by(CallScript.version.desc())
                         .limit(1))
    if row is None:
        raise NotFound(f"No script named {name!r}.")
    return row


def build_body(base_body: dict[str, Any], proposals: list[ExampleProposal]) -> tuple[dict[str, Any], list[str]]:
    """The base script with the accepted proposals in, as the next version; and notes on what could not be
    learnt (a near-miss scoring as high as a phrase)."""
    body = copy.deepcopy(base_body)
    body["version"] = int(body["version"]) + 1
    by_id = {criterion["id"]: criterion for criterion in body["criteria"]}
    notes: list[str] = []
    for proposal in proposals:
        criterion = by_id.get(proposal.criterion)
        if criterion is None:
            notes.append(f"{proposal.criterion}: not in the script any more; proposal {proposal.id} left out.")
            continue
        target = criterion.setdefault("phrases" if proposal.kind == "example" else "near_misses", {})
        texts = target.setdefault(proposal.language, [])
        if proposal.text.lower() not in (text.lower() for text in texts):
            texts.append(proposal.text)
    spec = load_script(body)
    for criterion in spec.criteria:
        scores = [score for language, texts in criterion.near_misses.items() for text in texts
                  if (score := score_text(spec, criterion.id, text, language)) is not None]
        threshold = criterion.threshold if criterion.threshold is not None else DEFAULT_THRESHOLD
        if not scores or max(scores) < threshold:
            continue
        lifted = min(MAX_LEARNT_THRESHOLD, math.floor(max(scores)) + 1.0)
        if lifted <= max(scores):
            notes.append(f"{criterion.id}: a near-miss scores {max(scores)}, as high as a phrase; the threshold "
                         f"stays at most {MAX_LEARNT_THRESHOLD:g}.")
        by_id[criterion.id]["threshold"] = lifted
    return body, notes


def draft(session: Session, name: str = DEFAULT_SCRIPT_NAME) -> Draft:
    base = latest_script(session, name)
    proposals = list(session.scalars(select(ExampleProposal).where(
        ExampleProposal.script_name == name, ExampleProposal.status == "accepted",
        ExampleProposal.published_script_id.is_(None)).order_by(ExampleProposal.id)))
    body, notes = build_body(base.body, proposals)
    digest = hashlib.sha256(f"{base.id}|".encode())
    for proposal in proposals:
        digest.update(f"{proposal.id}:{proposal.version};".encode())
    return Draft(base, proposals, body, f"d{base.version}-{digest.hexdigest()[:16]}", notes)


# --- re-scoring the reviewed calls -------------------------------------------------------------

@dataclass(frozen=True)
class ReviewedCall:
    recording_id: str
    english_meeting: bool
    segments: tuple[Segment, ...]
    violations: frozenset[str]  # the criteria reviewers hold violated (confirmed, the bot's or added)


def reviewed_calls(session: Session, name: str) -> list[ReviewedCall]:
    """Calls of the script whose first review is finished, with their stored transcripts."""
    finished = select(ReviewClaim.recording_id).where(ReviewClaim.slot == 1, ReviewClaim.finished_at.is_not(None))
    rows = session.execute(
        select(Recording.id, Meeting.english_speaking_client)
        .join(Meeting, Meeting.id == Recording.meeting_id)
        .join(CallScript, CallScript.id == Recording.script_id)
        .where(Recording.id.in_(finished), CallScript.name == name)
        .order_by(Recording.call_started_at, Recording.id)).all()
    calls = []
    for recording_id, english in rows:
        segments = tuple(
            Segment(index=row.position, speaker=row.speaker, start_s=row.start_s, end_s=row.end_s,
                    language=row.language, text=row.text, language_probability=row.language_probability or 1.0,
                    avg_logprob=row.avg_logprob if row.avg_logprob is not None else 0.0)
            for row in session.scalars(select(TranscriptSegment).where(TranscriptSegment.recording_id == recording_id)
                                       .order_by(TranscriptSegment.position)))
        confirmed = frozenset(session.scalars(select(Violation.criterion).where(
            Violation.recording_id == recording_id, Violation.status == ViolationStatus.confirmed)))
        calls.append(ReviewedCall(recording_id, bool(english), segments, confirmed))
    return calls


@dataclass(frozen=True)
class Rescore:
    criterion: str
    before: rules.Counts
    after: rules.Counts


def rescore(calls: list[ReviewedCall], before: CallScriptSpec, after: CallScriptSpec) -> list[Rescore]:
    """Precision and recall of the bot's violations per criterion against the reviewers' decisions, with
    the script as it is and as proposed; `all` sums the criteria the two versions share."""
    criteria = [c.id for c in before.criteria if c.id in {a.id for a in after.criteria}] + [WRONG_LANGUAGE]
    counts = {criterion: [rules.Counts(), rules.Counts()] for criterion in [*criteria, "all"]}
    for call in calls:
        for index, spec in enumerate((before, after)):
            verdict = evaluate_call(call.segments, spec, english_meeting=call.english_meeting)
            flagged = {violation.criterion for violation in verdict.violations}
            for criterion in criteria:
                truth, predicted = criterion in call.violations, criterion in flagged
                counts[criterion][index] = counts[criterion][index].add(truth, predicted)
                counts["all"][index] = counts["all"][index].add(truth, predicted)
    return [Rescore(criterion, pair[0], pair[1]) for criterion, pair in counts.items()]


@dataclass
class Preview:
    draft: Draft
    calls: int
    figures: list[Rescore]


def preview(session: Session, name: str = DEFAULT_SCRIPT_NAME) -> Preview:
    current = draft(session, name)
    calls = reviewed_calls(session, name)
    figures = rescore(calls, load_script(current.base.body), load_script(current.body))
    return Preview(current, len(calls), figures)


def publish(session: Session, lead: User, *, name: str, effective_from: date, if_match: str | None,
            now: datetime) -> CallScript:
    """Add the proposed version, exactly as previewed (If-Match: the draft's ETag)."""
    current = draft(session, name)
    require_matching_etag(current.etag, if_match, "draft",
                          missing="Send If-Match with the draft's ETag from the preview you looked at.",
                          stale="The proposals changed since your preview; look at the new figures first.")
    if not current.proposals:
        raise Conflict("No accepted proposals to publish.")
    row = add_script_version(session, current.body, effective_from=effective_from, created_by=lead)
    for proposal in current.proposals:
        proposal.published_script_id = row.id
    session.flush()
    return row
