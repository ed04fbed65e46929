"""Precision and recall of violations, per criterion and overall, on the accuracy corpus.

    python benchmarks/accuracy.py [--split dev|test|both] [--corpus corpus] [--json out.json]
    python benchmarks/accuracy.py --calls tests/fixtures/calls      # any folder with a labels.json
    python benchmarks/accuracy.py --compare benchmarks/results/baseline_2026-11-25.json [--json now.json]
    python benchmarks/accuracy.py --report benchmarks/results/baseline_2026-11-25.json   # print, run nothing

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
import json
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


def analyse_folder(folder: Path, pattern: str | None) -> dict[str, Any]:
    """Run the pipeline on every labelled file of `folder`; per-file results, as stored in --json."""
    from compliance.model import ModelOptions
    from compliance.pipeline import AnalysisOptions, analyze_file
    from settings import load_settings

    labels = json.loads((folder / "labels.json").read_text())
    script = load_script(default_script_body())
    settings = load_settings()
    model_options = ModelOptions.from_settings(settings)
    files = []
    started = time.perf_counter()
    audio_seconds = 0.0
    for name, label in sorted(labels.items()):
        if pattern and not fnmatch.fnmatch(name, pattern):
            continue
        options = AnalysisOptions(layout=label["layout"], english_meeting=label["english_meeting"],
                                  match_threshold=settings.match_threshold, model=model_options)
        begun = time.perf_counter()
        analysis = analyze_file(folder / name, script, options)
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
    parser.add_argument("--report", type=Path, help="print the tables of an earlier --json; run nothing")
    args = parser.parse_args()

    if args.report:
        saved = json.loads(args.report.read_text())
        lowest = [report(name, split, split["summary"]) for name, split in saved["splits"].items()]
        print(f"\nlowest over the splits: {min(lowest):.3f} (bar: {BAR})")
        return 0

    folders = {args.calls.name: args.calls} if args.calls else {
        split: args.corpus / split for split in (SPLITS if args.split == "both" else (args.split,))}
    output: dict[str, Any] = {
        "label": args.label, "date": datetime.date.today().isoformat(), "commit": git_commit(),
        "script": default_script_body().get("name"), "splits": {},
    }
    lowest = []
    for name, folder in folders.items():
        run = analyse_folder(folder, args.files)
        summary = summarise(run)
        lowest.append(report(name, run, summary))
        output["splits"][name] = {"summary": summary, "files": run["files"]}
    print(f"\nlowest over the splits: {min(lowest):.3f} (bar: {BAR})")
    if args.compare:
        compare(json.loads(args.compare.read_text()), output)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(output, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
