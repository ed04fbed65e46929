"""What each transcription step keeps of the speech, against the known text of synthetic calls.

    python benchmarks/speech_kept.py [--calls DIR ...] [--configs before,current,...] [--limit N]
                                     [--set NAME:key=value,key=value ...] [--verbose] [--json OUT]
    python benchmarks/speech_kept.py --margin [--calls DIR ...]      # the alignment check's margin

DIR holds audio files and a labels.json ({file: {layout, noisy, english_meeting, violations,
turns: [{speaker, language, text, start_s, end_s}]}}); default: corpus/dev if present, else
tests/fixtures/calls. Use corpus/dev for tuning and report corpus/test separately.

For every labelled turn of every call and every configuration (all in one process, same model):
- VAD: the share of the turn's time covered by the voice-activity utterances of its channel
  (kept when at least half is covered);
- decoded: covered by an utterance whose first-pass text passed the filters (no-speech/log-prob,
  repetition, hint-only);
- final: covered by a segment of the final transcript (after the second listen);
- words: the share of the turn's words found in the final segments that overlap it (stem or
  rapidfuzz ratio >= 75 per word, numbers spoken or written alike);
and per call: invented utterances (a final segment that overlaps no labelled turn of its channel),
hint words written where they were not said (a script hint word in a segment whose overlapping
turns do not say it), and whether the verdict (the set of violations) equals the label.

--margin collects, on the calls given, the alignment check's gain (log-probability of the text with
a script word substituted minus that of the heard text) for real mis-hearings (the known turn says
the word) and never-said substitutions, scored with and without the hint prompt, and prints how
many of each fall inside each margin.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz

from compliance.audio import SpeakerTrack, decode_tracks
from compliance.model import ModelOptions, load_model
from compliance.normalize import spoken_numbers_to_digits, tokenize
from compliance.pipeline import AnalysisOptions, judge, script_vocabulary, transcription_options
from compliance.scripts import CallScriptSpec, default_script_body, load_script
from compliance.transcribe import (
    TranscribedSegment,
    TranscriptionOptions,
    TranscriptionTrace,
    UtteranceTranscriber,
    hint_words,
    transcribe_tracks,
)
from compliance.verify import candidate_texts
from settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "calls"
KEPT_SHARE = 0.5  # a turn counts as kept by a step when this share of its time is covered
WORD_MATCH = 75
INVENTED_OVERLAP_S = 0.3

# Named configurations: overrides of TranscriptionOptions' defaults (the current settings).
CONFIGS: dict[str, dict] = {
    # the settings before issue 12: VAD threshold 0.5, hint prompt on every channel, no crosstalk check, no
    # second listen, no hint-only check (a decoder loop is now cut to one copy whatever the settings)
    "before": {"hint_speakers": ("rep", "client", "unknown"), "second_listen": False, "hint_only_share": 2.0,
               "crosstalk_db": 0.0, "vad_threshold": 0.5, "min_silence_ms": 400, "speech_pad_ms": 200},
    "current": {},
    "no_hint": {"hint_speakers": ()},
    "hint_all": {"hint_speakers": ("rep", "client", "unknown")},
    "hint_stereo_only": {"hint_speakers": ("rep",)},
    "no_second_listen": {"second_listen": False},
    "no_hint_check": {"hint_only_share": 2.0},
    "no_crosstalk": {"crosstalk_db": 0.0},
    "vad_0.5": {"vad_threshold": 0.5},
    "vad_0.35": {"vad_threshold": 0.35},
    "vad_0.25": {"vad_threshold": 0.25},
    "vad_0.2": {"vad_threshold": 0.2},
    "silence_250": {"min_silence_ms": 250},
    "silence_700": {"min_silence_ms": 700},
    "pad_400": {"speech_pad_ms": 400},
    "no_filters": {"no_speech_threshold": 1.01, "compression_ratio_threshold": 99.0, "hint_only_share": 2.0},
}

LEGEND = """\
VAD%/decod%/final%: turns with >= half their time covered by VAD utterances / by first-pass texts that passed
  the filters / by final segments; cover%: mean share of turn time under VAD; words%: turn words found in the
  final text; crit%/critW%: final% and words% for the rep turns a criterion is judged on (corpus roles
  script/paraphrase/filler); invent: final segments over no labelled turn of their channel; xtalk: stereo
  utterances dropped as the other channel's voice / of those, over a labelled turn of their own channel;
  hintW/hintU: hint words written where the turn does not say them / segments holding them; verdict: calls whose
  violations equal the label (FP: false flags, FN: missed flags); xRT: audio seconds per transcription second."""


@dataclass
class Turn:
    speaker: str
    text: str
    start_s: float
    end_s: float
    words: list[tuple[str, str]] = field(default_factory=list)  # (text, stem)
    role: str = ""  # corpus labels: script:<criterion>, paraphrase:..., filler:..., near_miss:..., client:...

    @property
    def carries_criterion(self) -> bool:
        """The rep's words a required or forbidden criterion is judged on."""
        return self.role.split(":")[0] in ("script", "paraphrase", "filler")


