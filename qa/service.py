"""QA review use cases: the queue, claims, the call view, decisions and their history, disputes, figures.

No Flask here: callers pass a session, the reviewer and the time. Rules without a database are in qa.rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from errors import Conflict, Invalid, NotFound, PreconditionFailed, require_matching_etag
from models import (
    CallScript,
    CriterionResult,
    Meeting,
    Recording,
    ReviewClaim,
    ReviewDecision,
    Role,
    TranscriptSegment,
    User,
    Violation,
    ViolationDispute,
    ViolationStatus,
)
from qa import disputes, rules
from qa.rules import QaOptions
from qa.visibility import shown_to_rep
from storage.db import rowcount

BOT = "bot"
REVIEWER = "qa"  # the source of a violation a reviewer added (the bot missed it)
WRONG_LANGUAGE = "wrong_language"
QUEUE_STATUSES = ("open", "in_review", "reviewed")
LEADS = (Role.qa_lead,)
REVIEWERS = (Role.qa, Role.qa_lead)
DEFAULT_OPTIONS = QaOptions()


class Claimed(Conflict):
    code = "claimed"


class NotClaimed(Conflict):
    code = "not_claimed"


# --- the queue ---------------------------------------------------------------------------------

@dataclass
class QueueItem:
    recording: Recording
    rep: User
    least_confidence: float | None
    flagged: list[str]  # criteria of the bot's flags still awaiting a decision
    criteria: list[str]  # criteria of all the bot's flags on the call
    status: str
    double_review: bool
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    mine: bool = False


@dataclass(frozen=True)
class QueueFilter:
    rep_id: int | None = None
    team: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    criterion: str | None = None
    status: str | None = "open"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def queue(session: Session, viewer: User, filters: QueueFilter, now: datetime,
          options: QaOptions = DEFAULT_OPTIONS) -> list[QueueItem]:
    """Analysed calls with the bot's flags, least certain first (the lowest confidence of any criterion's
    verdict: the scores nearest their thresholds), then oldest first.

    Dates are the call's UTC day; `team` is the rep's region."""
    flagged = select(Violation.recording_id).where(Violation.source == BOT, Violation.recording_id.is_not(None))
    if filters.criterion:
        flagged = flagged.where(Violation.criterion == filters.criterion)
    least = (select(CriterionResult.recording_id, func.min(CriterionResult.confidence).label("least"))
             .group_by(CriterionResult.recording_id).subquery())
    statement = (select(Recording, User, least.c.least)
                 .join(User, User.id == Recording.rep_id)
                 .outerjoin(least, least.c.recording_id == Recording.id)
                 .where(Recording.id.in_(flagged.distinct()), Recording.analysed_at.is_not(None)))
    if filters.rep_id is not None:
        statement = statement.where(Recording.rep_id == filters.rep_id)
    if filters.team:
        statement = statement.where(User.region == filters.team)
    if filters.date_from:
        statement = statement.where(Recording.call_started_at >= _day_start(filters.date_from))
    if filters.date_to:
        statement = statement.where(Recording.call_started_at < _day_start(filters.date_to + timedelta(days=1)))
    statement = statement.order_by(func.coalesce(least.c.least, 1.0), Recording.call_started_at, Recording.id)
    rows = session.execute(statement).all()
    ids = [recording.id for recording, _user, _least in rows]
    claims: dict[str, list[ReviewClaim]] = defaultdict(list)
    violations: dict[str, list[Violation]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for claim in session.scalars(select(ReviewClaim).where(ReviewClaim.recording_id.in_(chunk))):
            claims[claim.recording_id].append(claim)
        for violation in session.scalars(select(Violation).where(Violation.recording_id.in_(chunk),
                                                                   Violation.source == BOT)):
            violations[violation.recording_id or ""].append(violation)
    items = []
    for recording, rep, least_confidence in rows:
        item = _queue_item(recording, rep, least_confidence, claims[recording.id], violations[recording.id],
                           viewer, now, options)
        if filters.status is None or item.status == filters.status:
            items.append(item)
    return items


def _queue_item(recording: Recording, rep: User, least_confidence: float | None, claims: list[ReviewClaim],
                violations: list[Violation], viewer: User, now: datetime, options: QaOptions) -> QueueItem:
    double = rules.sampled_for_double_review(recording.id, options.double_review_share)
    slots = (1, 2) if double else (1,)
    by_slot = {claim.slot: claim for claim in claims}
    finished = [slot for slot in slots if slot in by_slot and by_slot[slot].finished_at is not None]
    live = [claim for claim in claims if rules.claim_is_live(claim.expires_at, claim.finished_at, now)]
    mine = next((claim for claim in live if claim.reviewer_id == viewer.id), None)
    done_by_me = any(claim.reviewer_id == viewer.id and claim.finished_at is not None for claim in claims)
    free = [slot for slot in slots if slot not in finished and not any(c.slot == slot for c in live)]
    if len(finished) == len(slots):
        status = "reviewed"
    elif mine is not None or (free and not done_by_me):
        status = "open"
    else:
        status = "in_review"
    holder = mine or (live[0] if live else None)
    return QueueItem(
        recording=recording, rep=rep, least_confidence=least_confidence,
        flagged=sorted({v.criterion for v in violations if v.status == ViolationStatus.flagged}),
        criteria=sorted({v.criterion for v in violations}), status=status, double_review=double,
        claimed_by=None if holder is None else _username(holder.reviewer_id, viewer),
        claim_expires_at=None if holder is None else holder.expires_at, mine=mine is not None,
    )


def _username(user_id: int, viewer: User) -> str:
    from sqlalchemy.orm import object_session

    session = object_session(viewer)
    user = session.get(User, user_id) if session is not None else None
    return user.username if user is not None else str(user_id)


# --- claims ------------------------------------------------------------------------------------

def flagged_call(session: Session, recording_id: str) -> Recording:
    """A call in the QA queue: analysed, with at least one flag of the bot (404 otherwise)."""
    recording = session.get(Recording, recording_id)
    if recording is None or recording.analysed_at is None or session.scalar(
            select(Violation.id).where(Violation.recording_id == recording.id, Violation.source == BOT).limit(1)
    ) is None:
        raise NotFound("No such call in the QA queue.")
    return recording


def claims_of(session: Session, recording_id: str) -> list[ReviewClaim]:
    return list(session.scalars(select(ReviewClaim).where(ReviewClaim.recording_id == recording_id)
                                .order_by(ReviewClaim.slot)))


def live_claim(session: Session, reviewer: User, recording_id: str, now: datetime) -> ReviewClaim | None:
    return next((claim for claim in claims_of(session, recording_id) if claim.reviewer_id == reviewer.id
                 and rules.claim_is_live(claim.expires_at, claim.finished_at, now)), None)


def claim(session: Session, reviewer: User, recording: Recording, now: datetime,
          options: QaOptions = DEFAULT_OPTIONS) -> ReviewClaim:
    """Hold the call for `reviewer` until `now + claim_minutes` (renewed by each decision).

    One reviewer per slot: slot 1 for every call, slot 2 for calls sampled for double review, never both
    to the same reviewer. A claim abandoned past its expiry is taken over. A reviewer who finished their
    review claims the call again to revise a decision.
    """
    expires = now + options.claim_for
    claims = claims_of(session, recording.id)
    own = next((claim for claim in claims if claim.reviewer_id == reviewer.id), None)
    if own is not None:
        own.expires_at, own.finished_at = expires, None
        session.flush()
        return own
    slots = (1, 2) if rules.sampled_for_double_review(recording.id, options.double_review_share) else (1,)
    by_slot = {claim.slot: claim for claim in claims}
    for slot in slots:
        existing = by_slot.get(slot)
        if existing is None:
            new = ReviewClaim(recording_id=recording.id, slot=slot, reviewer_id=reviewer.id, claimed_at=now,
                              expires_at=expires)
            session.add(new)
            try:
                session.flush()
            except IntegrityError:  # another reviewer took this slot at the same moment
                session.rollback()
                raise Claimed("Another reviewer claimed this call at the same moment; take the next one.") from None
            return new
        if existing.finished_at is None and existing.expires_at <= now:
            # Take over an abandoned claim; conditional, so of two takers one wins.
            taken = rowcount(session.execute(
                update(ReviewClaim)
                .where(ReviewClaim.id == existing.id, ReviewClaim.expires_at == existing.expires_at,
                       ReviewClaim.finished_at.is_(None))
                .values(reviewer_id=reviewer.id, claimed_at=now, expires_at=expires)
                .execution_options(synchronize_session=False)))
            if taken == 1:
                session.refresh(existing)
                return existing
    holder = next((c for c in claims if rules.claim_is_live(c.expires_at, c.finished_at, now)), None)
    if holder is not None:
        raise Claimed(f"Another reviewer holds this call until {holder.expires_at.isoformat()}; take the next one.",
                      errors={"claim_expires_at": [holder.expires_at.isoformat()]})
    raise Claimed("This call has been reviewed (by as many reviewers as it needs); take the next one.")


def release(session: Session, reviewer: User, recording: Recording, now: datetime) -> None:
    """Give the call back before the claim expires (a finished review stays finished)."""
    held = live_claim(session, reviewer, recording.id, now)
    if held is None:
        raise Conflict("You do not hold this call.")
    held.expires_at = now
    session.flush()


# --- the call ----------------------------------------------------------------------------------

@dataclass
class ViolationReview:
    violation: Violation
    etag: str
    decisions: list[ReviewDecision]
    my_decision: ReviewDecision | None
    dispute: ViolationDispute | None = None


@dataclass
class CallView:
    recording: Recording
    meeting: Meeting
    rep: User
    script: CallScript | None
    segments: list[TranscriptSegment]
    criteria: list[CriterionResult]
    violations: list[ViolationReview]
    claims: list[ReviewClaim]
    my_claim: ReviewClaim | None
    double_review: bool
    criterion_ids: list[str] = field(default_factory=list)
    audio: dict[str, Any] | None = None  # the short-lived link, made by the web layer


def _decisions_by_violation(session: Session, violation_ids: list[int]) -> dict[int, list[ReviewDecision]]:
    found: dict[int, list[ReviewDecision]] = defaultdict(list)
    if violation_ids:
        for decision in session.scalars(select(ReviewDecision).where(ReviewDecision.violation_id.in_(violation_ids))
                                        .order_by(ReviewDecision.violation_id, ReviewDecision.seq)):
            found[decision.violation_id].append(decision)
    return found


def review_of(violation: Violation, decisions: list[ReviewDecision], viewer: User) -> ViolationReview:
    last_seq = decisions[-1].seq if decisions else 0
    mine = next((d for d in reversed(decisions) if d.reviewer_id == viewer.id), None)
    return ViolationReview(violation, rules.violation_etag(violation.id, last_seq), decisions, mine)


def call_view(session: Session, viewer: User, recording: Recording, now: datetime,
              options: QaOptions = DEFAULT_OPTIONS) -> CallView:
    meeting = session.get(Meeting, recording.meeting_id)
    rep = session.get(User, recording.rep_id)
    assert meeting is not None and rep is not None
    script = session.get(CallScript, recording.script_id) if recording.script_id else None
    violations = list(session.scalars(select(Violation).where(Violation.recording_id == recording.id)
                                      .where(Violation.source.in_((BOT, REVIEWER)))
                                      .order_by(Violation.evidence.is_(None), Violation.id)))
    decisions = _decisions_by_violation(session, [v.id for v in violations])
    segments = list(session.scalars(select(TranscriptSegment).where(TranscriptSegment.recording_id == recording.id)
                                    .order_by(TranscriptSegment.position)))
    criteria = list(session.scalars(select(CriterionResult).where(CriterionResult.recording_id == recording.id)
                                    .order_by(CriterionResult.id)))
    claims = claims_of(session, recording.id)
    ids = [item["id"] for item in (script.body.get("criteria", []) if script else [])] + [WRONG_LANGUAGE]
    return CallView(
        recording=recording, meeting=meeting, rep=rep, script=script, segments=segments, criteria=criteria,
        violations=[review_of(v, decisions[v.id], viewer) for v in violations], claims=claims,
        my_claim=next((c for c in claims if c.reviewer_id == viewer.id
                       and rules.claim_is_live(c.expires_at, c.finished_at, now)), None),
        double_review=rules.sampled_for_double_review(recording.id, options.double_review_share),
        criterion_ids=ids,
    )


# --- decisions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mark:
    segment: int  # the transcript segment's position
    words: str
    carries: bool  # True: these words carried the criterion's meaning; False: they did not (a near-miss)


def reviewed_violation(session: Session, violation_id: int) -> Violation:
    violation = session.get(Violation, violation_id)
    if violation is None or violation.recording_id is None or violation.source not in (BOT, REVIEWER):
        raise NotFound("No such violation in the QA review.")
    return violation


def _check_marks(session: Session, recording_id: str, marks: list[Mark]) -> list[tuple[Mark, TranscriptSegment]]:
    checked = []
    for index, mark in enumerate(marks):
        segment = session.scalar(select(TranscriptSegment).where(TranscriptSegment.recording_id == recording_id,
                                                                 TranscriptSegment.position == mark.segment))
        words = " ".join(mark.words.split())
        if segment is None:
            raise Invalid("A mark names a segment the transcript does not have.",
                          errors={f"marks[{index}].segment": ["No such segment in this call."]})
        if not words or words.lower() not in " ".join(segment.text.split()).lower():
            raise Invalid("Mark words the transcript segment contains.",
                          errors={f"marks[{index}].words": ["Not in the segment's text."]})
        checked.append((Mark(mark.segment, words, mark.carries), segment))
    return checked


def _held_slot(session: Session, reviewer: User, recording_id: str, now: datetime,
               options: QaOptions) -> ReviewClaim:
    held = live_claim(session, reviewer, recording_id, now)
    if held is None:
        raise NotClaimed("Claim the call first (POST .../claim): decisions are made on a call you hold.")
    held.expires_at = now + options.claim_for  # working on it: the claim is renewed
    return held


def _save_decision(session: Session, decision: ReviewDecision, current_etag: str) -> None:
    session.add(decision)
    try:
        session.flush()
    except IntegrityError:  # another decision on this violation was saved at the same moment
        session.rollback()
        raise PreconditionFailed("Someone decided on this violation at the same moment; reload it and decide again.",
                                 current_etag=f'"{current_etag}"') from None


def decide(session: Session, reviewer: User, violation: Violation, *, decision: str, comment: str | None,
           marks: list[Mark], if_match: str | None, now: datetime,
           options: QaOptions = DEFAULT_OPTIONS) -> ViolationReview:
    """Confirm or dismiss (a comment required) a violation of a call the reviewer holds, or revise their
    earlier decision; every version is kept. If-Match: the violation's ETag as read (428/412)."""
    if decision not in rules.DECISIONS:
        raise Invalid("Decide `confirm` or `dismiss`.", errors={"decision": [f"One of {', '.join(rules.DECISIONS)}."]})
    comment = (comment or "").strip() or None
    if decision == "dismiss" and comment is None:
        raise Invalid("Say why the flag is wrong: a dismissal needs a comment.",
                      errors={"comment": ["Required to dismiss."]})
    history = _decisions_by_violation(session, [violation.id])[violation.id]
    current = review_of(violation, history, reviewer)
    _check_if_match(current.etag, if_match)
    assert violation.recording_id is not None
    held = _held_slot(session, reviewer, violation.recording_id, now, options)
    checked = _check_marks(session, violation.recording_id, marks)
    row = ReviewDecision(
        violation_id=violation.id, recording_id=violation.recording_id, seq=len(history) + 1, reviewer_id=reviewer.id,
        slot=held.slot, decision=decision, comment=comment, created_at=now,
        marks=[{"segment": m.segment, "words": m.words, "carries": m.carries} for m, _ in checked],
        revises_id=current.my_decision.id if current.my_decision else None,
    )
    _save_decision(session, row, current.etag)
    if held.slot == 1 or reviewer.role in LEADS:  # a second reviewer's decision measures agreement only
        violation.status = ViolationStatus(rules.STATUS_OF_DECISION[decision])
    _propose(session, reviewer, violation, row, checked)
    _finish_if_done(session, reviewer, held, now)
    session.flush()
    return review_of(violation, [*history, row], reviewer)


