"""Speech to text, one utterance at a time, each with its own language.

faster-whisper detects one language per 30-second window and its segments carry none
(SYSTRAN/faster-whisper#1233), so a call that switches language mid-way is misread. Here each
voice-activity utterance of a speaker's channel is encoded on its own, at its natural length
(CTranslate2's Whisper encoder accepts fewer than 3000 frames), its language is read from that
same encoder output, and it is decoded with that language. Encoding only the speech, and only as
long as it lasts, costs less than plain faster-whisper's padded 30-second windows, so the
per-utterance language comes for free.

Losing an utterance changes a verdict as surely as mis-hearing it (a reminder that was given is
flagged as missing), so speech is kept unless it is clearly not speech
(benchmarks/speech_kept.py measures each step against the known text of synthetic calls):

- voice activity uses a threshold that still hears an 8 kHz phone line under noise;
- on a stereo call, an utterance that is only the other side's voice leaking across (-30 dB line echo)
  is not taken for speech of its own;
- an utterance the decoder drops (empty text, the no-speech/log-prob filter, a repetition loop)
  gets a second listen the way plain faster-whisper hears it: the audio in a full 30-second
  window, no hint prompt; only what fails that too is dropped. A loop the decoder wrote without
  punctuation is cut to one copy rather than dropped;
- the hint prompt (script words, to spell "паспорт" right on a noisy line) is given to the rep's
  channel only: on the client's channel it writes script words into the client's mouth. On a mono
  call it is given too (without it 8 more of the dev corpus's 49 phone calls get a wrong verdict), but an utterance that
  comes out mostly hint words on weak audio ("Hello, calling, represent, address." for a client's
  "Да, правильно") is heard again without the prompt, and the prompted text stays only if the audio,
  scored without the prompt, supports it about as well as the unprompted reading.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from compliance.audio import SAMPLE_RATE, SpeakerTrack

MAX_UTTERANCE_S = 29.0
EDGE_PADDING_S = 0.25
WINDOW_S = 30.0  # Whisper's own input length, as plain faster-whisper pads to it
# Whisper writes few tokens per second of speech; a cap ends the rare repetition loop quickly.
MAX_TOKENS_PER_SECOND = 12
SHORT_UTTERANCE_S = 1.6
MIN_UTTERANCE_S = 0.2

CYRILLIC_LANGUAGES = {"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn", "tt", "ba"}
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)

# Reasons an utterance's text is not kept (Decoding.drop_reason).
EMPTY, NO_SPEECH, REPETITION, HINT_ONLY = "empty", "no_speech", "repetition", "hint_only"


@dataclass(frozen=True)
class TranscriptionOptions:
    beam_size: int = 5
    batch_size: int = 8
    languages: tuple[str, ...] = ()  # restrict detection to these (the script's); empty: any
    # Per language, words the calls are about (the script's phrases): a prompt that helps Whisper
    # spell "паспорт" right on a noisy line.
    vocabulary: dict[str, str] = field(default_factory=dict)
    # The channels whose utterances get that prompt ("unknown": a mono call's single channel).
    hint_speakers: tuple[str, ...] = ("rep", "unknown")
    # Silero's speech probability sags on an 8 kHz line under noise (on the dev corpus's phone calls half of
    # the speech frames are under 0.5, while the silences stay under 0.05): 0.25 keeps 97% of the turns
    # that 0.5 kept 74% of, and on clean audio it changes nothing (benchmarks/speech_kept.py).
    vad_threshold: float = 0.25
    min_silence_ms: int = 400
    speech_pad_ms: int = 200
    # Stereo: an utterance this many dB quieter than the other channel over the same span is that
    # channel's voice leaking across, not speech of its own (0: keep everything).
    crosstalk_db: float = 20.0
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.8
    # A dropped utterance is heard again in a full window without the prompt (see the module doc).
    second_listen: bool = True
    # A prompted utterance whose words are mostly hint words, on audio this weak, is heard again unprompted,
    # and its prompted text is kept if the audio, scored without the prompt, finds it at most
    # hint_support_margin nats less likely than the unprompted reading. On the dev corpus's phone calls
    # this halves the hint words written where nobody said them and removes 7 of 36 false flags; laxer
    # gates (log-prob -1.0, no-speech 0.5) remove 4.
    hint_only_share: float = 0.5
    hint_only_logprob: float = -0.6
    hint_only_no_speech: float = 0.3
    hint_support_margin: float = 4.0
    # A decoding this unsure (mean token log-probability) is tried in the script's other languages, and
    # replaced when another reads the audio this much likelier (see _decode_batch).
    retry_language_logprob: float = -0.7
    retry_language_margin: float = 0.1


@dataclass
class Utterance:
    speaker: str
    start_s: float
    end_s: float
    samples: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Decoding:
    """What the decoder wrote for one utterance, with the numbers the filters look at."""

    text: str
    language: str
    language_probability: float
    avg_logprob: float
    no_speech_prob: float
    prompted: bool = False
    full_window: bool = False

    @property
    def compression_ratio(self) -> float:
        return _compression_ratio(self.text)


@dataclass(frozen=True)
class TranscribedSegment:
    speaker: str
    start_s: float
    end_s: float
    text: str
    language: str
    language_probability: float
    avg_logprob: float
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)  # the utterance's audio
    no_speech_prob: float = 0.0
    second_listen: bool = False  # kept by the second listen, after the first pass dropped or doubted it


@dataclass
class TranscriptionTrace:
    """What each step kept, for benchmarks/speech_kept.py: filled in when passed to transcribe_tracks."""

    utterances: list[Utterance] = field(default_factory=list)
    first: list[Decoding] = field(default_factory=list)  # first pass, one per utterance
    first_drop: list[str | None] = field(default_factory=list)
    second: dict[int, Decoding] = field(default_factory=dict)  # utterance index -> second listen
    second_drop: dict[int, str | None] = field(default_factory=dict)
    # utterance index -> log-probability of the prompted text minus the unprompted one (hint-only doubts)
    hint_support: dict[int, float] = field(default_factory=dict)
    crosstalk: list[Utterance] = field(default_factory=list)  # stereo: dropped as the other side's voice


def speech_spans(track: SpeakerTrack, options: TranscriptionOptions) -> list[tuple[int, int]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        threshold=options.vad_threshold,
        min_silence_duration_ms=options.min_silence_ms,
        speech_pad_ms=options.speech_pad_ms,
        max_speech_duration_s=MAX_UTTERANCE_S,
    )
    spans = get_speech_timestamps(track.samples, vad, sampling_rate=SAMPLE_RATE)
    return [(span["start"], span["end"]) for span in spans]


def find_utterances(track: SpeakerTrack, options: TranscriptionOptions) -> list[Utterance]:
    utterances = []
    for start, end in speech_spans(track, options):
        samples = track.samples[start:end]
        if len(samples) < SAMPLE_RATE * MIN_UTTERANCE_S:
            continue
        utterances.append(Utterance(track.speaker, start / SAMPLE_RATE, end / SAMPLE_RATE, samples))
    return utterances


def text_script_language(text: str, candidates: tuple[str, ...]) -> str | None:
    """For a Cyrillic/Latin pair of languages the letters tell which one the recogniser wrote."""
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic + latin < 4:
        return None
    wants_cyrillic = cyrillic > 3 * latin
    wants_latin = latin > 3 * cyrillic
    matching = [
        lang for lang in candidates
        if (wants_cyrillic and lang in CYRILLIC_LANGUAGES) or (wants_latin and lang not in CYRILLIC_LANGUAGES)
    ]
    return matching[0] if len(matching) == 1 else None


_SENTENCE = re.compile(r"[^.!?…]+[.!?…]*")


def collapse_repeats(text: str) -> str:
    """Drop the sentence loops a short utterance sometimes makes Whisper write ("Да. Да. Да.")."""
    sentences = [part.strip() for part in _SENTENCE.findall(text) if part.strip()]
    kept: list[str] = []
    for sentence in sentences:
        key = re.sub(r"\W+", " ", sentence.lower()).strip()
        previous = re.sub(r"\W+", " ", kept[-1].lower()).strip() if kept else None
        if previous is not None and (key == previous or (previous.startswith(key) and sentence is sentences[-1])):
            continue  # a repeat, or a repeat cut off by the length limit
        kept.append(sentence)
    return _cut_word_loop(" ".join(kept))


def _cut_word_loop(text: str) -> str:
    """Cut a phrase the decoder repeats without punctuation until the length limit
    ("bring your passport to the meeting bring your passport to th") down to one copy."""
    words = text.split()
    keys = [re.sub(r"\W+", "", word.lower()) for word in words]
    for period in range(2, len(words) - 1):
        for start in range(len(words) - period - 1):
            cycle = keys[start:start + period]
            rest = keys[start + period:]
            last = len(rest) - 1
            if len(rest) >= 2 and all(key == cycle[offset % period] or (offset == last and cycle[offset % period]
                                                                        .startswith(key))
                                      for offset, key in enumerate(rest)):
                return " ".join(words[:start + period])
    return text


def _language_shares(probabilities: list[tuple[str, float]], allowed: tuple[str, ...]) -> list[tuple[str, float]]:
    """Each language's probability; with `allowed`, only those, as shares of their sum."""
    scores = {token[2:-2]: probability for token, probability in probabilities}
    if not allowed:
        return list(scores.items())
    subset = {lang: scores.get(lang, 0.0) for lang in allowed}
    total = sum(subset.values()) or 1.0
    return [(lang, probability / total) for lang, probability in subset.items()]