@dataclass
class Call:
    name: str
    path: Path
    layout: str
    noisy: bool
    english_meeting: bool
    violations: set[str]
    turns: list[Turn]

    @property
    def group(self) -> str:
        return f"{'noisy' if self.noisy else 'clean'} {'mono' if self.layout == 'mono' else 'stereo'}"


def words_of(text: str, language: str = "ru") -> list[tuple[str, str]]:
    return [(token.text, token.stem) for token in tokenize(spoken_numbers_to_digits(text, language))]


def load_calls(directory: Path) -> list[Call]:
    labels = json.loads((directory / "labels.json").read_text())
    calls = []
    for name, label in sorted(labels.items()):
        if not (directory / name).is_file():
            continue
        turns = [Turn(turn["speaker"], turn["text"], float(turn["start_s"]), float(turn["end_s"]),
                      words_of(turn["text"], turn.get("language", "ru")), turn.get("role", ""))
                 for turn in label["turns"]]
        calls.append(Call(name, directory / name, label["layout"], bool(label.get("noisy")),
                          bool(label.get("english_meeting")), set(label.get("violations", ())), turns))
    return calls


def overlap(start: float, end: float, other_start: float, other_end: float) -> float:
    return max(0.0, min(end, other_end) - max(start, other_start))


def covered(turn: Turn, spans: list[tuple[float, float]]) -> float:
    """The share of the turn's time inside the union of spans."""
    points = sorted((max(s, turn.start_s), min(e, turn.end_s)) for s, e in spans if e > turn.start_s and s < turn.end_s)
    total, reach = 0.0, turn.start_s
    for start, end in points:
        start = max(start, reach)
        if end > start:
            total += end - start
            reach = end
    return total / max(1e-6, turn.end_s - turn.start_s)


def word_found(word: tuple[str, str], heard: list[tuple[str, str]]) -> bool:
    return any(word[1] == other[1] or fuzz.ratio(word[0], other[0]) >= WORD_MATCH for other in heard)


def channel_of(call: Call, turn: Turn) -> str:
    return "unknown" if call.layout == "mono" else turn.speaker


@dataclass
class Tally:
    calls: int = 0
    turns: int = 0
    vad: int = 0
    vad_share: float = 0.0
    decoded: int = 0
    final: int = 0
    words: int = 0
    words_found: int = 0
    criterion_turns: int = 0
    criterion_kept: int = 0
    criterion_words: int = 0
    criterion_found: int = 0
    invented: int = 0
    crosstalk: int = 0
    crosstalk_wrong: int = 0
    hint_words: int = 0
    hint_segments: int = 0
    verdicts_right: int = 0
    false_flags: int = 0
    missed_flags: int = 0
    audio_s: float = 0.0
    transcribe_s: float = 0.0

    def add(self, other: Tally) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