def add_missed(session: Session, reviewer: User, recording: Recording, *, criterion: str, at_s: float,
               comment: str, marks: list[Mark], now: datetime, options: QaOptions = DEFAULT_OPTIONS) -> ViolationReview:
    """A violation the bot missed: criterion, the second of the call it is heard at, and why."""
    view_ids = call_view(session, reviewer, recording, now, options).criterion_ids
    if criterion not in view_ids:
        raise Invalid("Name one of the script's criteria.", errors={"criterion": [f"One of {', '.join(view_ids)}."]})
    if recording.duration_s is not None and at_s > recording.duration_s:
        raise Invalid("The time is past the end of the call.", errors={"at_s": [f"At most {recording.duration_s}."]})
    if not comment.strip():
        raise Invalid("Say what the bot missed.", errors={"comment": ["Required."]})
    existing = session.scalar(select(Violation).where(Violation.recording_id == recording.id,
                                                      Violation.criterion == criterion,
                                                      Violation.source.in_((BOT, REVIEWER))))
    if existing is not None:
        raise Conflict(f"The call already has a `{criterion}` violation (id {existing.id}); decide on that one.",
                       errors={"criterion": [f"Already violation {existing.id}."]})
    held = _held_slot(session, reviewer, recording.id, now, options)
    checked = _check_marks(session, recording.id, marks)
    segment = session.scalar(select(TranscriptSegment).where(TranscriptSegment.recording_id == recording.id,
                                                             TranscriptSegment.start_s <= at_s)
                             .order_by(TranscriptSegment.start_s.desc()).limit(1))
    evidence: dict[str, Any] = {"start_s": at_s, "end_s": at_s, "note": comment.strip()}
    if segment is not None:
        evidence.update(segment=segment.position, speaker=segment.speaker, words=segment.text,
                        language=segment.language, end_s=max(at_s, segment.end_s))
    violation = Violation(rep_id=recording.rep_id, meeting_id=recording.meeting_id, recording_id=recording.id,
                          criterion=criterion, status=ViolationStatus.confirmed, source=REVIEWER, evidence=evidence,
                          note=comment.strip(), created_at=now)
    session.add(violation)
    session.flush()
    row = ReviewDecision(violation_id=violation.id, recording_id=recording.id, seq=1, reviewer_id=reviewer.id,
                         slot=held.slot, decision="add", comment=comment.strip(), created_at=now,
                         marks=[{"segment": m.segment, "words": m.words, "carries": m.carries} for m, _ in checked])
    _save_decision(session, row, rules.violation_etag(violation.id, 0))
    _propose(session, reviewer, violation, row, checked)
    session.flush()
    return review_of(violation, [row], reviewer)


