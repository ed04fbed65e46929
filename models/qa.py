"""QA review of the bot's flagged calls: claims, decisions (every version kept), the words reviewers
marked (proposed script examples and near-misses), and reps' disputes of confirmed violations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UUID_LENGTH, Base, CreatedAtMixin


class ReviewClaim(Base):
    """One review slot of a call: slot 1 for every flagged call, slot 2 too for calls sampled for double review.

    A slot is held by one reviewer at a time (unique per call and slot; taken by a conditional UPDATE),
    until `expires_at` (abandoned: anyone may take it over) or `finished_at` (the review is done).
    """

    __tablename__ = "qa_claims"
    __table_args__ = (UniqueConstraint("recording_id", "slot", name="uq_qa_claims_recording_id_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[str] = mapped_column(String(UUID_LENGTH), ForeignKey("recordings.id"), index=True)
    slot: Mapped[int]
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class ReviewDecision(CreatedAtMixin, Base):
    """One version of a reviewer's decision on a violation; never updated, a revision adds the next `seq`.

    `seq` counts the violation's decisions (unique per violation), so two decisions made on the same
    version of a violation cannot both be saved: the violation's ETag is its last `seq`.
    """

    __tablename__ = "qa_decisions"
    __table_args__ = (UniqueConstraint("violation_id", "seq", name="uq_qa_decisions_violation_id_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violations.id"), index=True)
    recording_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH), ForeignKey("recordings.id"), index=True)
    seq: Mapped[int]
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    slot: Mapped[int] = mapped_column(default=1)
    decision: Mapped[str] = mapped_column(String(16))  # confirm | dismiss | add
    comment: Mapped[str | None] = mapped_column(Text)
    # what the reviewer marked in the transcript: [{"segment", "words", "carries"}]
    marks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    revises_id: Mapped[int | None] = mapped_column(ForeignKey("qa_decisions.id"))


class ExampleProposal(CreatedAtMixin, Base):
    """Words a reviewer marked: an example of a criterion's meaning, or a near-miss that does not carry it.

    A QA lead accepts or rejects it; accepted ones go into the script's next version when it is published.
    """

    __tablename__ = "qa_example_proposals"
    __table_args__ = (Index("ix_qa_example_proposals_status_criterion", "status", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_name: Mapped[str] = mapped_column(String(100))
    criterion: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # example | near_miss
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(300))
    score: Mapped[float | None] = mapped_column(Float)  # the bot's score of the text against the criterion
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("qa_decisions.id"), index=True)
    recording_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH), ForeignKey("recordings.id"))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)  # proposed|accepted|rejected
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(Text)
    published_script_id: Mapped[int | None] = mapped_column(ForeignKey("call_scripts.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ViolationDispute(CreatedAtMixin, Base):
    """A rep disputes a confirmed violation; support handles it as a ticket (`ticket_id`, issue 16)."""

    __tablename__ = "violation_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violations.id"), unique=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | upheld | overturned
    ticket_id: Mapped[int | None]
