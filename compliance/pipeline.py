"""recording -> decode -> voice activity -> transcribe -> mask -> normalise/match -> verdict."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from compliance.audio import decode_tracks
from compliance.masking import mask_personal_numbers
from compliance.matcher import CallVerdict, Segment, evaluate_call
from compliance.model import ModelOptions, load_model, resolve_batch_size
from compliance.scripts import CallScriptSpec
from compliance.transcribe import (
    TranscribedSegment,
    TranscriptionOptions,
    UtteranceTranscriber,
    transcribe_tracks,
)
from compliance.verify import revise_misheard


@dataclass(frozen=True)
class AnalysisOptions:
    layout: str | None = None  # rep-left | rep-right | mono; None: rep-left for stereo
    english_meeting: bool = False
    match_threshold: float = 75.0
    max_seconds: float | None = 1800
    model: ModelOptions = field(default_factory=ModelOptions)


@dataclass(frozen=True)
class CallAnalysis:
    duration_s: float
    layout: str
    channels: int
    segments: tuple[Segment, ...]
    verdict: CallVerdict
    timings: dict[str, float]
    # segment index -> the word Whisper wrote where the alignment check restored a phrase's word
    revisions: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The JSON object `fieldrep analyze` prints."""
        verdict = self.verdict
        return {
            "language": verdict.language,
            "expected_language": verdict.expected_language,
            "duration_s": round(self.duration_s, 2),
            "layout": self.layout,
            "adherence": verdict.adherence,
            "violations": [violation.as_dict() for violation in verdict.violations],
            "criteria": [outcome.as_dict() for outcome in verdict.criteria],
            "language_switch_allowed_at": verdict.switch_allowed_at,
            "revisions": [{"segment": index, "heard": word} for index, word in sorted(self.revisions.items())],
            "segments": [asdict(segment) for segment in self.segments],
        }


MIN_HINT_WORD_LENGTH = 5


def script_vocabulary(script: CallScriptSpec) -> dict[str, str]:
    """The longer words of the required phrases, once each, as a hint list per language.

    Whole phrases in the prompt make Whisper write them where they were not said; single words
    only tilt a mis-heard word towards its right spelling. Forbidden phrases are never hinted.
    """
    by_language: dict[str, list[str]] = {}
    for criterion in script.criteria:
        if criterion.kind != "required":
            continue
        for language, phrases in criterion.phrases.items():
            words = by_language.setdefault(language, [])
            for phrase in phrases:
                for word in phrase.replace(",", " ").split():
                    if len(word) >= MIN_HINT_WORD_LENGTH and word.lower() not in words:
                        words.append(word.lower())
    return {language: ", ".join(words).capitalize() + "." for language, words in by_language.items() if words}


def transcription_options(script: CallScriptSpec, options: AnalysisOptions) -> TranscriptionOptions:
    return TranscriptionOptions(
        beam_size=options.model.beam_size,
        batch_size=resolve_batch_size(options.model),
        languages=script.languages,
        vocabulary=script_vocabulary(script),
    )


def judge(transcribed: Sequence[TranscribedSegment], script: CallScriptSpec, options: AnalysisOptions,
          model) -> tuple[list[Segment], CallVerdict, dict[int, str]]:
    """Masked segments, the verdict, and the alignment check's revisions for a transcript."""
    segments = [
        Segment(
            index=index,
            speaker=item.speaker,
            start_s=item.start_s,
            end_s=item.end_s,
            language=item.language,
            text=mask_personal_numbers(item.text, item.language),
            language_probability=item.language_probability,
            avg_logprob=item.avg_logprob,
        )
        for index, item in enumerate(transcribed)
    ]
    evaluate = partial(evaluate_call, script=script, english_meeting=options.english_meeting,
                       default_threshold=options.match_threshold)
    verdict = evaluate(segments)
    revisions: dict[int, str] = {}
    if any(not outcome.passed and outcome.kind == "required" for outcome in verdict.criteria):
        transcriber = UtteranceTranscriber(model)
        audio = {index: item.samples for index, item in enumerate(transcribed) if item.samples is not None}
        # Scored without the hint prompt: it lifts never-said script words towards the margin.
        segments, revisions = revise_misheard(segments, audio, script, verdict, transcriber.text_logprob,
                                              options.match_threshold)
        if revisions:
            verdict = evaluate(segments)
    return segments, verdict, revisions


def analyze_file(path: str | Path, script: CallScriptSpec, options: AnalysisOptions) -> CallAnalysis:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    tracks, info, layout = decode_tracks(path, options.layout, options.max_seconds)
    timings["decode_s"] = time.perf_counter() - started

    model = load_model(options.model)
    step = time.perf_counter()
    transcribed = transcribe_tracks(model, tracks, transcription_options(script, options))
    timings["transcribe_s"] = time.perf_counter() - step

    step = time.perf_counter()
    segments, verdict, revisions = judge(transcribed, script, options, model)
    timings["match_s"] = time.perf_counter() - step
    timings["total_s"] = time.perf_counter() - started
    return CallAnalysis(info.duration_s, layout, info.channels, tuple(segments), verdict, timings, revisions)
