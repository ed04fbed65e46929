"""Match a transcript against a call script: criteria, the language rule, violations, adherence.

Phrases are examples of a meaning, not exact strings. A phrase matches a stretch of one speaker's
speech when its words are found there, each word against its best counterpart by stem and by
spelling (rapidfuzz), in any order (Russian word order is free), with a few inserted words
allowed ("не забудьте, пожалуйста, ваш паспорт"). A word inside a clause the speaker negated, where
the phrase did not ("паспорт вам не нужно брать", "you don't need to bring your passport"), counts a
quarter; "не забудьте X" / "don't forget X" negates the forgetting, not X. The score is the share of the
phrase's words found, weighted by how well each was found and by its length (two-letter words weigh
half), 0-100. Labels the masking wrote (`[PASSPORT]`) are not words anybody said, and never match.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from compliance.concepts import best_meaning_match
from compliance.lexicon import Concepts, concepts_for, derived_meaning
from compliance.normalize import Token, is_noun, tokenize, written_in
from compliance.scripts import CallScriptSpec, Criterion

DEFAULT_THRESHOLD = 75.0
WORD_FLOOR = 0.62  # below this a word pair is unrelated, not a partial match
EXTRA_WINDOW_WORDS = 4  # inserted words tolerated inside one phrase
NEGATIONS = {"не", "нет", "ни", "not", "no", "never", "don't", "dont", "doesn't", "didn't", "won't", "needn't"}
NEGATION_REACH = 6  # words a negation governs, at most to the end of its clause
# "не забудьте паспорт", "don't forget your passport": the negation cancels the forgetting, not the passport.
FORGETTING_STEMS = ("забуд", "забыв", "забыт", "forget", "forgot")
CLAUSE_BREAK = re.compile(r"[.,;:!?()\u2014\u2013]|\s-\s|\b(?:но|а|однако|but|however)\b", re.IGNORECASE)
MASK_LABEL = re.compile(r"\[[A-Z_]+\]")
SENTENCE = re.compile(r"[^.!?]+[.!?]*")
FIRST_PERSON = {"я", "мне", "меня", "мой", "моя", "мое", "мои", "i", "me", "my", "i'd", "i'm", "i'll"}
SECOND_PERSON_WORDS = {"вы", "вам", "вас", "ваш", "ваша", "ваше", "вашу", "you", "your"}
NEGATED_WORD_WEIGHT = 0.25
# A phrase about a thing (its nouns: "адрес", "паспорт") is not said when the thing was not: such a
# match keeps this share of its score, so three words of four never make "the address" out of "the time".
HEADLESS_FACTOR = 0.7
SHORT_WORD_WEIGHT = 0.5  # "не", "я", "my", "is": often mis-heard or dropped, they weigh half
WRONG_LANGUAGE = "wrong_language"


@dataclass(frozen=True)
class LanguageRule:
    """What counts as sustained evidence of the rep speaking another language.

    A few seconds of "English" against half a minute of the rep's Russian is a recogniser's guess at a
    short or noisy utterance (or, on mono, the client), not a language fault.
    """

    min_seconds: float = 2.5  # of the rep's speech in the other language
    min_words: int = 5
    min_share: float = 0.15  # of the rep's speech time
    min_confidence: float = 0.6  # the recogniser's language probability, per utterance
    # Mono: the speaker is unknown, so the client's short replies ("Got.", "Pass it up.") count too: only
    # utterances of a sentence's length, heard confidently, are evidence, and more of them.
    mono_min_seconds: float = 3.0
    mono_min_words: int = 8
    mono_min_share: float = 0.15
    mono_min_confidence: float = 0.8
    mono_min_utterance_words: int = 4
    # Text really in the other language: words the decoder was sure of. A Russian voice Whisper cannot
    # follow comes out as English-looking gibberish ("Sobelidium, Minasavutan") at a mean token
    # log-probability under -0.7; the rep really speaking English scores above it (corpus/dev).
    min_avg_logprob: float = -0.7


LANGUAGE_RULE = LanguageRule()


@dataclass(frozen=True)
class Segment:
    index: int
    speaker: str  # rep | client | unknown
    start_s: float
    end_s: float
    language: str
    text: str
    language_probability: float = 1.0
    avg_logprob: float = 0.0  # the decoder's mean token log-probability: how sure it was of the words


@dataclass(frozen=True)
class Evidence:
    segment: int
    speaker: str
    start_s: float
    end_s: float
    words: str
    phrase: str | None = None
    language: str | None = None
    note: str | None = None  # what the finding rests on, for a reviewer (e.g. the language evidence)


@dataclass(frozen=True)
class CriterionOutcome:
    criterion: str
    kind: str
    passed: bool
    score: float
    evidence: Evidence | None
    confidence: float = 1.0  # that `passed` is right (calibrated); the QA queue takes the least certain first
    clarity: float | None = None  # how sure the recogniser was of the words judged (see clarity_of)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 1)
        data["confidence"] = round(self.confidence, 3)
        return data


@dataclass(frozen=True)
class Violation:
    criterion: str
    evidence: Evidence | None
    score: float | None = None
    confidence: float = 1.0

    def as_dict(self) -> dict:
        return {"criterion": self.criterion, "evidence": asdict(self.evidence) if self.evidence else None,
                "score": None if self.score is None else round(self.score, 1),
                "confidence": round(self.confidence, 3)}


# Confidence that an outcome is right: a logistic function of whether it passed (a flag is wrong far
# more often than a pass: lost or mis-heard speech makes a said phrase "missing"), of how clearly the
# recogniser heard the speech the criterion was judged on (the duration-weighted mean token
# log-probability of those utterances, 0 = sure, -1 = guessing), and of the score's distance from the
# threshold (per 10 points; it adds little once the other two are known). Fit on corpus/dev's outcomes
# by `benchmarks/accuracy.py --calibrate`, which prints the reliability on corpus/test too.
CONFIDENCE_BIAS = 3.394
CONFIDENCE_IF_PASSED = 3.134
CONFIDENCE_PER_10_POINTS = 0.054
CONFIDENCE_PER_CLARITY = 6.597


def confidence_of(score: float, threshold: float, clarity: float = 0.0, passed: bool | None = None) -> float:
    if passed is None:
        passed = score >= threshold
    logit = (CONFIDENCE_BIAS + CONFIDENCE_IF_PASSED * passed + CONFIDENCE_PER_10_POINTS * abs(score - threshold) / 10.0
             + CONFIDENCE_PER_CLARITY * clarity)
    return 1.0 / (1.0 + math.exp(-logit))


def clarity_of(segments: Sequence[Segment]) -> float:
    """How sure the recogniser was of these utterances' words: their mean token log-probability,
    weighted by duration (0.0 when there is no speech: nothing was mis-heard)."""
    seconds = sum(max(segment.end_s - segment.start_s, 0.0) for segment in segments)
    if not seconds:
        return 0.0
    return sum(segment.avg_logprob * max(segment.end_s - segment.start_s, 0.0) for segment in segments) / seconds


@dataclass(frozen=True)
class CallVerdict:
    language: str | None
    expected_language: str
    switch_allowed_at: float | None
    criteria: tuple[CriterionOutcome, ...]
    violations: tuple[Violation, ...]
    adherence: float
    accepted_languages: tuple[str, ...] = ()  # whose phrases count for the criteria: all the script's


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
    asked: list[bool] = field(default_factory=list)  # a question about oneself ("А паспорт мне нужен?")
    sentences: list[int] = field(default_factory=list)  # which sentence of the stream each word is in

    @classmethod
    def of(cls, segments: Iterable[Segment]) -> _Stream:
        stream = cls()
        for segment in segments:
            for sentence in SENTENCE.findall(MASK_LABEL.sub(" ", segment.text)):
                tokens, negated = negation_scopes(sentence)
                stream.tokens.extend(tokens)
                stream.segments.extend([segment] * len(tokens))
                stream.negated.extend(negated)
                asks_for_oneself = sentence.rstrip().endswith("?") and any(
                    token.text in FIRST_PERSON for token in tokens)
                stream.asked.extend([asks_for_oneself] * len(tokens))
                stream.sentences.extend([stream.sentences[-1] + 1 if stream.sentences else 0] * len(tokens))
        return stream


def head_words(tokens: Sequence[Token]) -> set[int]:
    """Positions of the words a phrase is about: its nouns (Russian, by pymorphy3), or an English
    phrase's last word when it is a long one ("confirm the address", "bring your passport")."""
    heads = {index for index, token in enumerate(tokens) if is_noun(token.text)}
    if not heads and tokens and tokens[-1].text.isascii() and len(tokens[-1].text) >= 4:
        heads.add(len(tokens) - 1)
    return heads


