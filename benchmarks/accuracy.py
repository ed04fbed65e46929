"""Precision and recall of violations, per criterion and overall, on the accuracy corpus.

    python benchmarks/accuracy.py [--split dev|test|both] [--corpus corpus] [--json out.json]
    python benchmarks/accuracy.py --calls tests/fixtures/calls      # any folder with a labels.json
    python benchmarks/accuracy.py --compare benchmarks/results/baseline_2026-11-25.json [--json now.json]
    python benchmarks/accuracy.py --report benchmarks/results/baseline_2026-11-25.json   # print, run nothing
    python benchmarks/accuracy.py --cache /tmp/transcripts --calibrate   # reuse transcripts; fit the confidence

Runs the real pipeline (the model the settings name) on every file of each split of corpus/ (made by
tools/synth_corpus.py: `dev` to tune on, `test` to report; both by default) and compares the violations
found with the labels. For each split it prints a table per criterion (TP, FP, FN, precision, recall, F1)
for all files and for the noisy telephone-band mono ones, the errors by tag, and the errors per file.
Beside each table: the same figures for a plain baseline (language taken once for the whole channel, as
faster-whisper's own, and rapidfuzz `partial_ratio` over the raw text at threshold 80), to show what the
matcher and per-utterance language buy. `--compare` prints what changed against an earlier --json
(benchmarks/results/ keeps the frozen ones).
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import hashlib
import itertools
import json
import pickle
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rapidfuzz import fuzz  # noqa: E402

from compliance.matcher import WRONG_LANGUAGE, expected_language  # noqa: E402
from compliance.scripts import CallScriptSpec, default_script_body, load_script  # noqa: E402

CALLS = ROOT / "tests" / "fixtures" / "calls"
CORPUS = ROOT / "corpus"
SPLITS = ("dev", "test")
BAR = 0.95


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

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


Result = tuple[str, set[str], set[str]]  # file, expected, found


def score(results: Iterable[Result]) -> dict[str, Tally]:
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


def baseline_violations(analysis: Any, script: CallScriptSpec, english_meeting: bool) -> set[str]:
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
    header = f"{'criterion':<24}{'TP':>4}{'FP':>4}{'FN':>4}{'precision':>11}{'recall':>8}{'F1':>7}"
    if baseline:
        header += f"{'baseline P':>12}{'baseline R':>12}"
    print(header)
    for name, tally in tallies.items():
        line = (f"{name:<24}{tally.tp:>4}{tally.fp:>4}{tally.fn:>4}{tally.precision:>11.3f}{tally.recall:>8.3f}"
                f"{tally.f1:>7.3f}")
        if baseline:
            other = baseline.get(name, Tally())
            line += f"{other.precision:>12.3f}{other.recall:>12.3f}"
        print(line)


def is_noisy_mono(label: dict) -> bool:
    return bool(label["noisy"]) and label["layout"] == "mono"


# A cached transcript is reused only while these sources are unchanged (the matcher's are not among them;
# the pipeline's part, the options and the hint vocabulary, is in the key itself).
TRANSCRIPTION_SOURCES = ("compliance/audio.py", "compliance/transcribe.py", "compliance/model.py")


def analyse(path: Path, script: CallScriptSpec, options: Any, cache: Path | None) -> Any:
    """The pipeline on one file; with a cache folder, the transcript is kept and reused, so tuning the
    matcher re-runs only matching and the alignment check (same verdicts as a full run)."""
    from compliance.model import load_model
    from compliance.pipeline import CallAnalysis, analyze_file, judge, transcription_options

    if cache is None:
        return analyze_file(path, script, options)
    from compliance.audio import decode_tracks
    from compliance.transcribe import transcribe_tracks

    transcribing = transcription_options(script, options)
    digest = hashlib.sha256(path.read_bytes())
    digest.update(repr((transcribing, options.model, options.layout, options.max_seconds)).encode())
    for source in TRANSCRIPTION_SOURCES:
        digest.update((ROOT / source).read_bytes())
    entry = cache / f"{path.name}.{digest.hexdigest()[:16]}.pickle"
    model = load_model(options.model)
    if entry.exists():
        duration_s, layout, channels, transcribed = pickle.loads(entry.read_bytes())
    else:
        tracks, info, layout = decode_tracks(path, options.layout, options.max_seconds)
        duration_s, channels = info.duration_s, info.channels
        transcribed = transcribe_tracks(model, tracks, transcribing)
        cache.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(pickle.dumps((duration_s, layout, channels, transcribed)))
    segments, verdict, revisions = judge(transcribed, script, options, model)
    return CallAnalysis(duration_s, layout, channels, tuple(segments), verdict, {}, revisions)


def analyse_folder(folder: Path, pattern: str | None, cache: Path | None = None) -> dict[str, Any]:
    """Run the pipeline on every labelled file of `folder`; per-file results, as stored in --json."""
    from compliance.model import ModelOptions
    from compliance.pipeline import AnalysisOptions
    from settings import load_settings

    labels = json.loads((folder / "labels.json").read_text())
    script = load_script(default_script_body())
    settings = load_settings()
    model_options = ModelOptions.from_settings(settings)
    thresholds = {criterion.id: criterion.threshold if criterion.threshold is not None else settings.match_threshold
                  for criterion in script.criteria}
    files = []
    started = time.perf_counter()
    audio_seconds = 0.0
    for name, label in sorted(labels.items()):
        if pattern and not fnmatch.fnmatch(name, pattern):
            continue
        options = AnalysisOptions(layout=label["layout"], english_meeting=label["english_meeting"],
                                  match_threshold=settings.match_threshold, model=model_options)
        begun = time.perf_counter()
        analysis = analyse(folder / name, script, options, cache)
        audio_seconds += analysis.duration_s
        expected = set(label["violations"])
        found = {violation.criterion for violation in analysis.verdict.violations}
        files.append({
            "file": name, "case": label.get("case", label.get("call")), "layout": label["layout"],
            "noisy": label["noisy"], "english_meeting": label["english_meeting"], "tags": label.get("tags", []),
            "expected": sorted(expected), "found": sorted(found),
            "false_positives": sorted(found - expected), "false_negatives": sorted(expected - found),
            "baseline_found": sorted(baseline_violations(analysis, script, label["english_meeting"])),
            "seconds": round(time.perf_counter() - begun, 2), "duration_s": round(analysis.duration_s, 2),
            # Every criterion's outcome, for --calibrate: [criterion, passed, right, distance from the
            # threshold in points, clarity, confidence].
            "outcomes": [[o.criterion, o.passed, o.passed == (o.criterion not in expected),
                          round(abs(o.score - thresholds[o.criterion]), 2), o.clarity, round(o.confidence, 4)]
                         for o in analysis.verdict.criteria if o.criterion in thresholds],
            "violations": [{"criterion": v.criterion, "score": None if v.score is None else round(v.score, 1),
                            "words": v.evidence.words if v.evidence else None} for v in analysis.verdict.violations],
            "segments": [[round(s.start_s, 2), round(s.end_s, 2), s.speaker, s.language, s.text]
                         for s in analysis.segments],
        })
        status = "ok " if expected == found else "ERR"
        print(f"{status} {name:<52} expected {sorted(expected)} found {sorted(found)}", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    return {"folder": str(folder), "files": files, "audio_s": round(audio_seconds, 1), "elapsed_s": round(elapsed, 1)}


def results_of(files: Sequence[dict], key: str = "found") -> list[Result]:
    return [(item["file"], set(item["expected"]), set(item[key])) for item in files]


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    """Tables for a split: all files, and the noisy telephone-band mono ones; ours and the baseline's."""
    files = run["files"]
    noisy = [item for item in files if is_noisy_mono(item)]
    tables = {}
    for subset, items in (("all", files), ("noisy_mono", noisy)):
        tables[subset] = {name: tally.as_dict() for name, tally in score(results_of(items)).items()}
        tables[f"{subset}_baseline"] = {name: tally.as_dict()
                                        for name, tally in score(results_of(items, "baseline_found")).items()}
    by_tag: dict[str, dict[str, int]] = defaultdict(lambda: {"files": 0, "wrong_files": 0, "fp": 0, "fn": 0})
    for item in files:
        for tag in item["tags"] or ["(none)"]:
            entry = by_tag[tag]
            entry["files"] += 1
            entry["wrong_files"] += int(bool(item["false_positives"] or item["false_negatives"]))
            entry["fp"] += len(item["false_positives"])
            entry["fn"] += len(item["false_negatives"])
    return {"files": len(files), "noisy_mono_files": len(noisy), "audio_s": run["audio_s"],
            "elapsed_s": run["elapsed_s"], "tables": tables, "by_tag": dict(sorted(by_tag.items()))}


