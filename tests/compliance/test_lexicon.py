"""A script with phrases only (as the spec writes one) is matched by meaning: the built-in lexicon reads
the examples' concepts, so paraphrases count and near misses do not."""

from __future__ import annotations

import pytest

from compliance.lexicon import BUILTIN_CONCEPTS, derived_meaning
from compliance.matcher import Segment, evaluate_call
from compliance.scripts import load_script

# The spec's example script, word for word: no concepts, no meaning.
PLAIN_SCRIPT = load_script({
    "name": "reminder call", "version": 1, "language": "ru",
    "criteria": [
        {"id": "greeting", "kind": "required", "speaker": "rep", "within_seconds": 30,
         "phrases": {"ru": ["здравствуйте меня зовут", "я представитель банка"], "en": ["hello my name is"]}},
        {"id": "address_confirmation", "kind": "required", "speaker": "rep",
         "phrases": {"ru": ["давайте уточним адрес встречи"], "en": ["let me confirm the address"]}},
        {"id": "passport_reminder", "kind": "required", "speaker": "rep",
         "phrases": {"ru": ["не забудьте паспорт", "понадобится паспорт"], "en": ["bring your passport"]}},
        {"id": "forced_location", "kind": "forbidden", "speaker": "rep",
         "phrases": {"ru": ["мне так удобнее"], "en": ["more convenient for me"]}},
    ],
    "language_rule": {"default": "ru",
                      "switch_allowed_if_client_says": {"en": ["i do not understand russian"],
                                                        "ru": ["не понимаю по-русски"]}},
})

GREETING = "Здравствуйте, меня зовут Анна, я представитель банка."
ADDRESS = "Давайте уточним адрес встречи: улица Ленина, дом пять."
PASSPORT = "Не забудьте, пожалуйста, паспорт."


def found(*rep_lines: str, speaker: str = "rep", logprob: float = -0.2) -> list[str]:
    segments = [Segment(index, speaker, 5.0 * index, 5.0 * index + 4.0, "en" if line.isascii() else "ru", line,
                        0.99, logprob) for index, line in enumerate(rep_lines)]
    return sorted(v.criterion for v in evaluate_call(segments, PLAIN_SCRIPT).violations)


def test_the_examples_meanings_are_read_off_their_words():
    criteria = {criterion.id: criterion for criterion in PLAIN_SCRIPT.criteria}
    meaning = {name: derived_meaning(criteria[name].phrases, criteria[name].kind, BUILTIN_CONCEPTS)
               for name in criteria}
    assert ("bring", "passport") in meaning["passport_reminder"]
    assert ("address", "confirm") in meaning["address_confirmation"]
    assert ("bank_representative",) in meaning["greeting"]
    # A forbidden meaning about the rep keeps its pronoun: "вам удобнее" is not "мне удобнее".
    assert meaning["forced_location"] == (("convenient", "self_person"),)


@pytest.mark.parametrize("said", [
    "Паспорт обязательно захватите.",
    "Приготовьте, пожалуйста, удостоверение личности к приходу курьера.",
    "Возьмите с собой документ, удостоверяющий личность.",
    "Курьеру нужно будет увидеть ваш основной документ, держите его под рукой.",
    "Have your ID ready when the courier arrives.",
])
def test_a_passport_reminder_in_other_words_counts(said):
    assert "passport_reminder" not in found(GREETING, ADDRESS, said)


@pytest.mark.parametrize("said", [
    "Скажите, пожалуйста, куда именно подъехать нашему курьеру?",
    "Вы по-прежнему на улице Гагарина, всё верно?",
    "Are you still at twelve Garden Road?",
])
def test_an_address_check_in_other_words_counts(said):
    assert "address_confirmation" not in found(GREETING, said, PASSPORT)


@pytest.mark.parametrize("said", [
    "Доброго времени суток, вас беспокоит Олег из финансовой организации «Восход».",
    "Good afternoon, this is Mark speaking, I work for your bank.",
])
def test_a_greeting_in_other_words_counts(said):
    assert "greeting" not in found(said, ADDRESS, PASSPORT)


@pytest.mark.parametrize("said, missing", [
    ("Давайте уточним время встречи.", "address_confirmation"),
    ("Подтвердите, пожалуйста, номер вашего телефона.", "address_confirmation"),
    ("Паспорт можно не брать, мы всё оформим по номеру телефона.", "passport_reminder"),
    ("Не забудьте, пожалуйста, зонтик, обещают дождь.", "passport_reminder"),
    ("Паспортные данные мы уже проверили, всё в порядке.", "passport_reminder"),
])
def test_near_misses_do_not_count(said, missing):
    lines = {"address_confirmation": [GREETING, said, PASSPORT], "passport_reminder": [GREETING, ADDRESS, said]}
    assert found(*lines[missing]) == [missing]


@pytest.mark.parametrize("said", [
    "Давайте встретимся в нашем офисе на Арбате, мне туда ближе ехать.",
    "I would rather we met at my office, it is easier for me to get there.",
    "Приезжайте лучше ко мне в офис, мне так проще.",
])
def test_the_rep_pushing_their_own_convenience_is_forced_location(said):
    assert "forced_location" in found(GREETING, said, ADDRESS, PASSPORT)


@pytest.mark.parametrize("said", [
    "Где вам удобнее встретиться: дома или в офисе?",
    "Where would it be more convenient for you to meet? Let me know.",
    "Как вам будет удобнее, так и сделаем.",
    "Я понимаю, просто уточняю.",
    "Всё хорошо. Мне главное, чтобы вы успели.",
])
def test_asking_about_the_clients_convenience_is_not_forced_location(said):
    assert "forced_location" not in found(GREETING, said, ADDRESS, PASSPORT)


def test_gibberish_a_russian_voice_was_heard_as_is_not_english_speech():
    """The recogniser unsure of its English words (a Russian voice it could not follow) is no evidence
    of the rep speaking English; the same words heard confidently are."""
    english = ["Hello, my name is Anna, I represent the bank.", "Let me confirm the address of our meeting.",
               "Do not forget your passport, please."]
    assert "wrong_language" not in found(*english, logprob=-1.2)
    assert found(*english, logprob=-0.2) == ["wrong_language"]


def test_a_script_may_use_the_built_in_concepts_by_name():
    body = {"name": "s", "version": 1, "language": "ru", "criteria": [
        {"id": "passport_reminder", "kind": "required", "phrases": {"ru": ["паспорт"]},
         "meaning": [["passport", "bring"]]}]}
    assert load_script(body).criteria[0].meaning == (("passport", "bring"),)
