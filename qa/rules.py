"""The QA rules that need neither Flask nor a database: claim expiry, the double-review sample, ETags,
and the figures computed from reviewers' decisions (precision, recall, agreement)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DECISIONS = ("confirm", "dismiss")
CLAIM_MINUTES = 20  # an abandoned claim frees the call after this long; each decision renews it
DOUBLE_REVIEW_SHARE = 0.1  # of flagged calls, reviewed by two reviewers independently
STATUS_OF_DECISION = {"confirm": "confirmed", "dismiss": "dismissed", "add": "confirmed"}


@dataclass(frozen=True)
class QaOptions:
    claim_minutes: int = CLAIM_MINUTES
    double_review_share: float = DOUBLE_REVIEW_SHARE

    @classmethod
    def from_settings(cls, settings: Any) -> QaOptions:
        return cls(settings.qa_claim_minutes, settings.qa_double_review_percent / 100)

    @property
    def claim_for(self) -> timedelta:
        return timedelta(minutes=self.claim_minutes)


def claim_is_live(expires_at: datetime, finished_at: datetime | None, now: datetime) -> bool:
    """A claim holds its call until it expires (abandoned) or its review is finished."""
    return finished_at is None and expires_at > now


def sampled_for_double_review(recording_id: str, share: float) -> bool:
    """A fixed share of calls, chosen by the call's id: the same call is always in or out of the sample."""
    if share <= 0:
        return False
    bucket = int(hashlib.sha256(f"qa-double:{recording_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share


def violation_etag(violation_id: int, last_seq: int) -> str:
    """A violation's review version: the number of decisions made on it so far."""
    return f"qv{violation_id}-{last_seq}"


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def bot_precision(confirmed: int, dismissed: int) -> float | None:
    """Of the bot's flags that reviewers decided, the share they confirmed."""
    return ratio(confirmed, confirmed + dismissed)


@dataclass(frozen=True)
class Counts:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0

    @property
    def precision(self) -> float | None:
        return ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float | None:
        return ratio(self.true_positives, self.true_positives + self.false_negatives)

    def add(self, truth: bool, predicted: bool) -> Counts:
        return Counts(
            self.true_positives + (truth and predicted),
            self.false_positives + (predicted and not truth),
            self.false_negatives + (truth and not predicted),
            self.true_negatives + (not truth and not predicted),
        )


def count_outcomes(pairs: Iterable[tuple[bool, bool]]) -> Counts:
    """(is it really a violation, did the bot flag it) pairs into counts; a violation is the positive class."""
    counts = Counts()
    for truth, predicted in pairs:
        counts = counts.add(truth, predicted)
    return counts


@dataclass(frozen=True)
class Agreement:
    pairs: int
    equal: int
    share_equal: float | None
    kappa: float | None


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> Agreement:
    """Agreement of two reviewers on the same items: the share of equal decisions and Cohen's kappa,
    (p_o - p_e) / (1 - p_e), with p_e from each reviewer's own label frequencies. Kappa is undefined
    (None) when chance agreement is certain (both always gave the same one label)."""
    total = len(pairs)
    if not total:
        return Agreement(0, 0, None, None)
    equal = sum(1 for first, second in pairs if first == second)
    observed = equal / total
    labels = {label for pair in pairs for label in pair}
    expected = sum((sum(1 for first, _ in pairs if first == label) / total)
                   * (sum(1 for _, second in pairs if second == label) / total) for label in labels)
    kappa = None if expected >= 1 else round((observed - expected) / (1 - expected), 4)
    return Agreement(total, equal, round(observed, 4), kappa)
