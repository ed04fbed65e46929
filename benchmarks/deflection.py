"""Duplicate deflection on labelled question pairs: precision and recall on the dev and test splits.

    .venv/bin/python -m benchmarks.deflection [--threshold N] [--pairs FILE] [--misses]

The threshold is chosen on `dev` alone (the best F0.5: a wrong deflection sends a rep away with someone
else's answer, a missed one only costs support a reply) and reported on both splits, next to the
threshold in force (FIELDREP_DEFLECTION_THRESHOLD). `test` is never used to choose anything.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from settings import PROJECT_ROOT, load_settings
from support.similarity import describe, incident_similarity, question_similarity

PAIRS = PROJECT_ROOT / "tests" / "fixtures" / "deflection_pairs.json"


@dataclass(frozen=True)
class Scored:
    split: str
    against: str
    same: bool
    score: float
    a: str
    b: str


@dataclass(frozen=True)
class Figures:
    threshold: float
    pairs: int
    precision: float | None
    recall: float | None
    false_deflections: int
    missed: int

    def line(self, name: str) -> str:
        def show(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.2f}"

        return (f"{name:<6} threshold {self.threshold:>5.1f}  pairs {self.pairs:>3}  precision {show(self.precision)}  "
                f"recall {show(self.recall)}  wrong deflections {self.false_deflections}  missed {self.missed}")


def score_pairs(path: Path = PAIRS) -> list[Scored]:
    pairs = json.loads(path.read_text(encoding="utf-8"))["pairs"]
    scored = []
    for pair in pairs:
        measure = incident_similarity if pair["against"] == "incident" else question_similarity
        scored.append(Scored(pair["split"], pair["against"], bool(pair["same"]), measure(pair["a"], pair["b"]),
                             pair["a"], pair["b"]))
    return scored


def figures(scored: list[Scored], threshold: float) -> Figures:
    hits = sum(1 for pair in scored if pair.same and pair.score >= threshold)
    wrong = sum(1 for pair in scored if not pair.same and pair.score >= threshold)
    missed = sum(1 for pair in scored if pair.same and pair.score < threshold)
    precision = hits / (hits + wrong) if hits + wrong else None
    recall = hits / (hits + missed) if hits + missed else None
    return Figures(threshold, len(scored), precision, recall, wrong, missed)


def f_half(result: Figures) -> float:
    precision, recall = result.precision or 0.0, result.recall or 0.0
    return 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0


def tune(dev: list[Scored]) -> float:
    """The threshold with the best F0.5 on dev; of equal ones, the middle of the run (a margin both ways)."""
    candidates = [float(value) for value in range(30, 96)]
    best = max(f_half(figures(dev, value)) for value in candidates)
    run = [value for value in candidates if f_half(figures(dev, value)) == best]
    return run[len(run) // 2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, help="report at this threshold instead of the configured one")
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--misses", action="store_true", help="list the pairs the threshold gets wrong")
    args = parser.parse_args(argv)
    scored = score_pairs(args.pairs)
    dev = [pair for pair in scored if pair.split == "dev"]
    test = [pair for pair in scored if pair.split == "test"]
    configured = args.threshold if args.threshold is not None else float(load_settings().deflection_threshold)
    tuned = tune(dev)
    print(f"deflection on {len(scored)} labelled pairs ({args.pairs.name})")
    print(f"threshold tuned on dev (best F0.5): {tuned:.0f}; in force: {configured:.0f}")
    for name, threshold in (("tuned", tuned), ("in force", configured)):
        print(f"-- at the {name} threshold")
        print(figures(dev, threshold).line("dev"))
        print(figures(test, threshold).line("test"))
        for against in ("ticket", "incident"):
            part = [pair for pair in test if pair.against == against]
            print(figures(part, threshold).line(f" {against[:5]}") + f"   (test pairs against {against}s)")
    if args.misses:
        print("-- wrong at the threshold in force")
        for pair in scored:
            if pair.same != (pair.score >= configured):
                label = "missed" if pair.same else "wrong "
                print(f"{pair.split:<4} {label} {pair.score:5.1f}  {pair.a!r}  ~  {pair.b!r}")
                print(f"      {describe(pair.a)}  ~  {describe(pair.b)}")


if __name__ == "__main__":
    main()
