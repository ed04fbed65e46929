"""Match a transcript against a call script: criteria, the language rule, violations, adherence.

Phrases are examples of a meaning, not exact strings. A phrase matches a stretch of one speaker's
speech when its words are found there, each word against its best counterpart by stem and by
spelling (rapidfuzz), in any order (Russian word order is free), with a few inserted words
allowed ("не забудьте, пожалуйста, ваш паспорт"). A word that the speaker negated and the phrase
did not ("паспорт не понадобится") counts a quarter. The score is the share of the phrase's words found,
weighted by how well each was found and by its length (two-letter words weigh half), 0-100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from compliance.normalize import Token, tokenize
from compliance.scripts import CallScriptSpec, Criterion

DEFAULT_THRESHOLD = 75.0
WORD_FLOOR = 0.62  # below this a word pair is unrelated, not a partial match
EXTRA_WINDOW_WORDS = 4  # inserted words tolerated inside one phrase
NEGATIONS = {"не", "нет", "ни", "not", "no", "never", "don't", "dont", "doesn't"}
NEGATED_WORD_WEIGHT = 0.25
SHORT_WORD_WEIGHT = 0.5  # "не", "я", "my", "is": often mis-heard or dropped, they weigh half
WRONG_LANGUAGE = "wrong_language"
MIN_WRONG_LANGUAGE_WORDS = 4
MIN_WRONG_LANGUAGE_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Segment:
    index: int
    speaker: str  # rep | client | unknown
    start_s: float
    end_s: float
    language: str
    text: str
    language_probability: float = 1.0


@dataclass(frozen=True)
class Evidence:
    segment: int
    speaker: str
    start_s: float
    end_s: float
    words: str
    phrase: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class CriterionOutcome:
    criterion: str
    kind: str
    passed: bool
    score: float
    evidence: Evidence | None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 1)
        return data


@dataclass(frozen=True)
class Violation:
    criterion: str
    evidence: Evidence | None
    score: float | None = None

    def as_dict(self) -> dict:
        return {"criterion": self.criterion, "evidence": asdict(self.evidence) if self.evidence else None,
                "score": None if self.score is None else round(self.score, 1)}


@dataclass(frozen=True)
class CallVerdict:
    language: str | None
    expected_language: str
    switch_allowed_at: float | None
    criteria: tuple[CriterionOutcome, ...]
    violations: tuple[Violation, ...]
    adherence: float
    accepted_languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhraseMatch:
    score: float
    evidence: Evidence


@dataclass
class _Stream:
    """One speaker's (or several speakers') words in time order, remembering their segment."""

    tokens: list[Token] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    negated: list[bool] = field(default_factory=list)

    @classmethod
    def of(cls, segments: Iterable[Segment]) -> _Stream:
        stream = cls()
        for segment in segments:
            previous_word = ""
            for token in tokenize(segment.text):
                stream.tokens.append(token)
                stream.segments.append(segment)
                stream.negated.append(previous_word in NEGATIONS)
                previous_word = token.text
        return stream


def _similarity(phrase_tokens: Sequence[Token], stream: _Stream) -> np.ndarray:
    """Word-by-word similarity, 0..1, the better of stem and surface comparisons; 0 below the floor."""
    by_stem = cdist([t.stem for t in phrase_tokens], [t.stem for t in stream.tokens], scorer=fuzz.ratio)
    by_text = cdist([t.text for t in phrase_tokens], [t.text for t in stream.tokens], scorer=fuzz.ratio)
    similarity = np.maximum(by_stem, by_text) / 100.0
    similarity[similarity < WORD_FLOOR] = 0.0
    return similarity


def best_phrase_match(phrase: str, stream: _Stream, language: str | None = None) -> PhraseMatch | None:
    phrase_tokens = tokenize(phrase)
    if not phrase_tokens or not stream.tokens:
        return None
    similarity = _similarity(phrase_tokens, stream)
    phrase_negated = [index > 0 and phrase_tokens[index - 1].text in NEGATIONS for index in range(len(phrase_tokens))]
    weights = np.array([SHORT_WORD_WEIGHT if len(token.text) <= 2 else 1.0 for token in phrase_tokens])
    similarity = similarity * weights[:, None]
    width = len(phrase_tokens) + EXTRA_WINDOW_WORDS
    best: tuple[float, list[int]] | None = None
    for start in range(max(1, len(stream.tokens) - len(phrase_tokens) + 1)):
        stop = min(len(stream.tokens), start + width)
        if not similarity[:, start].any():
            continue  # a phrase match starts on a matching word
        window = similarity[:, start:stop].copy()
        for column in range(start, stop):
            if stream.segments[column].speaker != stream.segments[start].speaker:
                window[:, column - start] = 0.0
        total, used = 0.0, []
        # Greedy assignment, best pairs first: phrases are short, so this is as good as optimal here.
        pairs = sorted(
            ((window[row, column], row, column) for row in range(window.shape[0]) for column in range(window.shape[1])
             if window[row, column] > 0),
            reverse=True,
        )
        taken_rows: set[int] = set()
        taken_columns: set[int] = set()
        for value, row, column in pairs:
            if row in taken_rows or column in taken_columns:
                continue
            position = start + column
            if stream.negated[position] and not phrase_negated[row]:
                value *= NEGATED_WORD_WEIGHT
            total += float(value)
            taken_rows.add(row)
            taken_columns.add(column)
            used.append(position)
        score = float(100.0 * total / weights.sum())
        if best is None or score > best[0]:
            best = (score, sorted(used))
    if best is None or not best[1]:
        return None
    score, positions = best
    first, last = stream.segments[positions[0]], stream.segments[positions[-1]]
    words = " ".join(stream.tokens[position].text for position in range(positions[0], positions[-1] + 1))
    evidence = Evidence(
        segment=first.index, speaker=first.speaker, start_s=first.start_s, end_s=last.end_s, words=words,
        phrase=phrase, language=language or first.language,
    )
    return PhraseMatch(score, evidence)


def _speakers_for(criterion_speaker: str, mono: bool) -> set[str]:
    if mono or criterion_speaker == "any":
        return {"rep", "client", "unknown"}
    return {criterion_speaker}


def _best_over_phrases(
    phrases: dict[str, tuple[str, ...]], languages: Iterable[str], stream: _Stream
) -> PhraseMatch | None:
    best: PhraseMatch | None = None
    for language in languages:
        for phrase in phrases.get(language, ()):
            match = best_phrase_match(phrase, stream, language)
            if match and (best is None or match.score > best.score):
                best = match
    return best


def expected_language(script: CallScriptSpec, english_meeting: bool) -> str:
    return "en" if english_meeting else script.language_rule.default


def _switch_permission(script: CallScriptSpec, segments: Sequence[Segment], mono: bool,
                       threshold: float) -> PhraseMatch | None:
    phrases = script.language_rule.switch_allowed_if_client_says
    if not phrases:
        return None
    speakers = {"client", "unknown"} if not mono else {"rep", "client", "unknown"}
    stream = _Stream.of(segment for segment in segments if segment.speaker in speakers)
    # "in any language": every listed phrase counts, whichever language the client used.
    earliest: PhraseMatch | None = None
    for language, listed in phrases.items():
        for phrase in listed:
            match = best_phrase_match(phrase, stream, language)
            if match and match.score >= threshold and (
                    earliest is None or match.evidence.start_s < earliest.evidence.start_s):
                earliest = match
    return earliest


def evaluate_call(
    segments: Sequence[Segment],
    script: CallScriptSpec,
    *,
    english_meeting: bool = False,
    default_threshold: float = DEFAULT_THRESHOLD,
) -> CallVerdict:
    mono = not any(segment.speaker in ("rep", "client") for segment in segments)
    expected = expected_language(script, english_meeting)
    rep_speakers = {"unknown"} if mono else {"rep"}
    rep_segments = [segment for segment in segments if segment.speaker in rep_speakers]

    permission = _switch_permission(script, segments, mono, default_threshold)
    switch_at = permission.evidence.start_s if permission else None
    permission_segments = {permission.evidence.segment} if permission else set()

    # The language rule: rep speech in another language than expected, unless the client allowed it.
    offending = [
        segment for segment in rep_segments
        if segment.language != expected
        and segment.index not in permission_segments
        and segment.language_probability >= MIN_WRONG_LANGUAGE_CONFIDENCE
        and (switch_at is None or segment.start_s < switch_at)
    ]
    offending_words = sum(len(tokenize(segment.text)) for segment in offending)
    language_ok = offending_words < MIN_WRONG_LANGUAGE_WORDS
    spoken_languages = sorted({segment.language for segment in rep_segments if segment.language != expected})
    accepted_languages = [expected] + (spoken_languages if switch_at is not None else [])

    outcomes: list[CriterionOutcome] = []
    violations: list[Violation] = []
    for criterion in script.criteria:
        outcome = _evaluate_criterion(criterion, segments, accepted_languages, mono, default_threshold)
        outcomes.append(outcome)
        if not outcome.passed:
            evidence = outcome.evidence if criterion.kind == "forbidden" else None
            violations.append(Violation(criterion.id, evidence, outcome.score))
    language_evidence = None
    if offending:
        first = offending[0]
        language_evidence = Evidence(first.index, first.speaker, first.start_s, first.end_s, first.text,
                                     language=first.language)
    outcomes.append(CriterionOutcome(WRONG_LANGUAGE, "language", language_ok,
                                     100.0 if language_ok else 0.0, language_evidence))
    if not language_ok:
        violations.insert(0, Violation(WRONG_LANGUAGE, language_evidence, None))

    passed = sum(1 for outcome in outcomes if outcome.passed)
    return CallVerdict(
        language=_dominant_language(rep_segments or list(segments)),
        expected_language=expected,
        switch_allowed_at=switch_at,
        criteria=tuple(outcomes),
        violations=tuple(violations),
        adherence=round(passed / len(outcomes), 3) if outcomes else 1.0,
        accepted_languages=tuple(accepted_languages),
    )


def _evaluate_criterion(
    criterion: Criterion, segments: Sequence[Segment], languages: list[str], mono: bool, default_threshold: float
) -> CriterionOutcome:
    threshold = criterion.threshold if criterion.threshold is not None else default_threshold
    speakers = _speakers_for(criterion.speaker, mono)
    eligible = [
        segment for segment in segments
        if segment.speaker in speakers
        and (criterion.within_seconds is None or segment.start_s <= criterion.within_seconds)
    ]
    match = _best_over_phrases(criterion.phrases, languages, _Stream.of(eligible))
    score = match.score if match else 0.0
    found = bool(score >= threshold)
    passed = found if criterion.kind == "required" else not found
    return CriterionOutcome(criterion.id, criterion.kind, passed, score, match.evidence if match else None)


def _dominant_language(segments: Sequence[Segment]) -> str | None:
    durations: dict[str, float] = {}
    for segment in segments:
        durations[segment.language] = durations.get(segment.language, 0.0) + (segment.end_s - segment.start_s)
    return max(durations, key=durations.__getitem__) if durations else None