def _check_if_match(etag: str, if_match: str | None) -> None:
    require_matching_etag(
        etag, if_match, "violation",
        missing="Send If-Match with the violation's ETag as you read it (its `etag` in the call), so that a decision "
                "someone made meanwhile is not overwritten.",
        stale="Someone decided on this violation since you read it; reload the call and decide again.")


def _propose(session: Session, reviewer: User, violation: Violation, decision: ReviewDecision,
             checked: list[tuple[Mark, TranscriptSegment]]) -> None:
    if not checked:
        return
    if violation.criterion == WRONG_LANGUAGE:
        raise Invalid("The language rule has no phrases to learn; leave the marks out for `wrong_language`.",
                      errors={"marks": ["Not for wrong_language."]})
    from qa import teaching

    recording = session.get(Recording, violation.recording_id)
    script = session.get(CallScript, recording.script_id) if recording and recording.script_id else None
    for mark, segment in checked:
        teaching.propose(session, reviewer, script, criterion=violation.criterion, text=mark.words,
                         language=segment.language, kind="example" if mark.carries else "near_miss",
                         decision=decision)


def _finish_if_done(session: Session, reviewer: User, held: ReviewClaim, now: datetime) -> None:
    """The reviewer's review of the call is done once they decided on every flag of the bot on it."""
    flags = session.scalars(select(Violation.id).where(Violation.recording_id == held.recording_id,
                                                       Violation.source == BOT)).all()
    decided = set(session.scalars(select(ReviewDecision.violation_id).where(
        ReviewDecision.recording_id == held.recording_id, ReviewDecision.reviewer_id == reviewer.id)))
    if set(flags) <= decided:
        held.finished_at = now