def negation_scopes(text: str) -> tuple[list[Token], list[bool]]:
    """The text's tokens, and for each whether a negation earlier in its clause governs it."""
    tokens: list[Token] = []
    negated: list[bool] = []
    for clause in CLAUSE_BREAK.split(text):
        if not clause:
            continue
        reach = 0
        for token in tokenize(clause):
            tokens.append(token)
            negated.append(reach > 0)
            if token.text in NEGATIONS:
                reach = NEGATION_REACH
            elif reach == NEGATION_REACH and token.stem.startswith(FORGETTING_STEMS):
                reach = 0  # "не забудьте X": X is asked for, not negated
            else:
                reach = max(0, reach - 1)
    return tokens, negated


def _similarity(phrase_tokens: Sequence[Token], stream: _Stream) -> np.ndarray:
    """Word-by-word similarity, 0..1, the better of stem and surface comparisons; 0 below the floor."""
    by_stem = cdist([t.stem for t in phrase_tokens], [t.stem for t in stream.tokens], scorer=fuzz.ratio)
    by_text = cdist([t.text for t in phrase_tokens], [t.text for t in stream.tokens], scorer=fuzz.ratio)
    similarity = np.maximum(by_stem, by_text) / 100.0
    similarity[similarity < WORD_FLOOR] = 0.0
    return similarity


