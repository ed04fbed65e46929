"""The built-in lexicon: what the words of a reminder call's script mean, so any script's examples
become meanings without the script saying so.

A criterion's phrases are examples of a meaning. A script may spell the meaning out (`concepts` and a
criterion's `meaning`); most will not: a script written as the spec shows it has phrases only. Then the
meaning is read off the examples: each example's words are looked up here, and the concepts they
express, said close together, are what the criterion asks for ("возьмите с собой паспорт" -> bring +
passport, so "паспорт обязательно захватите" and "have your ID ready" count too). An example whose
words this lexicon does not know still counts as a phrase, as before.

Concepts are sets of expressions per language, compared by lemma (compliance.concepts). A script's own
`concepts` extend or replace these, name by name.

Personal pronouns are a concept too (`self_person`): they tell "мне так удобнее" (the rep's convenience)
from "где вам удобнее?" (the client's). For a required criterion they are left out of the meaning
("я представитель банка" and "ваш консультант из банка" say the same); for a forbidden one they are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

SELF_PERSON = "self_person"

BUILTIN_CONCEPTS: dict[str, dict[str, tuple[str, ...]]] = {
    "greet": {
        "ru": ("здравствуйте", "здравствуй", "добрый день", "доброе утро", "добрый вечер", "доброго времени суток",
               "доброго дня", "доброго утра", "доброго вечера", "приветствую", "привет", "алло", "день добрый"),
        "en": ("hello", "hi", "good morning", "good afternoon", "good evening", "good day", "greetings", "hey"),
    },
    "self_name": {
        "ru": ("меня зовут", "мое имя", "с вами говорит", "вас беспокоит", "на связи", "у аппарата",
               "это говорит", "звонит вам"),
        "en": ("my name is", "my name's", "this is", "speaking", "here from", "calling you", "i am calling",
               "i'm calling"),
    },
    "bank_representative": {
        "ru": ("представитель банка", "сотрудник банка", "специалист банка", "менеджер банка",
               "консультант банка", "представляю банк", "работаю в банке", "звоню из банка", "из банка",
               "отделение банка", "финансовой организации", "из отдела банка", "кредитного отдела",
               "служба доставки банка", "курьерская служба банка"),
        "en": ("calling from the bank", "represent the bank", "bank representative", "work for the bank",
               "from your bank", "from the bank", "at the bank", "bank's", "customer service", "on behalf of",
               "with the bank", "your bank"),
    },
    "address": {
        "ru": ("адрес", "место встречи", "куда подъехать", "куда приехать", "куда подойти", "где встретимся",
               "где встречаемся", "где вас найти", "улица", "проспект", "переулок", "бульвар", "шоссе",
               "набережная", "площадь", "микрорайон", "номер дома", "квартира", "корпус", "подъезд", "этаж",
               "куда курьеру", "по адресу"),
        "en": ("address", "location", "place of the meeting", "where we meet", "where to come", "where should",
               "street", "road", "avenue", "lane", "boulevard", "drive", "apartment", "flat number", "house number",
               "building", "floor", "entrance", "your place"),
    },
    "confirm": {
        "ru": ("уточнить", "подтвердить", "проверить", "сверить", "правильно", "верно", "актуальный",
               "по-прежнему", "все еще", "все так же", "куда подъехать", "куда приехать", "куда подойти",
               "где вас найти", "напомнить улицу", "напомнить адрес", "назвать адрес", "продиктовать",
               "скажите адрес", "остается", "не изменился", "не поменялся", "убедиться", "сверим"),
        "en": ("confirm", "check", "verify", "correct", "still", "is that right", "double-check",
               "where should", "where to come", "remind me", "make sure", "the same", "hasn't changed",
               "has not changed", "to be sure"),
    },
    "passport": {
        "ru": ("паспорт", "документ удостоверяющий личность", "документ личность", "удостоверение личности",
               "удостоверение", "основной документ", "документ личности"),
        "en": ("passport", "id", "identity document", "photo id", "identification", "id card", "id document",
               "identity card"),
    },
    "bring": {
        "ru": ("взять", "захватить", "прихватить", "приготовить", "принести", "иметь при себе", "при себе",
               "с собой", "не забыть", "понадобиться", "нужный", "нужно", "потребоваться", "обязательно",
               "необходимый", "необходимо", "под рукой", "держать", "наготове", "предъявить", "показать"),
        "en": ("bring", "take", "have", "need", "required", "do not forget", "don't forget", "with you",
               "ready", "at hand", "show", "handy", "remember", "carry", "keep", "will need", "need to see"),
    },
    "convenient": {
        "ru": ("удобно", "удобный", "удобнее", "удобней", "проще", "ближе", "легче", "лучше", "быстрее",
               "сподручнее", "предпочитать", "предпочесть", "предпочтительнее", "не поеду", "не могу приехать",
               "не смогу приехать", "не успею"),
        "en": ("convenient", "suit", "suits", "easier", "better", "closer", "prefer", "rather", "handier",
               "works for me", "not coming", "won't come", "can't come", "cannot come", "not able to come"),
    },
    SELF_PERSON: {
        "ru": ("я", "мне", "меня", "мной", "мой", "для меня"),
        "en": ("i", "me", "my", "for me", "i'd", "i'm", "i'll", "myself"),
    },
    "not_understand": {
        "ru": ("не понимаю", "не понимать", "не говорю", "плохо понимаю"),
        "en": ("do not understand", "don't understand", "do not speak", "don't speak"),
    },
}


Concepts = dict[str, dict[str, tuple[str, ...]]]  # concept -> language -> expressions


def concepts_for(script_concepts: Mapping[str, Mapping[str, Sequence[str]]]) -> Concepts:
    """The built-in concepts, extended or replaced name by name by the script's own."""
    merged = {name: dict(by_language) for name, by_language in BUILTIN_CONCEPTS.items()}
    for name, by_language in script_concepts.items():
        merged[name] = {language: tuple(items) for language, items in by_language.items()}
    return merged