def measure_call(call: Call, tracks: list[SpeakerTrack], trace: TranscriptionTrace,
                 final: list[TranscribedSegment], found: set[str], hints: set[str],
                 verbose: bool) -> tuple[Tally, list[str]]:
    tally = Tally(calls=1, turns=len(call.turns))
    notes: list[str] = []
    utterances = trace.utterances
    for turn in call.turns:
        channel = channel_of(call, turn)
        vad_spans = [(u.start_s, u.end_s) for u in utterances if u.speaker == channel]
        first_spans = [(u.start_s, u.end_s) for u, reason in zip(utterances, trace.first_drop, strict=True)
                       if u.speaker == channel and reason is None]
        final_segments = [s for s in final if s.speaker == channel and overlap(s.start_s, s.end_s, turn.start_s,
                                                                               turn.end_s) > 0]
        vad_share = covered(turn, vad_spans)
        tally.vad_share += vad_share
        tally.vad += vad_share >= KEPT_SHARE
        tally.decoded += covered(turn, first_spans) >= KEPT_SHARE
        final_kept = covered(turn, [(s.start_s, s.end_s) for s in final_segments]) >= KEPT_SHARE
        tally.final += final_kept
        heard = [word for segment in final_segments for word in words_of(segment.text, segment.language)]
        found_words = sum(word_found(word, heard) for word in turn.words)
        tally.words += len(turn.words)
        tally.words_found += found_words
        if turn.carries_criterion:
            tally.criterion_turns += 1
            tally.criterion_kept += final_kept
            tally.criterion_words += len(turn.words)
            tally.criterion_found += found_words
        if verbose and (not final_kept or found_words < 0.5 * len(turn.words)):
            reasons = [f"{u.start_s:.1f}-{u.end_s:.1f}:{reason}:{decoding.text[:60]!r}"
                       f"(lp {decoding.avg_logprob:.2f}, ns {decoding.no_speech_prob:.2f})"
                       for u, reason, decoding in zip(utterances, trace.first_drop, trace.first, strict=True)
                       if u.speaker == channel and overlap(u.start_s, u.end_s, turn.start_s, turn.end_s) > 0]
            notes.append(f"  lost {turn.speaker} {turn.start_s:.1f}-{turn.end_s:.1f} vad {vad_share:.0%} "
                         f"{reasons} {turn.text!r} -> {' | '.join(s.text for s in final_segments)!r}")
    for leaked in trace.crosstalk:
        tally.crosstalk += 1
        own = [turn for turn in call.turns if channel_of(call, turn) == leaked.speaker
               and overlap(leaked.start_s, leaked.end_s, turn.start_s, turn.end_s) >= INVENTED_OVERLAP_S]
        tally.crosstalk_wrong += bool(own)
        if verbose and own:
            notes.append(f"  crosstalk drop over {leaked.speaker}'s own turn {own[0].text!r}")
    for segment in final:
        turns = [turn for turn in call.turns if channel_of(call, turn) == segment.speaker
                 and overlap(segment.start_s, segment.end_s, turn.start_s, turn.end_s) > 0]
        best = max((overlap(segment.start_s, segment.end_s, t.start_s, t.end_s) for t in turns), default=0.0)
        if best < INVENTED_OVERLAP_S:
            tally.invented += 1
            if verbose:
                notes.append(f"  invented {segment.speaker} {segment.start_s:.1f}-{segment.end_s:.1f} "
                             f"{segment.text!r} (logprob {segment.avg_logprob}, no-speech {segment.no_speech_prob})")
            continue
        known = [word for turn in turns for word in turn.words]
        written = [word for word in words_of(segment.text, segment.language)
                   if word[0] in hints and not word_found(word, known)]
        tally.hint_words += len(written)
        tally.hint_segments += bool(written)
        if verbose and written:
            notes.append(f"  hint words {[w for w, _ in written]} in {segment.speaker} {segment.start_s:.1f}: "
                         f"{segment.text!r} / known {' | '.join(t.text for t in turns)!r}")
    tally.verdicts_right += found == call.violations
    tally.false_flags += len(found - call.violations)
    tally.missed_flags += len(call.violations - found)
    if verbose and found != call.violations:
        notes.append(f"  verdict {sorted(found)} expected {sorted(call.violations)}")
    return tally, notes


