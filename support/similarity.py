"""How alike two support questions are, 0-100, for duplicate deflection. Pure functions, no database.

Reps write in a hurry: typos, no punctuation, Russian and English mixed in one sentence, Russian typed
in Latin letters, and the same question in other words. So a text is read as a bag of *terms*:
  1. normalised (case, ё/е, punctuation: compliance.normalize) and transliterated to Cyrillic when a
     Latin word is not English but Russian typed in Latin letters ("otmena vstrechi");
  2. each word taken to its lemma (pymorphy3; English by its Snowball stem), and the lemmas looked up in
     a small bilingual lexicon of what reps write to support about (a meeting, a cancellation, the
     rep's fault, the route, the app...), so "отменил", "отмена", "cancelled" are one term, in either
     language; a word the lexicon does not know exactly is matched to it with rapidfuzz (typos:
     "прилржение" is "приложение"); a word it does not know at all stays as its stem;
  3. a negation joins the word after it ("не работает" is not "работает").
Two bags are compared by their shared weight (weighted Dice), words compared again with rapidfuzz so
that two spellings of an unknown word still meet. Against an incident, which says much more than a
rep's question, the question's coverage by the incident counts (its words found in the incident).
The threshold is tuned on labelled pairs (tests/fixtures/deflection_pairs.json, `benchmarks/deflection.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from compliance.normalize import lemma, normalize_text, stem

# Concepts: a term per meaning; each lists words (matched by lemma/stem) and phrases (lemma sequences).
CONCEPTS: dict[str, tuple[str, ...]] = {
    "meeting": ("встреча", "митинг", "meeting", "визит", "visit", "appointment", "акт"),
    "cancel": ("отмена", "отменить", "отменять", "отменённый", "отменный", "cancel", "cancelled", "canceled",
               "cancellation", "отказаться", "отказ"),
    "reschedule": ("перенос", "перенести", "переносить", "перенесённый", "reschedule", "rescheduled", "postpone",
                   "сдвинуть", "передвинуть", "move", "moved"),
    "client": ("клиент", "клиентка", "client", "customer", "заказчик"),
    "rep_fault": ("вина", "виноватый", "fault", "blame", "blamed", "against me", "on me", "на меня", "на мне",
                  "по моей вине", "по вине представителя", "вина представителя", "my fault", "by rep", "by the rep",
                  "минус", "повесить", "rep"),
    "done": ("провести", "проводить", "состояться", "пройти", "прошедший", "done", "completed", "complete",
             "held", "завершить", "завершённый", "выполнить", "happened", "took place"),
    "not_done": ("не состояться", "несостоявшийся", "сорвать", "сорваться", "failed", "fail", "не пройти",
                 "не провести"),
    "status": ("статус", "status", "отметить", "отмечать", "отмеченный", "пометить", "marked", "mark", "стоять",
               "стоить", "стоит",
               "висеть", "записать", "записанный", "указать", "указанный", "показывать", "shows", "says",
               "написать", "писать", "поставить", "ставить",
               "засчитать", "считать", "counted", "записано", "planned", "запланировать",
               "запланированный", "отражать", "отразить", "отображаться"),
    "wrong": ("неправильно", "неправильный", "неверно", "неверный", "ошибочно", "ошибочный", "wrong", "incorrect",
              "mistake", "ложный", "false", "не тот", "не подходить", "не совпадать"),
    "violation": ("нарушение", "violation", "штраф", "penalty", "fine", "замечание", "flag", "flagged"),
    "passport": ("паспорт", "passport", "документ", "id"),
    "call": ("звонок", "звонить", "позвонить", "call", "called", "calling", "дозвониться", "набрать", "прозвон",
             "трубка", "разговор"),
    "reminder": ("напоминание", "напомнить", "напоминать", "remind", "reminder", "reminded", "сказать", "говорить",
                 "told", "said", "mention", "mentioned", "упомянуть", "предупредить"),
    "ask": ("попросить", "просить", "просьба", "ask", "asked", "request", "requested", "хотеть", "want", "wants"),
    "extra": ("лишний", "extra", "дубль", "duplicate", "двойной", "лишняя"),
    "recording": ("запись", "record", "recording", "recordings", "аудио", "audio", "аудиозапись"),
    "upload": ("загрузить", "загружать", "загружаться", "загрузка", "upload", "uploads", "uploading", "грузиться",
               "load", "loading", "отправить", "отправлять", "отправляться", "submit", "send"),
    "app": ("приложение", "app", "application", "мобилка", "прога", "программа", "приложуха", "mobile"),
    "route": ("маршрут", "route", "маршрутный"),
    "broken": ("не работать", "не мочь", "не получаться", "не удаваться", "не выходить", "can't", "cannot", "cant",
               "unable", "сломаться", "сбой", "ошибка", "error", "bug", "баг", "глюк", "outage", "crash",
               "crashes", "вылетать", "зависать", "лежать", "broken", "doesn't work", "not working", "fails",
               "не грузиться", "не загружаться", "недоступный", "unavailable", "down"),
    "login": ("вход", "войти", "зайти", "логин", "login", "log", "sign", "signing", "авторизация", "пароль",
              "password", "пускать", "не пускать"),
    "selfie": ("селфи", "selfie", "фото", "photo", "фотография", "снимок", "picture", "дресс", "dress", "форма",
               "дресс-код"),
    "offer": ("предложение", "offer", "оффер", "офер"),
    "accepted": ("принять", "принятый", "согласиться", "accepted", "accept", "agreed", "оформить"),
    "card": ("карта", "card", "карточка", "кредитка"),
    "reward": ("премия", "бонус", "bonus", "reward", "зарплата", "salary", "выплата", "деньги", "срезать",
               "уменьшить"),
    "checklist": ("чеклист", "чек-лист", "checklist", "чек", "анкета", "опрос"),
    "morning": ("утро", "утренний", "утром", "morning"),
    "address": ("адрес", "address", "место", "location", "place"),
    "time": ("время", "time", "час", "hour", "опоздание", "late", "вовремя", "окно", "window"),
    "no_show": ("неявка", "no-show", "no show", "не прийти", "не явиться", "didn't show", "не приходить"),
    "language": ("язык", "language", "английский", "english", "русский", "russian", "по-английски", "по-русски"),
    "rejected": ("отклонить", "отклонённый", "отклонять", "reject", "rejected", "declined", "не принять"),
    "missing": ("нет", "не быть", "пропасть", "пропадать",
                "пропущенный", "missing", "missed", "отсутствие", "отсутствовать",
                "не быть", "не отображаться", "не показываться", "пустой", "empty", "исчезнуть"),
    "issue_card": ("выдать", "выдача", "выданный", "handed", "issued", "hand"),
    "bot": ("бот", "bot", "робот"),
    "today": ("сегодня", "today"),
    "tomorrow": ("завтра", "tomorrow"),
    "transcript": ("расшифровка", "transcript", "текст"),
    "profile": ("профиль", "profile", "номер", "телефон", "phone"),
    "script": ("скрипт", "script"),
    "contract": ("договор", "contract", "подписывать", "подписать", "sign"),
    "english_flag": ("english speaking", "english-speaking"),
}
# Words every question to support carries: they say little about which question it is.
LIGHT = {"meeting": 0.4, "client": 0.4, "status": 0.5, "app": 0.6, "wrong": 0.6, "rep_fault": 0.8,
         "today": 0.3, "missing": 0.7, "upload": 0.8}
STOPWORDS = frozenset([
    "я", "мне", "меня", "мой", "моя", "мое", "мои", "ты", "вы", "вам", "вас", "ваш", "он", "она", "оно", "они",
    "его", "ее", "их", "мы", "нас", "нам", "наш", "у", "в", "во", "на", "и", "а", "но", "или", "что", "чтобы",
    "это", "этот", "эта", "то", "как", "так", "же", "ли", "бы", "уже", "еще", "ещё", "опять", "снова", "почему",
    "зачем", "когда", "где", "куда", "кто", "который", "все", "всё", "весь", "очень", "просто", "сам", "сама",
    "сами", "там", "тут", "вот", "из", "за", "к", "ко", "по", "о", "об", "от", "до", "для", "при", "с", "со", "про",
    "без", "через", "после", "над", "под", "пожалуйста", "подскажите", "помогите", "скажите", "здравствуйте",
    "привет", "добрый", "день", "вопрос", "тикет", "хотя", "хоть", "быть", "был", "была", "были", "было", "есть",
    "будет", "может", "можно", "нужно", "надо", "если", "потому", "поэтому", "itd", "тд", "etc", "i", "me", "my",
    "mine", "you", "your", "we", "our", "it", "its", "is", "are", "was", "were", "be", "been", "the", "a", "an",
    "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "from", "by", "as", "that", "this", "these",
    "those", "please", "hi", "hello", "help", "why", "how", "what", "when", "where", "who", "which", "again",
    "already", "still", "just", "so", "can", "could", "would", "will", "do", "does", "did", "have", "has", "had",
    "there", "here", "not"
])
NEGATIONS = frozenset({"не", "ни", "not", "no", "never", "didn't", "doesn't", "don't", "isn't", "wasn't", "won't",
                       "wont", "dont", "didnt", "doesnt", "isnt", "wasnt"})
# A negated concept that means another: "не загружается" is broken, "не отмечено" is missing.
NEGATED = {"upload": ("upload", "broken"), "login": ("login", "broken"), "status": ("status", "missing"),
           "call": ("call", "missing"), "accepted": ("rejected",), "done": ("not_done",), "issue_card": ("missing",),
           "meeting": ("meeting", "missing"), "recording": ("recording", "missing"), "route": ("route", "missing")}
# Russian typed in Latin letters: longest letter groups first.
_TRANSLIT = (("shch", "щ"), ("sch", "щ"), ("yo", "ё"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
             ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("ye", "е"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"),
             ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"), ("y", "ы"), ("k", "к"), ("l", "л"), ("m", "м"),
             ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"),
             ("h", "х"), ("c", "к"), ("w", "в"), ("x", "кс"), ("j", "й"), ("q", "к"))
_LATIN = re.compile(r"^[a-z]+$")
# Alternatives: two questions naming different members of one group ask about different facts (a
# cancellation is not a reschedule, the selfie is not the checklist), however alike the rest reads.
ALTERNATIVES = (
    frozenset({"cancel", "reschedule", "no_show", "not_done", "extra"}),
    frozenset({"selfie", "checklist", "route", "login", "recording", "transcript", "profile"}),
    frozenset({"passport", "language", "address", "time"}),
    frozenset({"today", "tomorrow"}),
)
ALTERNATIVE_PENALTY = 0.75
WORD_MATCH = 84  # rapidfuzz ratio at which two spellings are one word (one typo in a word of six letters)
INCIDENT_COVERAGE_WEIGHT = 0.9


@dataclass(frozen=True)
class Terms:
    """A text as the terms it says, with their weights."""

    weights: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.weights.values())


def _lemma_words(text: str) -> list[str]:
    return [lemma(word) for word in text.split()]


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, str], dict[tuple[str, ...], str], list[str]]:
    """(single lemma -> concept, lemma phrase -> concept, the single lemmas for fuzzy lookup)."""
    single: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    for concept, expressions in CONCEPTS.items():
        for expression in expressions:
            words = normalize_text(expression).split()
            lemmas = tuple(_lemma_words(" ".join(words)))
            if len(words) == 1:
                single.setdefault(lemmas[0], concept)
                single.setdefault(words[0], concept)
            else:
                phrases.setdefault(lemmas, concept)
                phrases.setdefault(tuple(words), concept)
    return single, phrases, sorted(word for word in single if len(word) >= 4)


@lru_cache(maxsize=8192)
def _english_word(word: str) -> bool:
    single, _phrases, _choices = _lexicon()
    return word in single or stem(word) in single or word in STOPWORDS or word in NEGATIONS


@lru_cache(maxsize=8192)
def _transliterate(word: str) -> str:
    """A Latin word that is not a known English one, read as Russian typed in Latin letters."""
    if not _LATIN.match(word) or _english_word(word) or len(word) < 2:
        return word
    cyrillic, rest = [], word
    while rest:
        for latin, letter in _TRANSLIT:
            if rest.startswith(latin):
                cyrillic.append(letter)
                rest = rest[len(latin):]
                break
        else:
            cyrillic.append(rest[0])
            rest = rest[1:]
    candidate = "".join(cyrillic).replace("ё", "е")
    from compliance.normalize import _morphology

    # only when the Russian reading is a dictionary word: "zapisali" -> "записали", "routes" stays English
    return candidate if _morphology().word_is_known(candidate) else word


@lru_cache(maxsize=8192)
def _concept_of(word_lemma: str, word: str) -> str | None:
    single, _phrases, choices = _lexicon()
    for key in (word_lemma, word, stem(word)):
        if key in single:
            return single[key]
    if len(word) < 5:
        return None
    best = process.extractOne(word_lemma, choices, scorer=fuzz.ratio, score_cutoff=WORD_MATCH)
    if best is None and word != word_lemma:
        best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=WORD_MATCH)
    return single[best[0]] if best else None


def terms(text: str) -> Terms:
    words = [_transliterate(word) for word in normalize_text(text).split()]
    lemmas = _lemma_words(" ".join(words))
    _single, phrases, _choices = _lexicon()
    weights: dict[str, float] = {}
    negate = False
    index = 0
    while index < len(words):
        for size in (3, 2):
            span = tuple(lemmas[index:index + size])
            raw = tuple(words[index:index + size])
            concept = phrases.get(span) or phrases.get(raw) if len(span) == size else None
            if concept:
                meanings = NEGATED.get(concept, ("¬" + concept,)) if negate else (concept,)
                for meaning in meanings:
                    weights[meaning] = max(weights.get(meaning, 0.0), LIGHT.get(meaning, 1.0))
                index += size
                negate = False
                break
        else:
            word, word_lemma = words[index], lemmas[index]
            index += 1
            if word in NEGATIONS:
                negate = True
                continue
            if word in STOPWORDS or word_lemma in STOPWORDS:
                continue
            concept = _concept_of(word_lemma, word)
            term = concept or ("#" + word if word.isdigit() else stem(word))
            if negate:
                negate = False
                if term in NEGATED:
                    for meaning in NEGATED[term]:
                        weights[meaning] = max(weights.get(meaning, 0.0), LIGHT.get(meaning, 1.0))
                    continue
                term = "¬" + term
            weight = LIGHT.get(term, 1.0) if concept else (1.0 if word.isdigit() else 0.8)
            weights[term] = max(weights.get(term, 0.0), weight)
    return Terms(weights)


def _shared_weight(first: Terms, second: Terms) -> float:
    """The weight the two share: equal terms, and spellings of an unknown word that rapidfuzz finds alike."""
    shared = 0.0
    rest = [term for term in second.weights if term not in first.weights]
    for term, weight in first.weights.items():
        if term in second.weights:
            shared += min(weight, second.weights[term])
        elif len(term) >= 5 and not term.startswith("#") and rest:
            best = process.extractOne(term, rest, scorer=fuzz.ratio, score_cutoff=WORD_MATCH)
            if best is not None:
                shared += min(weight, second.weights[best[0]])
    return shared


def _alternatives_differ(first: Terms, second: Terms) -> bool:
    for group in ALTERNATIVES:
        mine, theirs = group & first.weights.keys(), group & second.weights.keys()
        if mine and theirs and not mine & theirs:
            return True
    return False


def question_similarity(new: str, earlier: str) -> float:
    """0-100: how likely the earlier question's answer answers the new one (weighted Dice of their terms)."""
    first, second = terms(new), terms(earlier)
    if not first.total or not second.total:
        return 0.0
    dice = 2 * _shared_weight(first, second) / (first.total + second.total)
    if _alternatives_differ(first, second):
        dice *= ALTERNATIVE_PENALTY
    return round(100 * dice, 1)


