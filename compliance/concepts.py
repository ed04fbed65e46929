"""Matching a criterion's meaning: concepts that must occur together in one speaker's words.

A script may name concepts, each a list of expressions per language ("passport": паспорт /
документ, удостоверяющий личность / ID; "bring": взять / захватить / иметь при себе / понадобиться),
and give a criterion its `meaning`: alternatives, each a set of concepts that must all be said close
together by the criterion's speaker. So "Паспорт обязательно захватите" and "Возьмите с собой
документ, удостоверяющий личность" remind of the passport though they share no phrase with the
examples, while "паспорт можно не брать" (negated) or "уточним время встречи" (no address) do not.
Expressions are compared by lemma (pymorphy3 for Russian, Snowball stems for English), so word
forms do not matter, and by spelling for long words, so a recogniser's slip does not either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

# Words apart that one meaning may span ("Паспорт, пожалуйста, обязательно возьмите с собой").
MEANING_WINDOW = 14
# How alike two long lemmas must be to count as one word mis-heard ("паспорд" for "паспорт").
SPELLING_FLOOR = 0.84
MIN_FUZZY_LENGTH = 6
# A meaning about the speaker ("мне так удобнее") needs its pronoun close by, and no "you" in between:
# "где вам удобнее встретиться? давайте я ..." is about the client's convenience.
PERSON_WINDOW = 6
PERSON_CONCEPT = "self_person"
SECOND_PERSON = {"вы", "ваш", "твой", "ты", "you", "your", "yourself"}


@dataclass(frozen=True)
class ConceptHit:
    concept: str
    first: int  # token positions in the stream
    last: int
    quality: float  # 1.0 for the same lemma, less for a spelling slip


@dataclass(frozen=True)
class MeaningMatch:
    score: float  # 0-100
    first: int
    last: int
    concepts: tuple[str, ...]


@lru_cache(maxsize=8192)
def _expression_lemmas(expression: str) -> tuple[tuple[str, bool], ...]:
    from compliance.matcher import negation_scopes

    tokens, negated = negation_scopes(expression)
    return tuple((token.lemma, flag) for token, flag in zip(tokens, negated, strict=True))


def _word_quality(wanted: str, heard: str) -> float:
    if wanted == heard:
        return 1.0
    if min(len(wanted), len(heard)) < MIN_FUZZY_LENGTH:
        return 0.0
    ratio = fuzz.ratio(wanted, heard) / 100.0
    return ratio if ratio >= SPELLING_FLOOR else 0.0


def concept_hits(concept: str, expressions: Sequence[str], lemmas: Sequence[str], negated: Sequence[bool],
                 speakers: Sequence[str], blocked: Sequence[bool]) -> list[ConceptHit]:
    """Every place in the stream where one of the concept's expressions was said (and not negated)."""
    hits: list[ConceptHit] = []
    for expression in expressions:
        wanted = _expression_lemmas(expression)
        if not wanted:
            continue
        # A few words may come between ("документ, который удостоверяет личность"), or a long word be
        # heard as several ("документ, утаст и веряющий личность").
        span = len(wanted) + 3
        for start, heard in enumerate(lemmas):
            if blocked[start]:
                continue
            first_quality = _word_quality(wanted[0][0], heard)
            if not first_quality or negated[start] != wanted[0][1]:
                continue
            qualities, last, position = [first_quality], start, start + 1
            for lemma_wanted, negation_wanted in wanted[1:]:
                found = None
                for candidate in range(position, min(len(lemmas), start + span)):
                    if (speakers[candidate] != speakers[start] or negated[candidate] != negation_wanted
                            or blocked[candidate]):
                        continue
                    quality = _word_quality(lemma_wanted, lemmas[candidate])
                    if quality:
                        found = (candidate, quality)
                        break
                if found is None:
                    break
                qualities.append(found[1])
                last = position = found[0]
                position += 1
            else:
                hits.append(ConceptHit(concept, start, last, min(qualities)))
    return hits


def best_meaning_match(
    meaning: Sequence[Sequence[str]],
    concepts: Mapping[str, Mapping[str, Sequence[str]]],
    languages: Sequence[str],
    lemmas: Sequence[str],
    negated: Sequence[bool],
    speakers: Sequence[str],
    blocked: Sequence[bool],
    sentences: Sequence[int] | None = None,
) -> MeaningMatch | None:
    """The best place where all concepts of one alternative were said within a window of one speaker;
    `blocked` words (in a question) never count."""
    best: MeaningMatch | None = None
    for alternative in meaning:
        personal = PERSON_CONCEPT in alternative
        window = PERSON_WINDOW if personal else MEANING_WINDOW
        hits_by_concept: list[list[ConceptHit]] = []
        for concept in alternative:
            expressions = [expression for language in languages
                           for expression in concepts.get(concept, {}).get(language, ())]
            hits_by_concept.append(concept_hits(concept, expressions, lemmas, negated, speakers, blocked))
        if not all(hits_by_concept):
            continue
        for anchor in hits_by_concept[0]:
            chosen = [anchor]
            for hits in hits_by_concept[1:]:
                near = [hit for hit in hits if speakers[hit.first] == speakers[anchor.first]
                        and max(hit.last, anchor.last) - min(hit.first, anchor.first) < window]
                if not near:
                    break
                chosen.append(max(near, key=lambda hit: (hit.quality, -abs(hit.first - anchor.first))))
            else:
                first, last = min(hit.first for hit in chosen), max(hit.last for hit in chosen)
                if personal and (any(lemma in SECOND_PERSON for lemma in lemmas[max(0, first - 3):last + 1])
                                 or (sentences is not None and sentences[first] != sentences[last])):
                    continue  # about the other person, or pieced together across sentences
                score = 100.0 * sum(hit.quality for hit in chosen) / len(chosen)
                match = MeaningMatch(score, first, last, tuple(alternative))
                if best is None or match.score > best.score:
                    best = match
    return best