def options_for(name: str, base: TranscriptionOptions, extra: dict[str, dict]) -> TranscriptionOptions:
    overrides = {**CONFIGS.get(name, {}), **extra.get(name, {})}
    return replace(base, **overrides)


def parse_sets(values: list[str]) -> dict[str, dict]:
    """NAME:key=value,key=value -> {NAME: {key: value}} (numbers, booleans, speaker lists a+b)."""
    parsed: dict[str, dict] = {}
    types = {item.name: item.type for item in fields(TranscriptionOptions)}
    for value in values:
        name, _, settings = value.partition(":")
        overrides = parsed.setdefault(name, {})
        for setting in filter(None, settings.split(",")):
            key, _, raw = setting.partition("=")
            kind = str(types[key])
            if "tuple" in kind:
                overrides[key] = tuple(filter(None, raw.split("+")))
            elif "bool" in kind:
                overrides[key] = raw.lower() in ("1", "true", "yes")
            elif "int" in kind:
                overrides[key] = int(raw)
            else:
                overrides[key] = float(raw)
    return parsed


def print_table(totals: dict[tuple[str, str], Tally], configs: list[str]) -> None:
    groups = sorted({group for _, group in totals})
    header = (f"{'config':<18}{'calls':<13}{'calls':>6}{'turns':>6}{'VAD%':>7}{'cover%':>8}{'decod%':>8}"
              f"{'final%':>8}{'words%':>8}{'crit%':>7}{'critW%':>7}{'invent':>7}{'xtalk':>9}{'hintW':>6}{'hintU':>6}{'verdict':>9}{'FP':>4}{'FN':>4}"
              f"{'xRT':>7}")
    print(header)
    for group in [*groups, "all"]:
        for config in configs:
            if group == "all":
                tally = Tally()
                for (name, _), value in totals.items():
                    if name == config:
                        tally.add(value)
            else:
                tally = totals.get((config, group), Tally())
            if not tally.calls:
                continue
            turns = max(1, tally.turns)
            print(f"{config:<18}{group:<13}{tally.calls:>6}{tally.turns:>6}{100 * tally.vad / turns:>7.1f}"
                  f"{100 * tally.vad_share / turns:>8.1f}{100 * tally.decoded / turns:>8.1f}"
                  f"{100 * tally.final / turns:>8.1f}{100 * tally.words_found / max(1, tally.words):>8.1f}"
                  f"{100 * tally.criterion_kept / max(1, tally.criterion_turns):>7.1f}"
                  f"{100 * tally.criterion_found / max(1, tally.criterion_words):>7.1f}"
                  f"{tally.invented:>7}{tally.crosstalk:>5}/{tally.crosstalk_wrong:<3}{tally.hint_words:>6}{tally.hint_segments:>6}"
                  f"{tally.verdicts_right:>5}/{tally.calls:<3}{tally.false_flags:>4}{tally.missed_flags:>4}"
                  f"{tally.audio_s / max(1e-6, tally.transcribe_s):>7.1f}")
        print()
    print(LEGEND)


def run_configs(calls: list[Call], configs: list[str], extra: dict[str, dict], script: CallScriptSpec,
                model_options: ModelOptions, verbose: bool,
                dump: list[dict] | None = None) -> dict[tuple[str, str], Tally]:
    model = load_model(model_options)
    totals: dict[tuple[str, str], Tally] = defaultdict(Tally)
    hints = hint_words(script_vocabulary(script))
    for call in calls:
        analysis = AnalysisOptions(layout=call.layout, english_meeting=call.english_meeting, model=model_options)
        tracks, info, _ = decode_tracks(call.path, call.layout)
        base = transcription_options(script, analysis)
        for config in configs:
            options = options_for(config, base, extra)
            trace = TranscriptionTrace()
            started = time.perf_counter()
            final = transcribe_tracks(model, tracks, options, trace)
            elapsed = time.perf_counter() - started
            _, verdict, _ = judge(final, script, analysis, model)
            found = {violation.criterion for violation in verdict.violations}
            tally, notes = measure_call(call, tracks, trace, final, found, hints, verbose)
            tally.audio_s, tally.transcribe_s = info.duration_s, elapsed
            totals[(config, call.group)].add(tally)
            if dump is not None:
                dump.append(trace_record(call, config, trace, final, found))
            if verbose and notes:
                print(f"[{config}] {call.name}", *notes, sep="\n", flush=True)
        print(f"{call.name}: done", file=sys.stderr, flush=True)
    return totals