def history(session: Session, viewer: User, violation: Violation) -> ViolationReview:
    return review_of(violation, _decisions_by_violation(session, [violation.id])[violation.id], viewer)


# --- the rep's side ----------------------------------------------------------------------------

def dispute(session: Session, rep: User, violation_id: int, reason: str, now: datetime) -> ViolationDispute:
    """A rep disputes one of their confirmed violations; support gets it as a ticket (qa.disputes)."""
    violation = session.scalar(select(Violation).where(Violation.id == violation_id, Violation.rep_id == rep.id,
                                                       shown_to_rep()))
    if violation is None:
        raise NotFound("No such violation.")
    if violation.status != ViolationStatus.confirmed:
        raise Conflict("Only a confirmed violation can be disputed.")
    if session.scalar(select(ViolationDispute.id).where(ViolationDispute.violation_id == violation.id)) is not None:
        raise Conflict("You have already disputed this violation.")
    row = ViolationDispute(violation_id=violation.id, rep_id=rep.id, reason=reason.strip(), created_at=now)
    session.add(row)
    session.flush()
    row.ticket_id = disputes.open_ticket(session, row, violation)
    session.flush()
    return row


# --- figures -----------------------------------------------------------------------------------

@dataclass
class CriterionFigures:
    criterion: str
    flagged: int = 0
    confirmed: int = 0
    dismissed: int = 0
    added: int = 0

    @property
    def precision(self) -> float | None:
        return rules.bot_precision(self.confirmed, self.dismissed)