def _choose_language(probabilities: list[tuple[str, float]], allowed: tuple[str, ...]) -> tuple[str, float]:
    return max(_language_shares(probabilities, allowed), key=lambda item: item[1])


def _compression_ratio(text: str) -> float:
    data = text.encode()
    return len(data) / max(1, len(zlib.compress(data)))


def hint_words(vocabulary: dict[str, str]) -> set[str]:
    return {word for hint in vocabulary.values() for word in _WORDS.findall(hint.lower())}


def hint_share(text: str, hints: Collection[str]) -> float:
    """The share of the text's words that are hint words, or begin like one ("паспорта" ~ "паспорт")."""
    words = _WORDS.findall(text.lower().replace("ё", "е"))
    if not words or not hints:
        return 0.0

    def is_hint(word: str) -> bool:
        return word in hints or (len(word) >= 4 and any(hint[:4] == word[:4] for hint in hints))

    return sum(1 for word in words if is_hint(word)) / len(words)


def drop_reason(decoding: Decoding, options: TranscriptionOptions, hints: Collection[str] = ()) -> str | None:
    """Why this text is not kept as speech, or None to keep it."""
    if not decoding.text:
        return EMPTY
    if decoding.no_speech_prob > options.no_speech_threshold and decoding.avg_logprob < options.log_prob_threshold:
        return NO_SPEECH
    if decoding.compression_ratio > options.compression_ratio_threshold:
        return REPETITION
    if decoding.prompted and hints and hint_share(decoding.text, hints) >= options.hint_only_share and (
            decoding.avg_logprob < options.hint_only_logprob or decoding.no_speech_prob > options.hint_only_no_speech):
        return HINT_ONLY
    return None