def trace_record(call: Call, config: str, trace: TranscriptionTrace, final: list[TranscribedSegment],
                 found: set[str]) -> dict:
    """Everything each step wrote for one call, for analysis after the run (--dump)."""

    def decoded(item) -> dict:
        return {"text": item.text, "language": item.language, "logprob": round(item.avg_logprob, 3),
                "no_speech": round(item.no_speech_prob, 3), "prompted": item.prompted}

    return {
        "call": call.name, "config": config, "group": call.group, "found": sorted(found),
        "expected": sorted(call.violations),
        "turns": [{"speaker": t.speaker, "start_s": t.start_s, "end_s": t.end_s, "text": t.text, "role": t.role}
                  for t in call.turns],
        "utterances": [{"speaker": u.speaker, "start_s": round(u.start_s, 2), "end_s": round(u.end_s, 2),
                        "first": decoded(trace.first[index]), "drop": trace.first_drop[index],
                        "second": decoded(trace.second[index]) if index in trace.second else None,
                        "second_drop": trace.second_drop.get(index), "support": trace.hint_support.get(index)}
                       for index, u in enumerate(trace.utterances)],
        "crosstalk": [{"speaker": u.speaker, "start_s": u.start_s, "end_s": u.end_s} for u in trace.crosstalk],
        "final": [{"speaker": s.speaker, "start_s": s.start_s, "end_s": s.end_s, "text": s.text} for s in final],
    }