# Words that carry no meaning of their own in an example ("давайте уточним", "так удобнее").
FILLER_WORDS = {"давайте", "давай", "пожалуйста", "так", "же", "вот", "ну", "а", "и", "с", "в", "на", "по",
                "ваш", "ваша", "ваше", "вашу", "ваши", "вам", "вас", "вы", "please", "let", "let's", "the", "a",
                "an", "your", "you", "to", "of", "is", "am", "are", "it", "so", "do", "will", "can", "more"}


@lru_cache(maxsize=256)
def _phrase_concepts(phrase: str, kind: str,
                     concept_items: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, ...], bool]:
    """The concepts an example says, and whether they cover all its meaningful words."""
    from compliance.concepts import concept_hits
    from compliance.matcher import negation_scopes

    tokens, negated = negation_scopes(phrase)
    lemmas = [token.lemma for token in tokens]
    speakers = ["rep"] * len(lemmas)
    blocked = [False] * len(lemmas)
    found: list[str] = []
    covered: set[int] = set()
    for name, expressions in concept_items:
        hits = concept_hits(name, expressions, lemmas, negated, speakers, blocked)
        if hits:
            found.append(name)
            for hit in hits:
                covered.update(range(hit.first, hit.last + 1))
    if kind == "required" and len(found) > 1:
        found = [name for name in found if name != SELF_PERSON]
    if found == [SELF_PERSON]:
        return (), False  # a pronoun alone is no meaning
    meaningful = {index for index, token in enumerate(tokens) if token.text not in FILLER_WORDS}
    return tuple(sorted(found)), meaningful <= covered


def derived_meaning(phrases: Mapping[str, Sequence[str]], kind: str,
                    concepts: Mapping[str, Mapping[str, Sequence[str]]]) -> tuple[tuple[str, ...], ...]:
    """The meaning a criterion's examples express: per example, the concepts of the lexicon its words
    say. One concept is a meaning only when it is the whole example ("я представитель банка"); otherwise
    it is a topic ("адрес" alone is not "уточним адрес"), and the example is left to phrase matching."""
    items = tuple((name, tuple(expression for expressions in by_language.values() for expression in expressions))
                  for name, by_language in sorted(concepts.items()))
    alternatives: list[tuple[str, ...]] = []
    for listed in phrases.values():
        for phrase in listed:
            found, whole = _phrase_concepts(phrase, kind, items)
            if (len(found) >= 2 or (found and whole)) and found not in alternatives:
                alternatives.append(found)
    return tuple(alternatives)
