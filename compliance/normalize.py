"""Text normalisation for matching: case, punctuation, ё/е, numbers, Russian and English stems."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[0-9]+|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_CYRILLIC = re.compile(r"[а-я]")


@dataclass(frozen=True)
class Token:
    text: str  # lower-case surface form, ё -> е
    stem: str

    @property
    def lemma(self) -> str:
        return lemma(self.text)


@lru_cache(maxsize=16)
def _stemmer(name: str):
    return snowballstemmer.stemmer(name)


def normalize_text(text: str) -> str:
    text = text.lower().replace("ё", "е").replace("’", "'")
    return " ".join(_WORD.findall(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word.isdigit():
        return word
    # The letters choose the stemmer, so a Russian word in an English segment still stems right.
    language = "russian" if _CYRILLIC.search(word) else "english"
    return _stemmer(language).stemWord(word)


@lru_cache(maxsize=1)
def _morphology():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=131072)
def lemma(word: str) -> str:
    """The dictionary form ("возьмите" -> "взять", "документы" -> "документ"); English words by their stem."""
    if word.isdigit():
        return word
    if _CYRILLIC.search(word):
        parsed = _morphology().parse(word)[0]
        if "COMP" in parsed.tag:
            return word  # a comparative keeps its meaning: "проще" is not "простой", "лучше" not "хороший"
        return str(parsed.normal_form).replace("ё", "е")
    return stem(word)


@lru_cache(maxsize=65536)
def is_noun(word: str) -> bool:
    """A Russian noun by its most likely reading; English words are not tagged (False)."""
    if not _CYRILLIC.search(word):
        return False
    return _morphology().parse(word)[0].tag.POS == "NOUN"


def written_in(text: str) -> str | None:
    """The language the letters say: 'ru' for mostly Cyrillic words, 'en' for mostly Latin ones."""
    words = normalize_text(text).split()
    cyrillic = sum(1 for word in words if _CYRILLIC.search(word))
    latin = sum(1 for word in words if re.search(r"[a-z]", word))
    if not cyrillic and not latin:
        return None
    return "ru" if cyrillic >= latin else "en"


def tokenize(text: str) -> list[Token]:
    return [Token(word, stem(word)) for word in normalize_text(text).split()]


def spoken_numbers_to_digits(text: str, language: str) -> str:
    """'восемь девятьсот шестнадцать' -> '8 916'; text without spelled-out numbers comes back unchanged."""
    code = language if language in ("ru", "en", "es", "hi") else None
    if code is None:
        return text
    try:
        from number_parser import parse
    except ImportError:  # pragma: no cover - a declared dependency
        return text
    try:
        return parse(text, language=code)
    except Exception:  # noqa: BLE001 - the parser must never break a transcript
        return text
