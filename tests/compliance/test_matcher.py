"""The script matcher on text: what a reviewer would call a match, and what not."""

from __future__ import annotations

import pytest

from compliance.matcher import Segment, _Stream, best_phrase_match, evaluate_call
from compliance.scripts import default_script_body, load_script

SCRIPT = load_script(default_script_body())


def score(phrase: str, text: str) -> float:
    match = best_phrase_match(phrase, _Stream.of([Segment(0, "rep", 0.0, 3.0, "ru", text)]))
    return match.score if match else 0.0


@pytest.mark.parametrize("spoken", [
    "Не забудьте паспорт.",
    "Не забудьте, пожалуйста, ваш паспорт.",  # inserted words
    "И не забудьте пожалуйста свой паспорт!",
    "Паспорт не забудьте, пожалуйста.",  # free word order
    "Не забудте паспорд.",  # recogniser slips
])
def test_passport_reminder_survives_insertions_word_order_and_slips(spoken):
    assert score("не забудьте паспорт", spoken) >= 75


@pytest.mark.parametrize("phrase, spoken", [
    ("давайте уточним адрес встречи", "Давайте уточним адрес нашей встречи."),
    ("давайте уточним адрес встречи", "Давайте уточним адрес для встреч."),  # another word form
    ("я представитель банка", "Я представительница вашего банка."),
    ("hello my name is", "Hello, my name's Anna."),
    ("bring your passport", "Please bring your passports."),
])
def test_word_forms_and_small_insertions_match(phrase, spoken):
    assert score(phrase, spoken) >= 75


@pytest.mark.parametrize("phrase, spoken", [
    ("не забудьте паспорт", "Сегодня хорошая погода, на улице тепло."),
    ("не забудьте паспорт", "Не забудьте зонт."),
    ("не забудьте паспорт", "Карту привезет курьер, это бесплатно."),
    ("мне так удобнее", "Как вам будет удобнее?"),
    ("мне так удобнее", "Вам так удобнее?"),
    ("давайте уточним адрес встречи", "Напоминаю про нашу встречу сегодня."),
    ("bring your passport", "Your card is ready."),
])
def test_unrelated_speech_does_not_match(phrase, spoken):
    assert score(phrase, spoken) < 75


def test_a_negated_word_does_not_make_a_match():
    assert score("понадобится паспорт", "Вам понадобится паспорт.") >= 75
    assert score("понадобится паспорт", "Паспорт не понадобится.") < 75


def test_words_far_apart_do_not_make_a_phrase():
    spoken = "Не забудьте что встреча сегодня в два часа и нам нужно будет подписать договор а паспорт"
    assert score("не забудьте паспорт", spoken) < 75


def seg(index, speaker, start, language, text, probability=0.99):
    return Segment(index, speaker, start, start + 3.0, language, text, probability)


COMPLIANT_RU = [
    seg(0, "rep", 0.5, "ru", "Здравствуйте, меня зовут Анна, я представитель банка."),
    seg(1, "client", 4.0, "ru", "Да, слушаю вас."),
    seg(2, "rep", 7.0, "ru", "Давайте уточним адрес встречи: улица Ленина, дом пять."),
    seg(3, "rep", 12.0, "ru", "Не забудьте, пожалуйста, паспорт."),
]


def violations(segments, english_meeting=False):
    verdict = evaluate_call(segments, SCRIPT, english_meeting=english_meeting)
    return sorted(v.criterion for v in verdict.violations), verdict


def test_a_compliant_call_has_no_violations_and_full_adherence():
    found, verdict = violations(COMPLIANT_RU)
    assert found == []
    assert verdict.adherence == 1.0 and verdict.language == "ru"
    greeting = next(c for c in verdict.criteria if c.criterion == "greeting")
    assert greeting.evidence.segment == 0 and greeting.evidence.speaker == "rep"
    assert greeting.evidence.start_s == 0.5


def test_a_missing_criterion_is_a_violation_without_evidence():
    found, verdict = violations([s for s in COMPLIANT_RU if s.index != 3])
    assert found == ["passport_reminder"]
    assert verdict.violations[0].evidence is None
    assert verdict.adherence == pytest.approx(4 / 5)


def test_only_the_reps_words_count_in_stereo():
    segments = [*COMPLIANT_RU[:3], seg(3, "client", 12.0, "ru", "Паспорт не забыть, да?")]
    assert violations(segments)[0] == ["passport_reminder"]


def test_in_mono_every_word_counts_as_the_reps():
    segments = [Segment(s.index, "unknown", s.start_s, s.end_s, s.language, s.text) for s in COMPLIANT_RU]
    segments.append(seg(4, "unknown", 16.0, "ru", "Мне так удобнее, приезжайте ко мне."))
    assert violations(segments)[0] == ["forced_location"]


def test_forbidden_phrase_is_a_violation_with_evidence_to_jump_to():
    segments = [*COMPLIANT_RU, seg(4, "rep", 16.0, "ru", "Давайте у метро, мне так удобнее.")]
    found, verdict = violations(segments)
    assert found == ["forced_location"]
    evidence = verdict.violations[0].evidence
    assert evidence.segment == 4 and evidence.start_s == 16.0 and "удобнее" in evidence.words


