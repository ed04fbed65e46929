"""The second listen for a required phrase's one mis-heard word."""

from __future__ import annotations

from compliance.matcher import Segment, evaluate_call
from compliance.scripts import default_script_body, load_script
from compliance.verify import candidate_texts, revise_misheard

SCRIPT = load_script(default_script_body())


def test_the_missing_word_replaces_the_heard_words_that_resemble_it():
    candidates = candidate_texts("не забудьте паспорт", "И не забудьте, пожалуйста, ваш подпинт.")
    assert ("подпинт", "И не забудьте, пожалуйста, ваш паспорт.") in candidates
    assert len(candidates) <= 2, "at most the two closest words are tried"
    assert ("подпульт", "вам понадобится, ваш паспорт.") in candidate_texts("понадобится паспорт",
                                                                          "вам понадобится, ваш подпульт.")


def test_no_candidate_when_more_than_one_word_is_missing():
    assert candidate_texts("не забудьте паспорт", "Хорошая погода на улице.") == []


def segments_with(text):
    return [
        Segment(0, "rep", 0.5, 4.0, "ru", "Здравствуйте, меня зовут Анна, я представитель банка."),
        Segment(1, "rep", 5.0, 9.0, "ru", "Давайте уточним адрес встречи."),
        Segment(2, "rep", 10.0, 13.0, "ru", text),
    ]


def test_a_candidate_is_taken_only_if_the_model_finds_it_nearly_as_likely():
    segments = segments_with("Не забудьте, пожалуйста, ваш подпульт.")
    verdict = evaluate_call(segments, SCRIPT)
    assert [v.criterion for v in verdict.violations] == ["passport_reminder"]
    audio = {index: object() for index in range(3)}

    spoken = "Не забудьте, пожалуйста, ваш паспорт."

    def likely(samples, language, text):  # the model: what was said fits about as well as what it wrote
        return -4.0 if text in (spoken, segments[2].text) else -20.0

    fixed, heard = revise_misheard(segments, audio, SCRIPT, verdict, likely, 75)
    assert heard == {2: "подпульт"} and "паспорт" in fixed[2].text
    assert evaluate_call(fixed, SCRIPT).violations == ()

    def never_said(samples, language, text):  # "паспорт" does not fit the audio at all
        return -20.0 if "паспорт" in text else -4.0

    kept, heard = revise_misheard(segments, audio, SCRIPT, verdict, never_said, 75)
    assert heard == {} and kept[2].text == segments[2].text
