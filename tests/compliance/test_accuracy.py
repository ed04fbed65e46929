"""Precision and recall of violations over the whole committed corpus (the real model)."""

from __future__ import annotations

import json

import pytest

from benchmarks.accuracy import score
from compliance.model import ModelOptions
from compliance.pipeline import AnalysisOptions, analyze_file
from compliance.scripts import default_script_body, load_script
from tests.conftest import CALLS, MODEL_CACHE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results():
    labels = json.loads((CALLS / "labels.json").read_text())
    script = load_script(default_script_body())
    found = []
    for name, label in sorted(labels.items()):
        options = AnalysisOptions(layout=label["layout"], english_meeting=label["english_meeting"],
                                  model=ModelOptions(cache_dir=MODEL_CACHE))
        analysis = analyze_file(CALLS / name, script, options)
        found.append((name, set(label["violations"]), {v.criterion for v in analysis.verdict.violations},
                      label))
    return found


def test_overall_precision_and_recall_reach_095(results):
    overall = score([(name, expected, got) for name, expected, got, _ in results])["OVERALL"]
    assert overall.recall >= 0.95, overall
    assert overall.precision >= 0.95, overall


def test_noisy_mono_telephone_calls(results):
    # 15 violations in 19 noisy 8 kHz files: one utterance the recogniser loses on one CPU and not on
    # another moves a figure by 1/15, so this subset allows one wrong verdict (0.93); the corpus/ test
    # half (`make accuracy`) is where the bot's real figures are measured.
    noisy = [(n, e, g) for n, e, g, label in results if label["noisy"] and label["layout"] == "mono"]
    overall = score(noisy)["OVERALL"]
    assert overall.recall >= 0.93, overall
    assert overall.precision >= 0.93, overall


def test_every_violation_kind_is_found_at_least_once(results):
    found = set().union(*(got for _, expected, got, _ in results if expected == got))
    assert {"greeting", "address_confirmation", "passport_reminder", "forced_location", "wrong_language"} <= found