def test_the_client_saying_the_forbidden_phrase_is_fine():
    segments = [*COMPLIANT_RU, seg(4, "client", 16.0, "ru", "Мне так удобнее.")]
    assert violations(segments)[0] == []


def test_within_seconds_requires_an_early_greeting():
    late = [seg(0, "rep", 35.0, "ru", "Здравствуйте, меня зовут Анна, я представитель банка."), *COMPLIANT_RU[1:]]
    assert violations(late)[0] == ["greeting"]


def test_rep_switching_to_english_unasked_is_wrong_language_alone():
    """One fault, one violation: the passport reminder was given, in the wrong language."""
    segments = [*COMPLIANT_RU[:3], seg(3, "rep", 12.0, "en", "Please bring your passport to the meeting.")]
    found, verdict = violations(segments)
    assert found == ["wrong_language"]
    language = next(v for v in verdict.violations if v.criterion == "wrong_language")
    assert language.evidence.segment == 3 and language.evidence.language == "en"
    assert "in en, not ru" in language.evidence.note


def test_a_rep_who_says_everything_in_english_to_a_russian_client_gets_wrong_language_only():
    english = [
        seg(0, "rep", 0.5, "en", "Hello, my name is Anna, I am calling from the bank."),
        seg(1, "client", 4.0, "ru", "Да, слушаю."),
        seg(2, "rep", 7.0, "en", "Let me confirm the address of our meeting."),
        seg(3, "rep", 12.0, "en", "Please bring your passport."),
    ]
    assert violations(english)[0] == ["wrong_language"]
    assert violations(COMPLIANT_RU, english_meeting=True)[0] == ["wrong_language"]


def test_the_clients_short_replies_heard_as_english_on_mono_are_not_a_language_fault():
    mono = [Segment(s.index, "unknown", s.start_s, s.end_s, s.language, s.text) for s in COMPLIANT_RU]
    mono += [Segment(4, "unknown", 16.0, 17.0, "en", "Got.", 0.95), Segment(5, "unknown", 18.0, 19.2, "en",
                                                                        "Pass it up.", 0.9)]
    assert violations(mono)[0] == []


def test_english_words_written_in_cyrillic_are_not_english():
    segments = [*COMPLIANT_RU, seg(4, "rep", 16.0, "en", "Да, конечно, спасибо, всего доброго, до встречи.")]
    assert violations(segments)[0] == []


@pytest.mark.parametrize("spoken", [
    "You don't need to bring your passport.",
    "Паспорт брать не нужно, не понадобится он.",
    "Паспорт можно не брать.",
])
def test_a_negated_reminder_is_not_a_reminder(spoken):
    language = "en" if spoken.isascii() else "ru"
    found, _ = violations([*COMPLIANT_RU[:3], seg(3, "rep", 12.0, language, spoken)])
    assert "passport_reminder" in found


def test_mask_labels_are_not_words_anybody_said():
    segments = [*COMPLIANT_RU[:3], seg(3, "rep", 12.0, "ru", "Серия и номер: [PASSPORT]. Bring [PASSPORT].")]
    assert "passport_reminder" in violations(segments)[0]


def test_every_outcome_carries_a_confidence_lower_near_the_threshold():
    _, verdict = violations(COMPLIANT_RU)
    assert all(0.5 <= outcome.confidence <= 1.0 for outcome in verdict.criteria)
    clear = next(c for c in verdict.criteria if c.criterion == "passport_reminder")
    slipped = evaluate_call([*COMPLIANT_RU[:3], seg(3, "rep", 12.0, "ru", "Не забудте паспорд.")], SCRIPT)
    near = next(c for c in slipped.criteria if c.criterion == "passport_reminder")
    assert near.confidence < clear.confidence


def test_a_flag_on_speech_the_recogniser_was_unsure_of_is_less_certain():
    """A phrase "missing" from words the recogniser guessed at may have been said: the QA queue should
    see that flag before one on clearly heard speech."""
    def flag(logprob: float) -> float:
        segments = [Segment(s.index, s.speaker, s.start_s, s.end_s, s.language, s.text, 0.99, logprob)
                    for s in COMPLIANT_RU[:3]]
        verdict = evaluate_call(segments, SCRIPT)
        return next(c for c in verdict.criteria if c.criterion == "passport_reminder").confidence

    clear, unsure = flag(-0.1), flag(-1.2)
    assert unsure < 0.5 < clear
    passed = evaluate_call(COMPLIANT_RU, SCRIPT).criteria
    assert all(outcome.confidence > clear for outcome in passed if outcome.criterion == "passport_reminder")