def incident_similarity(question: str, incident_text: str) -> float:
    """0-100: how much of the question the incident speaks of (its coverage, a little discounted), or their
    Dice when that is higher."""
    first, second = terms(question), terms(incident_text)
    if not first.total or not second.total:
        return 0.0
    shared = _shared_weight(first, second)
    coverage = shared / first.total
    dice = 2 * shared / (first.total + second.total)
    score = max(dice, INCIDENT_COVERAGE_WEIGHT * coverage)
    if _alternatives_differ(first, second):
        score *= ALTERNATIVE_PENALTY
    return round(100 * score, 1)


@dataclass(frozen=True)
class Candidate:
    kind: str  # ticket | incident
    id: int
    text: str


@dataclass(frozen=True)
class Resemblance:
    kind: str
    id: int
    score: float


def closest(question: str, candidates: Iterable[Candidate], threshold: float) -> list[Resemblance]:
    """The candidates at or over `threshold`, most alike first (incidents before tickets at equal scores)."""
    found = []
    for candidate in candidates:
        score = (incident_similarity(question, candidate.text) if candidate.kind == "incident"
                 else question_similarity(question, candidate.text))
        if score >= threshold:
            found.append(Resemblance(candidate.kind, candidate.id, score))
    return sorted(found, key=lambda match: (-match.score, match.kind != "incident", match.id))


def describe(text: str) -> Sequence[str]:
    """The terms read from a text (for the benchmark's report and for debugging a miss)."""
    return sorted(terms(text).weights)