def _tallies(table: dict[str, dict]) -> dict[str, Tally]:
    return {name: Tally(entry["tp"], entry["fp"], entry["fn"]) for name, entry in table.items()}


def report(name: str, run: dict[str, Any], summary: dict[str, Any]) -> float:
    """Print a split's tables and errors; returns the lowest of its overall/noisy-mono precision and recall."""
    tables = summary["tables"]
    print(f"\n===== {name}: {summary['files']} files, {summary['audio_s']:.0f} s of audio in "
          f"{summary['elapsed_s']:.0f} s =====")
    print_table(f"{name}: all calls ({summary['files']} files)", _tallies(tables["all"]),
                _tallies(tables["all_baseline"]))
    print_table(f"{name}: noisy mono telephone-band calls ({summary['noisy_mono_files']} files)",
                _tallies(tables["noisy_mono"]), _tallies(tables["noisy_mono_baseline"]))
    print(f"\n{name}: errors by tag (files with a wrong verdict / files; false positives, false negatives)")
    for tag, entry in summary["by_tag"].items():
        if entry["wrong_files"]:
            print(f"  {tag:<40}{entry['wrong_files']:>4} /{entry['files']:>4}"
                  f"   FP {entry['fp']:>3}  FN {entry['fn']:>3}")
    print(f"\n{name}: errors per file")
    for item in run["files"]:
        if item["false_positives"] or item["false_negatives"]:
            print(f"  {item['file']:<52} FP {item['false_positives']} FN {item['false_negatives']}")
    overall, noisy = tables["all"]["OVERALL"], tables["noisy_mono"]["OVERALL"]
    lowest = min(overall["precision"], overall["recall"], noisy["precision"], noisy["recall"])
    print(f"\n{name}: lowest of overall/noisy-mono precision and recall: {lowest:.3f} (bar: {BAR})")
    return lowest