def test_client_not_understanding_russian_allows_the_switch():
    segments = [
        seg(0, "rep", 0.5, "ru", "Здравствуйте, меня зовут Анна, я представитель банка."),
        seg(1, "client", 4.0, "en", "Sorry, I do not understand Russian."),
        seg(2, "rep", 7.0, "en", "Let me confirm the address of our meeting."),
        seg(3, "rep", 12.0, "en", "Please bring your passport."),
    ]
    found, verdict = violations(segments)
    assert found == []
    assert verdict.switch_allowed_at == 4.0


def test_the_permission_counts_in_any_language():
    segments = [
        seg(0, "rep", 0.5, "ru", "Здравствуйте, меня зовут Анна, я представитель банка."),
        seg(1, "client", 4.0, "ru", "Извините, я не понимаю по-русски."),
        seg(2, "rep", 7.0, "en", "Let me confirm the address of our meeting."),
        seg(3, "rep", 12.0, "en", "Please bring your passport."),
    ]
    assert violations(segments)[0] == []


def test_english_before_the_permission_is_still_wrong():
    segments = [
        seg(0, "rep", 0.5, "en", "Hello my name is Anna, I am calling from the bank and about your meeting."),
        seg(1, "client", 4.0, "en", "I do not understand Russian."),
        seg(2, "rep", 7.0, "en", "Let me confirm the address of our meeting."),
        seg(3, "rep", 12.0, "en", "Please bring your passport."),
    ]
    assert "wrong_language" in violations(segments)[0]


def test_english_meeting_expects_english():
    english = [
        seg(0, "rep", 0.5, "en", "Hello, my name is Anna, I am calling from the bank."),
        seg(1, "rep", 5.0, "en", "Let me confirm the address of our meeting."),
        seg(2, "rep", 9.0, "en", "Please bring your passport."),
    ]
    assert violations(english, english_meeting=True)[0] == []
    found, verdict = violations(COMPLIANT_RU, english_meeting=True)
    assert "wrong_language" in found and verdict.expected_language == "en"


def test_a_stray_short_foreign_word_is_not_wrong_language():
    segments = [*COMPLIANT_RU, seg(4, "rep", 16.0, "en", "OK.", probability=0.7)]
    assert violations(segments)[0] == []


def test_criterion_threshold_overrides_the_default():
    body = default_script_body()
    body["criteria"][2]["threshold"] = 100
    strict = load_script(body)
    segments = [*COMPLIANT_RU[:3], seg(3, "rep", 12.0, "ru", "Не забудте паспорд.")]
    verdict = evaluate_call(segments, strict)
    assert [v.criterion for v in verdict.violations] == ["passport_reminder"]


@pytest.mark.parametrize("spoken", [
    "Паспорт обязательно захватите.",
    "Возьмите с собой документ, удостоверяющий личность.",
    "Без паспорта договор оформить не получится, так что приготовьте его.",
    "Пожалуйста, имейте при себе паспорт.",
    "Don't forget your passport, please.",
])
def test_a_reminder_in_other_words_is_a_reminder(spoken):
    """Paraphrases that share at most one content word with the script's examples."""
    language = "en" if spoken.isascii() else "ru"
    found, verdict = violations([*COMPLIANT_RU[:3], seg(3, "rep", 12.0, language, spoken)])
    assert "passport_reminder" not in found
    outcome = next(c for c in verdict.criteria if c.criterion == "passport_reminder")
    assert outcome.passed and outcome.evidence.start_s == 12.0


@pytest.mark.parametrize("spoken, criterion", [
    ("Давайте уточним время встречи.", "address_confirmation"),
    ("Давайте уточним, во сколько встреча.", "address_confirmation"),
    ("Паспорт вам не понадобится.", "passport_reminder"),
    ("Договор у нас уже подписан, паспорт не нужен.", "passport_reminder"),
])
def test_near_misses_are_not_matches(spoken, criterion):
    segments = [seg(0, "rep", 0.5, "ru", "Здравствуйте, меня зовут Анна, я представитель банка."),
                seg(3, "rep", 12.0, "ru", spoken)]
    assert criterion in violations(segments)[0]


def test_address_confirmation_in_other_words():
    segments = [COMPLIANT_RU[0], seg(3, "rep", 12.0, "ru", "Вы по-прежнему на улице Гагарина, всё верно?"),
                COMPLIANT_RU[3]]
    assert violations(segments)[0] == []


def test_a_script_with_an_unknown_concept_is_refused():
    from errors import Invalid

    body = default_script_body()
    body["criteria"][0]["meaning"] = [["greet", "no_such_concept"]]
    with pytest.raises(Invalid) as refused:
        load_script(body)
    assert "criteria[0].meaning" in refused.value.errors


def test_the_client_asking_about_the_passport_on_mono_is_not_a_reminder():
    mono = [Segment(s.index, "unknown", s.start_s, s.end_s, s.language, s.text) for s in COMPLIANT_RU[:3]]
    mono += [Segment(3, "unknown", 12.0, 14.0, "ru", "А паспорт мне нужен?"),
             Segment(4, "unknown", 14.5, 15.5, "ru", "Да, конечно.")]
    assert violations(mono)[0] == ["passport_reminder"]
