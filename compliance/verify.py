"""A second listen for required phrases the recogniser may have mis-heard.

On a noisy 8 kHz line Whisper can write "ваш паспорт" as "ваш подпульт": the phrase is then one
word short and the bot would flag a reminder that was given. When a required criterion fails but
one of its phrases is matched except for one word, that word is put in place of the nearest
unmatched word of the segment, and the model itself is asked, by forced alignment on the same
audio, how likely each text is. Only candidates within VERIFY_MARGIN of the heard text are taken,
and the segment text is revised.

Both texts are scored WITHOUT the hint prompt the decoder got (the caller's logprob function): the
prompt lifts every script word, the never-said ones too (by +2.1 nats on average on the dev corpus).
The margin was set on the dev half of corpus/ (`python benchmarks/speech_kept.py --margin`): without
the prompt, the cheapest never-said substitutions cost 2.2, 3.5, 4.2 nats and the cheapest real
mis-hearings 1.8, 2.4, 5.4 nats, so 3 nats takes both real ones and one never-said word in 469 (with the
prompt, 4 nats took 4 of 469).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from rapidfuzz import fuzz

from compliance.matcher import (
    WORD_FLOOR,
    CallVerdict,
    Segment,
    _speakers_for,
    _Stream,
    best_phrase_match,
)
from compliance.normalize import tokenize
from compliance.scripts import CallScriptSpec, Criterion

VERIFY_MARGIN = 3.0  # nats of log-probability the candidate may lose against what was heard
MIN_HEARD_SIMILARITY = 0.3  # the heard word must resemble the missing one a little ("подпульт" ~ "паспорт")

LogProb = Callable[[np.ndarray, str, str], float]  # (samples, language, text) -> log-probability


def _word_similarity(first: str, second: str) -> float:
    return fuzz.ratio(first, second) / 100.0


def candidate_texts(phrase: str, text: str) -> list[tuple[str, str]]:
    """(heard word, candidate text) pairs: the one missing phrase word put in place of the
    unmatched segment word that resembles it most."""
    phrase_words = [token.text for token in tokenize(phrase)]
    heard = [token.text for token in tokenize(text)]
    matched_heard: set[int] = set()
    missing: list[str] = []
    for word in phrase_words:
        scores = [(_word_similarity(word, other), index)
                  for index, other in enumerate(heard) if index not in matched_heard]
        best = max(scores, default=(0.0, -1))
        if best[0] >= WORD_FLOOR:
            matched_heard.add(best[1])
        else:
            missing.append(word)
    content = [word for word in missing if len(word) > 2]  # "не", "я", "my": often dropped, weigh half
    if len(content) != 1 or len(phrase_words) < 2:
        return []
    word = content[0]
    options = sorted(((_word_similarity(word, other), index) for index, other in enumerate(heard)
                      if index not in matched_heard), reverse=True)
    candidates = []
    for similarity, index in options[:2]:
        if similarity < MIN_HEARD_SIMILARITY:
            break
        pattern = re.compile(rf"(?<!\w){re.escape(heard[index])}(?!\w)", re.IGNORECASE)
        source = text.replace("ё", "е").replace("Ё", "Е")
        if pattern.search(source):
            candidates.append((heard[index], pattern.sub(word, source, count=1)))
    return candidates


def revise_misheard(
    segments: Sequence[Segment],
    samples: dict[int, np.ndarray],
    script: CallScriptSpec,
    verdict: CallVerdict,
    logprob: LogProb,
    threshold: float,
) -> tuple[list[Segment], dict[int, str]]:
    """Segments with verified corrections, and {segment index: the word that was heard}."""
    revised = list(segments)
    heard_words: dict[int, str] = {}
    heard_scores: dict[int, float] = {}

    def heard_logprob(segment: Segment) -> float:
        if segment.index not in heard_scores:
            heard_scores[segment.index] = logprob(samples[segment.index], segment.language, segment.text)
        return heard_scores[segment.index]

    mono = not any(segment.speaker in ("rep", "client") for segment in segments)
    failed = {outcome.criterion for outcome in verdict.criteria if not outcome.passed}
    for criterion in script.criteria:
        if criterion.kind != "required" or criterion.id not in failed:
            continue
        _revise_for(criterion, revised, samples, verdict.accepted_languages, mono, logprob, heard_logprob, threshold,
                    heard_words)
    return revised, heard_words


def _revise_for(criterion: Criterion, segments: list[Segment], samples: dict[int, np.ndarray],
                languages: Sequence[str], mono: bool, logprob: LogProb,
                heard_logprob: Callable[[Segment], float], threshold: float, heard_words: dict[int, str]) -> None:
    speakers = _speakers_for(criterion.speaker, mono)
    limit = criterion.threshold if criterion.threshold is not None else threshold
    for position, segment in enumerate(segments):
        if segment.speaker not in speakers or segment.index not in samples:
            continue
        if criterion.within_seconds is not None and segment.start_s > criterion.within_seconds:
            continue
        for language in languages:
            for phrase in criterion.phrases.get(language, ()):
                for heard, candidate in candidate_texts(phrase, segment.text):
                    fixed = replace(segment, text=candidate)
                    match = best_phrase_match(phrase, _Stream.of([fixed]), language)
                    if match is None or match.score < limit:
                        continue
                    gain = logprob(samples[segment.index], segment.language, candidate) - heard_logprob(segment)
                    if gain >= -VERIFY_MARGIN:
                        segments[position] = fixed
                        heard_words[segment.index] = heard
                        return