def compare(previous: dict[str, Any], current: dict[str, Any]) -> None:
    """What changed against an earlier --json: overall figures, and the files whose verdict changed."""
    print(f"\n===== compared with {previous.get('label') or previous.get('date')} "
          f"(commit {str(previous.get('commit'))[:10]}) =====")
    for split, now in current["splits"].items():
        before = previous.get("splits", {}).get(split)
        if not before:
            continue
        old_files = {item["file"]: item for item in before["files"]}
        # The same files on both sides (a run with --files covers part of a split).
        same = [old_files[item["file"]] for item in now["files"] if item["file"] in old_files]
        for subset, keep in (("all", lambda item: True), ("noisy_mono", is_noisy_mono)):
            old = score(results_of([item for item in same if keep(item)]))["OVERALL"]
            new = score(results_of([item for item in now["files"] if item["file"] in old_files and keep(item)]))[
                "OVERALL"]
            print(f"{split:<5} {subset:<11} precision {old.precision:.3f} -> {new.precision:.3f}   "
                  f"recall {old.recall:.3f} -> {new.recall:.3f}   F1 {old.f1:.3f} -> {new.f1:.3f}")
        for item in now["files"]:
            old_item = old_files.get(item["file"])
            if old_item and old_item["found"] != item["found"]:
                was_right = old_item["found"] == old_item["expected"]
                is_right = item["found"] == item["expected"]
                change = ("fixed" if is_right and not was_right
                          else "broken" if was_right and not is_right else "changed")
                print(f"  {change:<8}{item['file']:<52} {old_item['found']} -> {item['found']} "
                      f"(expected {item['expected']})")


COEFFICIENTS = ("CONFIDENCE_BIAS", "CONFIDENCE_IF_PASSED", "CONFIDENCE_PER_10_POINTS", "CONFIDENCE_PER_CLARITY")