class UtteranceTranscriber:
    """Batches utterances of similar length, encodes each batch once, detects language and decodes."""

    def __init__(self, whisper_model):
        from faster_whisper.tokenizer import Tokenizer

        self.model = whisper_model
        self.tokenizer = Tokenizer(
            whisper_model.hf_tokenizer, whisper_model.model.is_multilingual, task="transcribe", language="en"
        )

    def _prompt(self, language: str, hint: str | None = None) -> list[int]:
        tokenizer = self.tokenizer
        language_token = tokenizer.tokenizer.token_to_id(f"<|{language}|>")
        prompt = [tokenizer.sot, language_token, tokenizer.transcribe, tokenizer.no_timestamps]
        if hint:
            previous = tokenizer.encode(" " + hint)[-(self.model.max_length // 2 - 1):]
            prompt = [tokenizer.sot_prev, *previous, *prompt]
        return prompt

    def _features(self, batch: Sequence[Utterance], full_window: bool = False) -> np.ndarray:
        pad = int(EDGE_PADDING_S * SAMPLE_RATE)
        longest = max(len(utterance.samples) for utterance in batch) + 2 * pad
        if full_window:
            longest = max(longest, int(WINDOW_S * SAMPLE_RATE))
        padded = []
        for utterance in batch:
            audio = np.zeros(longest, dtype=np.float32)
            audio[pad:pad + len(utterance.samples)] = utterance.samples
            padded.append(audio)
        features = [self.model.feature_extractor(audio)[..., :-1] for audio in padded]
        frames = max(feature.shape[-1] for feature in features)
        frames += frames % 2  # the encoder halves the frame count
        if full_window:
            frames = min(frames, self.model.feature_extractor.nb_max_frames)
        return np.stack([np.pad(f, ((0, 0), (0, frames - f.shape[-1])), mode="edge")[..., :frames]
                         for f in features])

    def _encode(self, batch: Sequence[Utterance], full_window: bool = False):
        """Encoder output kept on the host, so a batch can be split by language for decoding."""
        from faster_whisper.transcribe import get_ctranslate2_storage

        features = get_ctranslate2_storage(self._features(batch, full_window))
        return np.asarray(self.model.model.encode(features, to_cpu=True))

    def decode(self, utterances: Sequence[Utterance], options: TranscriptionOptions,
               prompted: Sequence[bool], full_window: bool = False) -> list[Decoding]:
        """One Decoding per utterance, in order; batches of similar length share one encoder call."""
        order = sorted(range(len(utterances)), key=lambda index: len(utterances[index].samples))
        results: dict[int, Decoding] = {}
        step = max(1, options.batch_size)
        for batch_start in range(0, len(order), step):
            indices = order[batch_start:batch_start + step]
            decoded = self._decode_batch([utterances[index] for index in indices], options,
                                         [prompted[index] for index in indices], full_window)
            results.update(zip(indices, decoded, strict=True))
        return [results[index] for index in range(len(utterances))]

    def _decode_batch(self, batch: list[Utterance], options: TranscriptionOptions, prompted: list[bool],
                      full_window: bool) -> list[Decoding]:
        import ctranslate2

        encoded = self._encode(batch, full_window)
        detections = self.model.model.detect_language(ctranslate2.StorageView.from_array(encoded))
        languages = [_choose_language(probabilities, options.languages) for probabilities in detections]
        longest_s = max(len(utterance.samples) for utterance in batch) / SAMPLE_RATE
        hinted = [prompted[position] and bool(options.vocabulary.get(language))
                  for position, (language, _) in enumerate(languages)]
        results = self._generate(encoded, languages, hinted, options, longest_s, full_window)
        # The language detector sometimes names the wrong one of the script's languages for an accented or
        # muffled voice, and the words then come out as gibberish in it ("Sobelidium, Minasavutan" for
        # "Добрый день, меня зовут"). An unsure decoding is tried in the other languages; the likelier
        # reading of the audio is kept.
        others = [(position, language) for position, decoding in enumerate(results)
                  if decoding.avg_logprob < options.retry_language_logprob
                  for language in options.languages if language != decoding.language]
        if others:
            probabilities = [dict(_language_shares(detection, options.languages)) for detection in detections]
            retried = self._generate(
                encoded[[position for position, _ in others]],
                [(language, probabilities[position].get(language, 0.0)) for position, language in others],
                [prompted[position] and bool(options.vocabulary.get(language)) for position, language in others],
                options, longest_s, full_window)
            for (position, _), decoding in zip(others, retried, strict=True):
                margin = decoding.avg_logprob - results[position].avg_logprob
                if decoding.text and margin > options.retry_language_margin:
                    results[position] = decoding
        return results

    def _generate(self, encoded: np.ndarray, languages: Sequence[tuple[str, float]], hinted: Sequence[bool],
                  options: TranscriptionOptions, longest_s: float, full_window: bool) -> list[Decoding]:
        """Decode each encoded utterance in its given language, with or without the hint prompt."""
        import ctranslate2

        results: list[Decoding | None] = [None] * len(languages)
        # One decoding call per language and prompt: each gets its own full prompt, whatever the batch holds.
        for language, with_hint in sorted({(language, hinted[position]) for position, (language, _) in
                                           enumerate(languages)}):
            members = [position for position, (found, _) in enumerate(languages)
                       if found == language and hinted[position] == with_hint]
            prompt = self._prompt(language, options.vocabulary.get(language) if with_hint else None)
            outputs = self.model.model.generate(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded[members])),
                [prompt] * len(members),
                beam_size=options.beam_size,
                max_length=min(self.model.max_length, len(prompt) + int(10 + MAX_TOKENS_PER_SECOND * longest_s)),
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=[-1],
            )
            for position, output in zip(members, outputs, strict=True):
                tokens = [token for token in output.sequences_ids[0] if token < self.tokenizer.eot]
                results[position] = Decoding(
                    text=collapse_repeats(self.tokenizer.decode(tokens).strip()),
                    language=language,
                    language_probability=languages[position][1],
                    avg_logprob=output.scores[0] if output.scores else 0.0,
                    no_speech_prob=output.no_speech_prob,
                    prompted=with_hint,
                    full_window=full_window,
                )
        return [result for result in results if result is not None]

    def transcribe(self, utterances: list[Utterance], options: TranscriptionOptions,
                   trace: TranscriptionTrace | None = None) -> list[TranscribedSegment]:
        hints = hint_words(options.vocabulary)
        prompted = [utterance.speaker in options.hint_speakers for utterance in utterances]
        first = self.decode(utterances, options, prompted)
        reasons = [drop_reason(decoding, options, hints) for decoding in first]
        chosen: dict[int, tuple[Decoding, bool]] = {
            index: (decoding, False) for index, decoding in enumerate(first) if reasons[index] is None}
        second: dict[int, Decoding] = {}
        second_reasons: dict[int, str | None] = {}
        support: dict[int, float] = {}
        again = [index for index, reason in enumerate(reasons) if reason is not None]
        if options.second_listen and again:
            heard = self.decode([utterances[index] for index in again], options, [False] * len(again),
                                full_window=True)
            for index, decoding in zip(again, heard, strict=True):
                second[index] = decoding
                second_reasons[index] = drop_reason(decoding, options, hints)
                if reasons[index] == HINT_ONLY and second_reasons[index] is None:
                    # Both readings, scored on the audio without the prompt: a script word that was said
                    # holds up ("И не забудьте паспорт" vs "и забудьте спать"), one the prompt wrote does not.
                    prompted_text, plain_text = self.text_logprobs(
                        utterances[index].samples, [(first[index].language, first[index].text),
                                                    (decoding.language, decoding.text)])
                    support[index] = prompted_text - plain_text
                    if support[index] >= -options.hint_support_margin:
                        chosen[index] = (first[index], True)
                        continue
                if second_reasons[index] is None:
                    chosen[index] = (decoding, True)
        if trace is not None:
            trace.utterances, trace.first, trace.first_drop = list(utterances), first, reasons
            trace.second, trace.second_drop, trace.hint_support = second, second_reasons, support
        segments = [
            TranscribedSegment(
                speaker=utterances[index].speaker,
                start_s=round(utterances[index].start_s, 2),
                end_s=round(utterances[index].end_s, 2),
                text=decoding.text,
                language=decoding.language,
                language_probability=round(decoding.language_probability, 3),
                avg_logprob=round(decoding.avg_logprob, 3),
                samples=utterances[index].samples,
                no_speech_prob=round(decoding.no_speech_prob, 3),
                second_listen=listened_again,
            )
            for index, (decoding, listened_again) in sorted(chosen.items())
        ]
        return _settle_languages(segments, options)

    def text_logprob(self, samples: np.ndarray, language: str, text: str, hint: str | None = None) -> float:
        """How likely the model finds `text` for this audio (sum of token log-probabilities, forced).

        Scored without the hint prompt unless one is given: the prompt makes every script word likelier,
        the ones never said included, and so narrows the gap the alignment check relies on."""
        return self.text_logprobs(samples, [(language, text)], hint)[0]

    def text_logprobs(self, samples: np.ndarray, readings: Sequence[tuple[str, str]],
                      hint: str | None = None) -> list[float]:
        """text_logprob of several (language, text) readings of the same audio, encoded once."""
        import ctranslate2

        utterance = Utterance("unknown", 0.0, len(samples) / SAMPLE_RATE, samples)
        encoded = self._encode([utterance])
        scores: list[float] = [0.0] * len(readings)
        for language in sorted({language for language, _ in readings}):  # one start sequence per align call
            members = [index for index, (found, _) in enumerate(readings) if found == language]
            results = self.model.model.align(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(encoded, len(members), axis=0))),
                self._prompt(language, hint),
                [self.tokenizer.encode(" " + readings[index][1].strip()) for index in members],
                [encoded.shape[1] * 2] * len(members),
            )
            for index, result in zip(members, results, strict=True):
                probabilities = np.maximum(np.asarray(result.text_token_probs, dtype=np.float64), 1e-12)
                scores[index] = float(np.log(probabilities).sum())
        return scores


