"""Precision and recall of violations on the committed test corpus, per criterion and overall.

    python benchmarks/accuracy.py [--subset noisy_mono] [--json results.json]

Runs the real pipeline (the model the settings name) on every file in tests/fixtures/calls and
compares the violations found with the labels. Also prints the same figures for a plain baseline:
language taken once for the whole channel (faster-whisper's own), and rapidfuzz `partial_ratio`
over the raw text at threshold 80, to show what the matcher and per-utterance language buy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz

from compliance.matcher import WRONG_LANGUAGE, expected_language
from compliance.model import ModelOptions
from compliance.pipeline import AnalysisOptions, analyze_file
from compliance.scripts import CallScriptSpec, default_script_body, load_script
from settings import load_settings

CALLS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "calls"


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(results: list[tuple[str, set[str], set[str]]]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for _name, expected, found in results:
        for criterion in expected | found:
            tally = tallies[criterion]
            if criterion in expected and criterion in found:
                tally.tp += 1
            elif criterion in found:
                tally.fp += 1
            else:
                tally.fn += 1
    overall = Tally(sum(t.tp for t in tallies.values()), sum(t.fp for t in tallies.values()),
                    sum(t.fn for t in tallies.values()))
    return {**dict(sorted(tallies.items())), "OVERALL": overall}


def baseline_violations(analysis, script: CallScriptSpec, english_meeting: bool) -> set[str]:
    """What a plain approach finds on the same transcript: one language per channel, partial_ratio >= 80."""
    expected = expected_language(script, english_meeting)
    found = set()
    by_speaker: dict[str, list] = defaultdict(list)
    for segment in analysis.segments:
        by_speaker[segment.speaker].append(segment)
    rep = by_speaker.get("rep") or by_speaker.get("unknown") or []
    if rep:
        channel_language = rep[0].language  # what whole-channel detection would report
        if channel_language != expected:
            found.add(WRONG_LANGUAGE)
    for criterion in script.criteria:
        speakers = {"unknown"} | ({"rep", "client"} if criterion.speaker == "any" else {criterion.speaker})
        text = " ".join(s.text for s in analysis.segments if s.speaker in speakers).lower()
        phrases = [p for ps in criterion.phrases.values() for p in ps]
        hit = any(fuzz.partial_ratio(p, text) >= 80 for p in phrases)
        if (criterion.kind == "required") != hit:
            found.add(criterion.id)
    return found


def print_table(title: str, tallies: dict[str, Tally], baseline: dict[str, Tally] | None = None) -> None:
    print(f"\n{title}")
    header = f"{'criterion':<24}{'TP':>4}{'FP':>4}{'FN':>4}{'precision':>11}{'recall':>8}"
    if baseline:
        header += f"{'baseline P':>12}{'baseline R':>12}"
    print(header)
    for name, tally in tallies.items():
        line = f"{name:<24}{tally.tp:>4}{tally.fp:>4}{tally.fn:>4}{tally.precision:>11.3f}{tally.recall:>8.3f}"
        if baseline:
            other = baseline.get(name, Tally())
            line += f"{other.precision:>12.3f}{other.recall:>12.3f}"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=Path, default=CALLS)
    parser.add_argument("--json", type=Path, help="also write the per-file results here")
    args = parser.parse_args()
    labels = json.loads((args.calls / "labels.json").read_text())
    script = load_script(default_script_body())
    settings = load_settings()
    model_options = ModelOptions.from_settings(settings)
    results, baseline_results, per_file = [], [], []
    started = time.perf_counter()
    audio_seconds = 0.0
    for name, label in sorted(labels.items()):
        options = AnalysisOptions(layout=label["layout"], english_meeting=label["english_meeting"],
                                  match_threshold=settings.match_threshold, model=model_options)
        analysis = analyze_file(args.calls / name, script, options)
        audio_seconds += analysis.duration_s
        expected = set(label["violations"])
        found = {violation.criterion for violation in analysis.verdict.violations}
        results.append((name, expected, found))
        baseline_results.append((name, expected, baseline_violations(analysis, script, label["english_meeting"])))
        per_file.append({"file": name, "expected": sorted(expected), "found": sorted(found)})
        status = "ok " if expected == found else "ERR"
        print(f"{status} {name:<48} expected {sorted(expected)} found {sorted(found)}", file=sys.stderr)
    elapsed = time.perf_counter() - started

    noisy_mono = [r for r in results if labels[r[0]]["noisy"] and labels[r[0]]["layout"] == "mono"]
    noisy_mono_base = [r for r in baseline_results if labels[r[0]]["noisy"] and labels[r[0]]["layout"] == "mono"]
    all_scores, noisy_scores = score(results), score(noisy_mono)
    print_table(f"All calls ({len(results)} files)", all_scores, score(baseline_results))
    print_table(f"Noisy mono telephone-band calls ({len(noisy_mono)} files)", noisy_scores, score(noisy_mono_base))
    print(f"\n{len(results)} files, {audio_seconds:.0f} s of audio in {elapsed:.0f} s "
          f"({audio_seconds / elapsed:.1f} audio-seconds per second)")
    if args.json:
        args.json.write_text(json.dumps(per_file, ensure_ascii=False, indent=1))
    bar = min(all_scores["OVERALL"].precision, all_scores["OVERALL"].recall,
              noisy_scores["OVERALL"].precision, noisy_scores["OVERALL"].recall)
    print(f"lowest of overall/noisy-mono precision and recall: {bar:.3f} (bar: 0.95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