def _outcome_rows(files: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Features (1, passed, distance / 10, clarity) and `right` per criterion outcome (wrong_language has
    its own confidence)."""
    rows = [(1.0, float(passed), distance / 10.0, clarity or 0.0, float(right)) for item in files
            for _criterion, passed, right, distance, clarity, _confidence in item.get("outcomes", [])]
    table = np.array(rows, dtype=float).reshape(-1, 5)
    return table[:, :4], table[:, 4]


def fit_confidence(features: np.ndarray, right: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Logistic regression of `right` on the features, by Newton's method (lightly regularised)."""
    weights = np.zeros(features.shape[1])
    for _ in range(100):
        predicted = 1.0 / (1.0 + np.exp(-features @ weights))
        gradient = features.T @ (predicted - right) + l2 * weights
        hessian = (features * (predicted * (1 - predicted))[:, None]).T @ features + l2 * np.eye(len(weights))
        weights -= np.linalg.solve(hessian, gradient)
    return weights


def reliability(name: str, features: np.ndarray, right: np.ndarray, weights: np.ndarray) -> float:
    """Print confidence bins against how often the outcomes in them were right; returns the ECE."""
    confidence = 1.0 / (1.0 + np.exp(-features @ weights))
    edges = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001]
    ece = 0.0
    print(f"  {name}: {len(right)} outcomes, {right.mean():.3f} right; "
          f"Brier {np.mean((confidence - right) ** 2):.4f}")
    for low, high in itertools.pairwise(edges):
        inside = (confidence >= low) & (confidence < high)
        if inside.any():
            ece += abs(confidence[inside].mean() - right[inside].mean()) * inside.sum() / len(right)
            print(f"    confidence {low:.2f}-{min(high, 1):.2f}: {int(inside.sum()):>4} outcomes, "
                  f"mean confidence {confidence[inside].mean():.3f}, right {right[inside].mean():.3f}")
    print(f"    expected calibration error: {ece:.4f}")
    return ece


def calibrate(splits: dict[str, Any]) -> None:
    """Fit the confidence on dev's outcomes; print the reliability on dev (in-sample) and test."""
    from compliance import matcher

    if "dev" not in splits:
        print("\n--calibrate needs the dev split")
        return
    current = np.array([getattr(matcher, name) for name in COEFFICIENTS])
    fitted = fit_confidence(*_outcome_rows(splits["dev"]["files"]))
    print("\n===== confidence calibration (criterion outcomes; fit on dev) =====")
    for label, weights in (("in the code", current), ("fit on dev", fitted)):
        print(f"{label:<12} " + ", ".join(f"{name} = {value:.3f}" for name, value in zip(COEFFICIENTS, weights,
                                                                                          strict=True)))
    for name, split in splits.items():
        features, right = _outcome_rows(split["files"])
        if len(right):
            reliability(f"{name}, the code's coefficients", features, right, current)
            reliability(f"{name}, fitted on dev{' (in-sample)' if name == 'dev' else ''}", features, right, fitted)


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="a folder with dev/ and test/ (default: corpus)")
    parser.add_argument("--split", choices=(*SPLITS, "both"), default="both")
    parser.add_argument("--calls", type=Path, help="instead of the corpus: one folder with a labels.json "
                                                   f"(e.g. {CALLS.relative_to(ROOT)})")
    parser.add_argument("--files", help="only the files whose name matches this glob (e.g. '*phone_mono*')")
    parser.add_argument("--json", type=Path, help="also write the summary and per-file results here")
    parser.add_argument("--label", default="", help="a name for this run, kept in --json")
    parser.add_argument("--compare", type=Path, help="an earlier --json to compare with")
    parser.add_argument("--cache", type=Path, help="keep transcripts here and reuse them while the "
                                                   "transcription code is unchanged (for tuning the matcher)")
    parser.add_argument("--report", type=Path, help="print the tables of an earlier --json; run nothing")
    parser.add_argument("--calibrate", action="store_true",
                        help="fit the outcomes' confidence on dev and print its reliability on dev and test")
    args = parser.parse_args()

    if args.report:
        saved = json.loads(args.report.read_text())
        lowest = [report(name, split, split["summary"]) for name, split in saved["splits"].items()]
        print(f"\nlowest over the splits: {min(lowest):.3f} (bar: {BAR})")
        if args.calibrate:
            calibrate(saved["splits"])
        return 0

    folders = {args.calls.name: args.calls} if args.calls else {
        split: args.corpus / split for split in (SPLITS if args.split == "both" else (args.split,))}
    output: dict[str, Any] = {
        "label": args.label, "date": datetime.date.today().isoformat(), "commit": git_commit(),
        "script": default_script_body().get("name"), "splits": {},
    }
    lowest = []
    for name, folder in folders.items():
        run = analyse_folder(folder, args.files, args.cache)
        summary = summarise(run)
        lowest.append(report(name, run, summary))
        output["splits"][name] = {"summary": summary, "files": run["files"]}
    print(f"\nlowest over the splits: {min(lowest):.3f} (bar: {BAR})")
    if args.calibrate:
        calibrate(output["splits"])
    if args.compare:
        compare(json.loads(args.compare.read_text()), output)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(output, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
