"""QA rules on hand-made examples: the bot's precision, precision/recall, Cohen's kappa, the sample, claims."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from qa import rules


def test_bot_precision_is_confirmed_over_decided():
    assert rules.bot_precision(confirmed=3, dismissed=1) == 0.75
    assert rules.bot_precision(confirmed=0, dismissed=0) is None


def test_precision_and_recall_from_truth_and_flags():
    # (really a violation, flagged by the bot): TP, TP, FP, FN, TN, TN
    counts = rules.count_outcomes([(True, True), (True, True), (False, True), (True, False),
                                   (False, False), (False, False)])
    found = (counts.true_positives, counts.false_positives, counts.false_negatives, counts.true_negatives)
    assert found == (2, 1, 1, 2)
    assert counts.precision == round(2 / 3, 4) and counts.recall == round(2 / 3, 4)
    assert rules.count_outcomes([]).precision is None


def test_cohen_kappa_on_a_hand_made_example():
    first = ["c", "c", "c", "d", "d", "c", "d", "c", "c", "d"]
    second = ["c", "c", "d", "d", "c", "c", "d", "c", "c", "c"]
    agreement = rules.cohen_kappa(list(zip(first, second, strict=True)))
    # p_o = 7/10; p_e = 0.6 * 0.7 (both confirm) + 0.4 * 0.3 (both dismiss) = 0.54; kappa = 0.16 / 0.46
    assert (agreement.pairs, agreement.equal, agreement.share_equal) == (10, 7, 0.7)
    assert agreement.kappa == round(0.16 / 0.46, 4) == 0.3478


def test_kappa_edge_cases():
    assert rules.cohen_kappa([]).kappa is None
    assert rules.cohen_kappa([("c", "c"), ("c", "c")]).kappa is None  # chance agreement is certain
    assert rules.cohen_kappa([("c", "c"), ("d", "d")]).kappa == 1.0
    assert rules.cohen_kappa([("c", "d"), ("d", "c")]).kappa == -1.0


def test_the_double_review_sample_is_a_stable_share():
    ids = [uuid.uuid5(uuid.NAMESPACE_URL, str(n)).hex for n in range(2000)]
    sampled = [i for i in ids if rules.sampled_for_double_review(i, 0.1)]
    assert 0.08 < len(sampled) / len(ids) < 0.12
    assert sampled == [i for i in ids if rules.sampled_for_double_review(i, 0.1)]
    assert not any(rules.sampled_for_double_review(i, 0) for i in ids[:100])
    assert all(rules.sampled_for_double_review(i, 1.0) for i in ids[:100])


def test_a_claim_lives_until_it_expires_or_is_finished():
    now = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert rules.claim_is_live(now + timedelta(seconds=1), None, now)
    assert not rules.claim_is_live(now, None, now)
    assert not rules.claim_is_live(now + timedelta(minutes=5), now, now)