def best_phrase_match(phrase: str, stream: _Stream, language: str | None = None) -> PhraseMatch | None:
    phrase_tokens, phrase_negated = negation_scopes(phrase)
    if not phrase_tokens or not stream.tokens:
        return None
    similarity = _similarity(phrase_tokens, stream)
    head_rows = head_words(phrase_tokens)
    weights = np.array([SHORT_WORD_WEIGHT if len(token.text) <= 2 else 1.0 for token in phrase_tokens])
    similarity = similarity * weights[:, None]
    width = len(phrase_tokens) + EXTRA_WINDOW_WORDS
    phrase_person = {token.text for token in phrase_tokens}
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
        if used and phrase_person & FIRST_PERSON and not phrase_person & SECOND_PERSON_WORDS and any(
                stream.tokens[position].text in SECOND_PERSON_WORDS for position in range(min(used), max(used) + 1)):
            score *= HEADLESS_FACTOR  # "more convenient for you (to meet, let) me" is not about the rep
        if head_rows - taken_rows:
            score *= HEADLESS_FACTOR  # "уточним время встречи" is not "уточним адрес встречи"
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

    language = language_outcome(rep_segments, expected, permission_segments, switch_at, mono)
    # One fault, one violation: the criteria accept their phrases in any of the script's languages, so a
    # rep who said everything in the wrong language gets `wrong_language` alone.
    outcomes: list[CriterionOutcome] = []
    violations: list[Violation] = []
    concepts = concepts_for(script.concepts)  # the built-in lexicon and the script's own, once per call
    for criterion in script.criteria:
        outcome = _evaluate_criterion(criterion, segments, script, concepts, mono, default_threshold)
        outcomes.append(outcome)
        if not outcome.passed:
            evidence = outcome.evidence if criterion.kind == "forbidden" else None
            violations.append(Violation(criterion.id, evidence, outcome.score, outcome.confidence))
    outcomes.append(language)
    if not language.passed:
        violations.insert(0, Violation(WRONG_LANGUAGE, language.evidence, None, language.confidence))
    passed = sum(1 for outcome in outcomes if outcome.passed)
    return CallVerdict(
        language=_dominant_language(rep_segments or list(segments)),
        expected_language=expected,
        switch_allowed_at=switch_at,
        criteria=tuple(outcomes),
        violations=tuple(violations),
        adherence=round(passed / len(outcomes), 3) if outcomes else 1.0,
        accepted_languages=script.languages,
    )