@dataclass
class Figures:
    date_from: date | None
    date_to: date | None
    criteria: list[CriterionFigures]
    total: CriterionFigures
    agreement: rules.Agreement
    periods: list[dict[str, Any]]


def _period_of(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def figures(session: Session, *, date_from: date | None = None, date_to: date | None = None,
            period: str = "week") -> Figures:
    """The bot's precision per criterion (confirmed / (confirmed + dismissed)), the misses reviewers added,
    per period of the call's day; and agreement of two reviewers on the double-reviewed flags."""
    statement = (select(Violation, Recording.call_started_at)
                 .join(Recording, Recording.id == Violation.recording_id)
                 .where(Violation.source.in_((BOT, REVIEWER))))
    if date_from:
        statement = statement.where(Recording.call_started_at >= _day_start(date_from))
    if date_to:
        statement = statement.where(Recording.call_started_at < _day_start(date_to + timedelta(days=1)))
    by_criterion: dict[str, CriterionFigures] = {}
    by_period: dict[date, CriterionFigures] = {}
    total = CriterionFigures("all")
    ids = []
    for violation, started in session.execute(statement):
        ids.append(violation.id)
        day = started.astimezone(UTC).date()
        for bucket in (by_criterion.setdefault(violation.criterion, CriterionFigures(violation.criterion)),
                       by_period.setdefault(_period_of(day, period), CriterionFigures(period)), total):
            if violation.source == REVIEWER:
                bucket.added += violation.status == ViolationStatus.confirmed
            elif violation.status == ViolationStatus.confirmed:
                bucket.confirmed += 1
            elif violation.status == ViolationStatus.dismissed:
                bucket.dismissed += 1
            else:
                bucket.flagged += 1
    pairs = []
    for start in range(0, len(ids), 500):
        latest: dict[tuple[int, int], tuple[int, str]] = {}
        for decision in session.scalars(select(ReviewDecision).where(
                ReviewDecision.violation_id.in_(ids[start:start + 500]), ReviewDecision.decision != "add")):
            key = (decision.violation_id, decision.slot)
            if key not in latest or latest[key][0] < decision.seq:
                latest[key] = (decision.seq, decision.decision)
        for (violation_id, slot), (_seq, first) in latest.items():
            if slot == 1 and (violation_id, 2) in latest:
                pairs.append((first, latest[(violation_id, 2)][1]))
    periods = [{"period_start": start, "confirmed": f.confirmed, "dismissed": f.dismissed, "added": f.added,
                "precision": f.precision} for start, f in sorted(by_period.items())]
    return Figures(date_from, date_to, sorted(by_criterion.values(), key=lambda f: f.criterion), total,
                   rules.cohen_kappa(pairs), periods)