def _settle_languages(segments: list[TranscribedSegment], options: TranscriptionOptions) -> list[TranscribedSegment]:
    """Correct the language of segments whose letters contradict it, and of unsure short ones."""
    candidates = options.languages
    settled: list[TranscribedSegment] = []
    previous_by_speaker: dict[str, str] = {}
    for segment in segments:
        language, probability = segment.language, segment.language_probability
        by_script = text_script_language(segment.text, candidates) if len(candidates) > 1 else None
        if by_script and by_script != language:
            language, probability = by_script, 0.5
        elif probability < 0.6 and segment.end_s - segment.start_s < SHORT_UTTERANCE_S:
            language = previous_by_speaker.get(segment.speaker, language)
        previous_by_speaker[segment.speaker] = language
        settled.append(replace(segment, language=language, language_probability=probability))
    return settled


def crosstalk(utterance: Utterance, tracks: Sequence[SpeakerTrack], margin_db: float) -> bool:
    """The utterance is the other side's voice leaking into this channel (line echo, a shared mixer):
    the other channel is more than margin_db louder over the same span. Speech over speech (the client
    talking over the rep) is on both channels at its own level and stays."""
    start, end = int(utterance.start_s * SAMPLE_RATE), int(utterance.end_s * SAMPLE_RATE)
    own = float(np.sqrt(np.mean(np.square(utterance.samples, dtype=np.float64)))) if len(utterance.samples) else 0.0
    for track in tracks:
        if track.speaker == utterance.speaker or not len(track.samples[start:end]):
            continue
        other = float(np.sqrt(np.mean(np.square(track.samples[start:end], dtype=np.float64))))
        if other > 0 and 20 * np.log10(max(own, 1e-9) / other) < -margin_db:
            return True
    return False


def transcribe_tracks(whisper_model, tracks: list[SpeakerTrack], options: TranscriptionOptions,
                      trace: TranscriptionTrace | None = None) -> list[TranscribedSegment]:
    utterances = [utterance for track in tracks for utterance in find_utterances(track, options)]
    if len(tracks) > 1 and options.crosstalk_db:
        leaked = [u for u in utterances if crosstalk(u, tracks, options.crosstalk_db)]
        if trace is not None:
            trace.crosstalk = leaked
        utterances = [u for u in utterances if not any(u is other for other in leaked)]
    utterances.sort(key=lambda utterance: (utterance.start_s, utterance.speaker))
    if not utterances:
        if trace is not None:
            trace.utterances = []
        return []
    segments = UtteranceTranscriber(whisper_model).transcribe(utterances, options, trace)
    return sorted(segments, key=lambda segment: (segment.start_s, segment.speaker))