def _evaluate_criterion(
    criterion: Criterion, segments: Sequence[Segment], script: CallScriptSpec, concepts: Concepts, mono: bool,
    default_threshold: float,
) -> CriterionOutcome:
    threshold = criterion.threshold if criterion.threshold is not None else default_threshold
    speakers = _speakers_for(criterion.speaker, mono)
    eligible = [
        segment for segment in segments
        if segment.speaker in speakers
        and (criterion.within_seconds is None or segment.start_s <= criterion.within_seconds)
    ]
    stream = _Stream.of(eligible)
    match = _best_over_phrases(criterion.phrases, script.languages, stream)
    meaning = _meaning_match(criterion, script, concepts, stream)
    if meaning is not None and (match is None or meaning.score > match.score):
        match = meaning
    score = match.score if match else 0.0
    found = bool(score >= threshold)
    passed = found if criterion.kind == "required" else not found
    clarity = clarity_of(eligible)
    return CriterionOutcome(criterion.id, criterion.kind, passed, score, match.evidence if match else None,
                            confidence_of(score, threshold, clarity, passed), round(clarity, 3))


def _meaning_match(criterion: Criterion, script: CallScriptSpec, concepts: Concepts,
                   stream: _Stream) -> PhraseMatch | None:
    if not stream.tokens:
        return None
    meaning = criterion.meaning or derived_meaning(criterion.phrases, criterion.kind, concepts)
    if not meaning:
        return None
    # Asking about oneself ("А паспорт мне нужен?", the client on mono) is not conveying the meaning.
    found = best_meaning_match(meaning, concepts, script.languages,
                               [token.lemma for token in stream.tokens], stream.negated,
                               [segment.speaker for segment in stream.segments], stream.asked,
                               stream.sentences)
    if found is None:
        return None
    first, last = stream.segments[found.first], stream.segments[found.last]
    words = " ".join(token.text for token in stream.tokens[found.first:found.last + 1])
    evidence = Evidence(segment=first.index, speaker=first.speaker, start_s=first.start_s, end_s=last.end_s,
                        words=words, language=first.language, note="meaning: " + " + ".join(found.concepts))
    return PhraseMatch(found.score, evidence)


def language_outcome(rep_segments: Sequence[Segment], expected: str, permission_segments: set[int],
                     switch_at: float | None, mono: bool, rule: LanguageRule = LANGUAGE_RULE) -> CriterionOutcome:
    """`wrong_language` on sustained evidence only: enough of the rep's own speech, confidently and
    visibly (its letters) in another language, before any permission the client gave."""
    min_confidence = rule.mono_min_confidence if mono else rule.min_confidence
    min_share = rule.mono_min_share if mono else rule.min_share
    min_seconds = rule.mono_min_seconds if mono else rule.min_seconds
    min_words = rule.mono_min_words if mono else rule.min_words
    speech_seconds = sum(segment.end_s - segment.start_s for segment in rep_segments) or 1e-9
    offending = [
        segment for segment in rep_segments
        if segment.language != expected
        and segment.index not in permission_segments
        and (switch_at is None or segment.start_s < switch_at)
        and segment.language_probability >= min_confidence
        and segment.avg_logprob >= rule.min_avg_logprob
        and written_in(segment.text) == segment.language
        and (not mono or len(tokenize(segment.text)) >= rule.mono_min_utterance_words)
    ]
    seconds = sum(segment.end_s - segment.start_s for segment in offending)
    words = sum(len(tokenize(segment.text)) for segment in offending)
    share = seconds / speech_seconds
    sustained = seconds >= min_seconds and words >= min_words and share >= min_share
    if not offending:
        return CriterionOutcome(WRONG_LANGUAGE, "language", True, 0.0, None, 1.0)
    first = offending[0]
    note = (f"{seconds:.1f} s of {speech_seconds:.1f} s ({share:.0%}) of the "
            f"{'speech (mono: speaker unknown, the client counted too)' if mono else 'rep’s speech'} "
            f"in {first.language}, not {expected}; {words} words")
    evidence = Evidence(first.index, first.speaker, first.start_s, first.end_s, first.text,
                        language=first.language, note=note)
    # Confidence: how far the evidence is from the nearest bar it had to clear (or missed).
    margin = min(seconds / min_seconds, words / min_words, share / min_share)
    confidence = 1.0 / (1.0 + math.exp(-abs(math.log(max(margin, 1e-6))) * 3))
    return CriterionOutcome(WRONG_LANGUAGE, "language", not sustained, round(100 * min(share, 1.0), 1), evidence,
                            confidence)


def _dominant_language(segments: Sequence[Segment]) -> str | None:
    durations: dict[str, float] = {}
    for segment in segments:
        durations[segment.language] = durations.get(segment.language, 0.0) + (segment.end_s - segment.start_s)
    return max(durations, key=durations.__getitem__) if durations else None