def margin_study(calls: list[Call], script: CallScriptSpec, model_options: ModelOptions) -> dict:
    """Gains of the alignment check's candidates, real mis-hearings vs never-said words, +/- hint prompt."""
    model = load_model(model_options)
    transcriber = UtteranceTranscriber(model)
    vocabulary = script_vocabulary(script)
    rows: list[dict] = []
    for call in calls:
        analysis = AnalysisOptions(layout=call.layout, english_meeting=call.english_meeting, model=model_options)
        tracks, _, _ = decode_tracks(call.path, call.layout)
        final = transcribe_tracks(model, tracks, transcription_options(script, analysis))
        for segment in final:
            if segment.samples is None:
                continue
            turns = [turn for turn in call.turns if channel_of(call, turn) == segment.speaker
                     and overlap(segment.start_s, segment.end_s, turn.start_s, turn.end_s) > INVENTED_OVERLAP_S]
            known = [word for turn in turns for word in turn.words]
            heard_scores: dict[bool, float] = {}
            seen: set[str] = set()
            for criterion in script.criteria:
                if criterion.kind != "required":
                    continue
                for language, phrases in criterion.phrases.items():
                    for phrase in phrases:
                        for heard, candidate in candidate_texts(phrase, segment.text):
                            if candidate in seen:
                                continue
                            seen.add(candidate)
                            substituted = next((w for w in words_of(candidate, language)
                                                if w not in words_of(segment.text, language)), None)
                            if substituted is None:
                                continue
                            said = word_found(substituted, known)
                            row = {"call": call.name, "group": call.group, "said": said, "word": substituted[0],
                                   "heard": heard, "text": segment.text}
                            for prompted in (False, True):
                                hint = vocabulary.get(segment.language) if prompted else None
                                if prompted not in heard_scores:
                                    heard_scores[prompted] = transcriber.text_logprob(
                                        segment.samples, segment.language, segment.text, hint)
                                gain = transcriber.text_logprob(segment.samples, segment.language, candidate,
                                                                hint) - heard_scores[prompted]
                                row["gain_hint" if prompted else "gain"] = round(gain, 2)
                            rows.append(row)
        print(f"{call.name}: {len(rows)} candidates so far", file=sys.stderr, flush=True)
    real = [row for row in rows if row["said"]]
    never = [row for row in rows if not row["said"]]
    print(f"{len(rows)} candidates: {len(real)} of a word the turn says (real mis-hearings), "
          f"{len(never)} of a never-said script word")
    if never:
        shift = sum(row["gain_hint"] - row["gain"] for row in never) / len(never)
        print(f"hint prompt shifts never-said candidates by {shift:+.2f} nats on average")
    if real:
        shift = sum(row["gain_hint"] - row["gain"] for row in real) / len(real)
        print(f"hint prompt shifts real mis-hearings by {shift:+.2f} nats on average")
    print(f"{'margin':>7}{'never-said in (no hint)':>25}{'real in (no hint)':>19}{'never-said in (hint)':>22}"
          f"{'real in (hint)':>16}")
    for margin in (1, 2, 3, 4, 5, 6, 8, 10, 12):
        print(f"{margin:>7}{sum(r['gain'] >= -margin for r in never):>19}/{len(never):<5}"
              f"{sum(r['gain'] >= -margin for r in real):>13}/{len(real):<5}"
              f"{sum(r['gain_hint'] >= -margin for r in never):>16}/{len(never):<5}"
              f"{sum(r['gain_hint'] >= -margin for r in real):>10}/{len(real):<5}")
    for row in sorted(real, key=lambda row: row["gain"]):
        print(f"  real: {row['heard']!r} -> {row['word']!r} gain {row['gain']:+.1f} (hint {row['gain_hint']:+.1f})"
              f"  {row['text']!r}")
    for row in sorted(never, key=lambda row: -row["gain"])[:12]:
        print(f"  never said: {row['heard']!r} -> {row['word']!r} gain {row['gain']:+.1f} "
              f"(hint {row['gain_hint']:+.1f})  {row['text']!r}")
    return {"rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", nargs="*", type=Path, help="folders with labels.json")
    parser.add_argument("--configs", default="before,current", help="comma-separated names: " + ", ".join(CONFIGS))
    parser.add_argument("--set", dest="sets", action="append", default=[],
                        help="NAME:key=value,... define or change a configuration (options of TranscriptionOptions)")
    parser.add_argument("--only", default="", help="only files whose name contains this")
    parser.add_argument("--group", default="", help="only calls whose group (clean/noisy stereo/mono) contains this")
    parser.add_argument("--limit", type=int, default=0, help="at most this many calls per folder")
    parser.add_argument("--margin", action="store_true", help="the alignment check's margin study instead")
    parser.add_argument("--verbose", action="store_true", help="print every lost turn and invented text")
    parser.add_argument("--json", type=Path, help="write the table's figures here")
    parser.add_argument("--dump", type=Path, help="write every call's trace (utterances, texts, scores) here")
    args = parser.parse_args()
    directories = args.calls or [ROOT / "corpus" / "dev" if (ROOT / "corpus" / "dev" / "labels.json").is_file()
                                 else FIXTURES]
    calls = []
    for directory in directories:
        found = [call for call in load_calls(directory) if args.only in call.name and args.group in call.group]
        calls += found[:args.limit] if args.limit else found
    settings = load_settings()
    model_options = ModelOptions.from_settings(settings)
    script = load_script(default_script_body())
    print(f"{len(calls)} calls from {', '.join(str(d) for d in directories)}", flush=True)
    if args.margin:
        result = margin_study(calls, script, model_options)
    else:
        extra = parse_sets(args.sets)
        configs = [name for name in args.configs.split(",") if name]
        unknown = [name for name in configs if name not in CONFIGS and name not in extra]
        if unknown:
            parser.error(f"unknown configurations {unknown}; define them with --set NAME:key=value")
        dump: list[dict] | None = [] if args.dump else None
        totals = run_configs(calls, configs, extra, script, model_options, args.verbose, dump)
        if args.dump:
            args.dump.write_text(json.dumps(dump, ensure_ascii=False))
        print_table(totals, configs)
        result = {f"{config}|{group}": vars(tally) for (config, group), tally in totals.items()}
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
