"""Speech is kept unless it is clearly not speech; the hint prompt writes no words of its own.

The fast tests drive the transcriber's policy (filters, second listen, hint-only check, which channel
gets the prompt) with a stand-in decoder; the slow ones run the real model on committed calls and
assert rules (every labelled turn kept, no invented utterance, no hint word the client did not say),
never Whisper's exact words, which differ between CPUs.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

from compliance.audio import SAMPLE_RATE, SpeakerTrack
from compliance.pipeline import AnalysisOptions, judge, script_vocabulary, transcription_options
from compliance.scripts import default_script_body, load_script
from compliance.transcribe import (
    EMPTY,
    HINT_ONLY,
    NO_SPEECH,
    REPETITION,
    Decoding,
    TranscriptionOptions,
    TranscriptionTrace,
    Utterance,
    UtteranceTranscriber,
    collapse_repeats,
    crosstalk,
    drop_reason,
    hint_share,
    hint_words,
)
from tests.conftest import CALLS, MODEL_CACHE

SCRIPT = load_script(default_script_body())
VOCABULARY = script_vocabulary(SCRIPT)
HINTS = hint_words(VOCABULARY)
OPTIONS = TranscriptionOptions(languages=("ru", "en"), vocabulary=VOCABULARY)


def decoding(text: str, logprob: float = -0.3, no_speech: float = 0.05, prompted: bool = True,
             language: str = "en") -> Decoding:
    return Decoding(text, language, 0.9, logprob, no_speech, prompted)


# --- the filters ---------------------------------------------------------------------------------

def test_a_decoder_loop_without_punctuation_is_cut_to_one_copy_not_dropped():
    looped = "bring your passport to the meeting bring your passport to th"
    assert collapse_repeats(looped) == "bring your passport to the meeting"
    assert collapse_repeats("Не забудьте паспорт. Не забудьте паспорт.") == "Не забудьте паспорт."
    for speech in ("один два один два три", "Да, да, да.", "Давайте уточним адрес встречи, улица Ленина."):
        assert collapse_repeats(speech) == speech, "speech that merely repeats a word is left alone"


def test_what_each_filter_drops():
    assert drop_reason(decoding(""), OPTIONS) == EMPTY
    assert drop_reason(decoding("Thank you.", logprob=-1.4, no_speech=0.8), OPTIONS) == NO_SPEECH
    assert drop_reason(decoding("Thank you.", logprob=-0.4, no_speech=0.8), OPTIONS) is None, \
        "a confident text is speech whatever the no-speech probability says"
    assert drop_reason(decoding("ла " * 60), OPTIONS) == REPETITION


def test_hint_words_on_weak_audio_are_doubted_and_only_then():
    invented = "Change, address, say, bring."
    assert hint_share(invented, HINTS) >= 0.5
    assert drop_reason(decoding(invented, logprob=-1.2), OPTIONS, HINTS) == HINT_ONLY
    assert drop_reason(decoding(invented, no_speech=0.5), OPTIONS, HINTS) == HINT_ONLY
    assert drop_reason(decoding(invented, logprob=-0.2), OPTIONS, HINTS) is None, "clearly heard: the rep said it"
    assert drop_reason(decoding(invented, logprob=-1.2, prompted=False), OPTIONS, HINTS) is None, \
        "without the prompt the words are the audio's own"
    assert drop_reason(decoding("Yes, that is right, I will be at home.", logprob=-1.2), OPTIONS, HINTS) is None
    assert hint_share("Забудьте паспорта.", HINTS) == 1.0, "word forms of a hint word count"


# --- the policy, with a stand-in decoder ---------------------------------------------------------

class StandIn(UtteranceTranscriber):
    """Answers from tables instead of running Whisper: first pass, second listen, forced scores."""

    def __init__(self, first: dict[float, Decoding], second: dict[float, Decoding],
                 scores: dict[str, float] | None = None):
        self.first, self.second, self.scores = first, second, scores or {}
        self.prompted_calls: list[tuple[str, bool, bool]] = []  # (speaker, prompted, full window)

    def decode(self, utterances, options, prompted, full_window=False):
        table = self.second if full_window else self.first
        self.prompted_calls += [(u.speaker, p, full_window) for u, p in zip(utterances, prompted, strict=True)]
        return [replace_prompted(table[u.start_s], p) for u, p in zip(utterances, prompted, strict=True)]

    def text_logprobs(self, samples, readings, hint=None):
        assert hint is None, "hint-only doubts are settled without the prompt"
        return [self.scores[text] for _, text in readings]


def replace_prompted(item: Decoding, prompted: bool) -> Decoding:
    return Decoding(item.text, item.language, item.language_probability, item.avg_logprob, item.no_speech_prob,
                    prompted and bool(VOCABULARY.get(item.language)), item.full_window)


def utterance(speaker: str, start: float) -> Utterance:
    return Utterance(speaker, start, start + 2.0, np.zeros(2 * SAMPLE_RATE, dtype=np.float32))


def test_the_hint_prompt_goes_to_the_reps_channel_and_mono_but_not_the_clients():
    utterances = [utterance("rep", 0.0), utterance("client", 3.0), utterance("unknown", 6.0)]
    said = {0.0: decoding("Hello, my name is Anna."), 3.0: decoding("Yes, hello."), 6.0: decoding("Yes.")}
    transcriber = StandIn(said, {})
    transcriber.transcribe(utterances, OPTIONS)
    assert transcriber.prompted_calls == [("rep", True, False), ("client", False, False), ("unknown", True, False)]


def test_a_dropped_utterance_gets_a_second_listen_and_is_kept_when_it_is_speech():
    utterances = [utterance("rep", 0.0), utterance("rep", 3.0), utterance("rep", 6.0)]
    first = {0.0: decoding("Hello, my name is Anna."),
             3.0: decoding("", no_speech=0.9),  # the first pass lost a sentence
             6.0: decoding("", no_speech=0.9)}  # and heard line noise
    second = {3.0: decoding("Please bring your passport to the meeting.", prompted=False),
              6.0: decoding("Thank you.", logprob=-1.6, no_speech=0.9, prompted=False)}
    trace = TranscriptionTrace()
    segments = StandIn(first, second).transcribe(utterances, OPTIONS, trace)
    assert [segment.text for segment in segments] == ["Hello, my name is Anna.",
                                                      "Please bring your passport to the meeting."]
    assert [segment.second_listen for segment in segments] == [False, True]
    assert trace.first_drop == [None, EMPTY, EMPTY] and trace.second_drop == {1: None, 2: NO_SPEECH}


def test_a_hint_only_text_is_kept_only_if_the_audio_supports_it_without_the_prompt():
    utterances = [utterance("unknown", 0.0), utterance("unknown", 3.0), utterance("unknown", 6.0)]
    first = {0.0: decoding("Change, address, say, bring.", logprob=-1.3),  # the prompt talking over noise
             3.0: decoding("Bring your passport.", logprob=-0.9),  # said, on a bad line
             6.0: decoding("Passport, confirm.", logprob=-1.5)}  # over silence
    second = {0.0: decoding("Change the dress.", logprob=-0.8, prompted=False),
              3.0: decoding("Bring your pass for it.", logprob=-0.9, prompted=False),
              6.0: decoding("", no_speech=0.9, prompted=False)}
    scores = {"Change, address, say, bring.": -30.0, "Change the dress.": -12.0,
              "Bring your passport.": -10.0, "Bring your pass for it.": -9.0}
    segments = StandIn(first, second, scores).transcribe(utterances, OPTIONS)
    assert [(segment.start_s, segment.text) for segment in segments] == [
        (0.0, "Change the dress."), (3.0, "Bring your passport.")]


def test_the_other_sides_voice_leaking_into_a_stereo_channel_is_not_speech_of_its_own():
    rng = np.random.default_rng(1)
    voice = (0.3 * rng.standard_normal(2 * SAMPLE_RATE)).astype(np.float32)
    rep = SpeakerTrack("rep", voice)
    leaked = Utterance("client", 0.0, 2.0, voice * 10 ** (-30 / 20))
    talking_over = Utterance("client", 0.0, 2.0, (0.1 * rng.standard_normal(2 * SAMPLE_RATE)).astype(np.float32))
    assert crosstalk(leaked, [rep, SpeakerTrack("client", leaked.samples)], 20.0)
    assert not crosstalk(talking_over, [rep, SpeakerTrack("client", talking_over.samples)], 20.0), \
        "the client talking over the rep, 10 dB quieter, is the client's own speech"
    assert not crosstalk(Utterance("rep", 0.0, 2.0, voice), [rep], 20.0)


# --- the alignment check ---------------------------------------------------------------------------

def test_the_alignment_check_scores_without_the_hint_prompt(monkeypatch):
    import compliance.pipeline as pipeline
    from compliance.matcher import Segment

    calls: list[dict] = []

    class Recorder:
        def __init__(self, model):
            pass

        def text_logprob(self, samples, language, text, hint=None):
            calls.append({"hint": hint, "text": text})
            return -10.0

    def revise(segments, samples, script, verdict, logprob, threshold):
        logprob(samples[0], "ru", "Не забудьте паспорт.")
        return list(segments), {}

    monkeypatch.setattr(pipeline, "UtteranceTranscriber", Recorder)
    monkeypatch.setattr(pipeline, "revise_misheard", revise)
    from compliance.transcribe import TranscribedSegment

    transcribed = [TranscribedSegment("rep", 0.0, 2.0, "Не забудьте подпульт.", "ru", 0.9, -0.5,
                                      np.zeros(SAMPLE_RATE, dtype=np.float32))]
    segments, _verdict, _ = judge(transcribed, SCRIPT, AnalysisOptions(), model=None)
    assert isinstance(segments[0], Segment)
    assert calls == [{"hint": None, "text": "Не забудьте паспорт."}]


def test_the_pipeline_hints_the_reps_channel_and_mono_only():
    options = transcription_options(SCRIPT, AnalysisOptions())
    assert "client" not in options.hint_speakers and {"rep", "unknown"} <= set(options.hint_speakers)
    assert options.vocabulary == VOCABULARY and options.second_listen


# --- the real model on committed calls -------------------------------------------------------------

LABELS = json.loads((CALLS / "labels.json").read_text())


@cache
def transcript(name: str):
    from compliance.audio import decode_tracks
    from compliance.model import ModelOptions, load_model
    from compliance.transcribe import transcribe_tracks

    label = LABELS[name]
    analysis = AnalysisOptions(layout=label["layout"], english_meeting=label["english_meeting"],
                               model=ModelOptions(cache_dir=MODEL_CACHE))
    model = load_model(analysis.model)
    tracks, _, _ = decode_tracks(CALLS / name, label["layout"])
    trace = TranscriptionTrace()
    segments = transcribe_tracks(model, tracks, transcription_options(SCRIPT, analysis), trace)
    _, verdict, _ = judge(segments, SCRIPT, analysis, model)
    return tracks, segments, trace, verdict


def channel(label: dict, turn: dict) -> str:
    return "unknown" if label["layout"] == "mono" else turn["speaker"]


def covered_share(turn: dict, spans: list[tuple[float, float]]) -> float:
    inside = sum(max(0.0, min(end, turn["end_s"]) - max(start, turn["start_s"])) for start, end in spans)
    return inside / (turn["end_s"] - turn["start_s"])


KEPT_CALLS = ["english_meeting.mono_noisy.mp3", "compliant_ru.mono_noisy.mp3", "missing_passport_ru.mono_noisy.mp3",
              "compliant_ru.stereo_noisy.wav", "compliant_ru.stereo.ogg", "client_asks_passport_ru.stereo.ogg"]


@pytest.mark.slow
@pytest.mark.parametrize("name", KEPT_CALLS)
def test_every_labelled_turn_is_kept_and_nothing_is_invented(name):
    label = LABELS[name]
    tracks, segments, _trace, _verdict = transcript(name)
    assert all(isinstance(track, SpeakerTrack) for track in tracks)
    for turn in label["turns"]:
        spans = [(s.start_s, s.end_s) for s in segments if s.speaker == channel(label, turn)]
        assert covered_share(turn, spans) >= 0.5, f"lost {turn['text']!r}"
    for segment in segments:
        turns = [turn for turn in label["turns"] if channel(label, turn) == segment.speaker]
        assert any(covered_share(turn, [(segment.start_s, segment.end_s)]) > 0 for turn in turns), \
            f"invented {segment.text!r} at {segment.start_s}"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["client_asks_passport_ru.stereo.ogg", "compliant_ru.stereo_noisy.wav",
                                  "switch_to_english.stereo_noisy.ogg"])
def test_the_clients_channel_gets_no_script_words_the_client_did_not_say(name):
    from compliance.normalize import tokenize

    label = LABELS[name]
    said = {token.text for turn in label["turns"] if turn["speaker"] == "client" for token in tokenize(turn["text"])}
    _tracks, segments, trace, _verdict = transcript(name)
    assert not any(item.prompted for u, item in zip(trace.utterances, trace.first, strict=True)
                   if u.speaker == "client")
    written = {token.text for segment in segments if segment.speaker == "client"
               for token in tokenize(segment.text)}
    assert not (written & HINTS) - said
