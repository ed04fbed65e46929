"""Speech to text, one utterance at a time, each with its own language.

faster-whisper detects one language per 30-second window and its segments carry none
(SYSTRAN/faster-whisper#1233), so a call that switches language mid-way is misread. Here each
voice-activity utterance of a speaker's channel is encoded on its own, at its natural length
(CTranslate2's Whisper encoder accepts fewer than 3000 frames), its language is read from that
same encoder output, and it is decoded with that language. Encoding only the speech, and only as
long as it lasts, costs less than plain faster-whisper's padded 30-second windows, so the
per-utterance language comes for free.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

import numpy as np

from compliance.audio import SAMPLE_RATE, SpeakerTrack

MAX_UTTERANCE_S = 29.0
EDGE_PADDING_S = 0.25
# Whisper writes few tokens per second of speech; a cap ends the rare repetition loop quickly.
MAX_TOKENS_PER_SECOND = 12
SHORT_UTTERANCE_S = 1.6

CYRILLIC_LANGUAGES = {"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn", "tt", "ba"}
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class TranscriptionOptions:
    beam_size: int = 5
    batch_size: int = 8
    languages: tuple[str, ...] = ()  # restrict detection to these (the script's); empty: any
    # Per language, words the calls are about (the script's phrases): a prompt that helps Whisper
    # spell "паспорт" right on a noisy line.
    vocabulary: dict[str, str] = field(default_factory=dict)
    vad_threshold: float = 0.5
    min_silence_ms: int = 400
    speech_pad_ms: int = 200
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0


@dataclass
class Utterance:
    speaker: str
    start_s: float
    end_s: float
    samples: np.ndarray = field(repr=False)


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


def find_utterances(track: SpeakerTrack, options: TranscriptionOptions) -> list[Utterance]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        threshold=options.vad_threshold,
        min_silence_duration_ms=options.min_silence_ms,
        speech_pad_ms=options.speech_pad_ms,
        max_speech_duration_s=MAX_UTTERANCE_S,
    )
    utterances = []
    for span in get_speech_timestamps(track.samples, vad, sampling_rate=SAMPLE_RATE):
        samples = track.samples[span["start"]:span["end"]]
        if len(samples) < SAMPLE_RATE * 0.2:
            continue
        utterances.append(Utterance(track.speaker, span["start"] / SAMPLE_RATE, span["end"] / SAMPLE_RATE, samples))
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
    return " ".join(kept)


def _choose_language(probabilities: list[tuple[str, float]], allowed: tuple[str, ...]) -> tuple[str, float]:
    scores = {token[2:-2]: probability for token, probability in probabilities}
    if allowed:
        subset = {lang: scores.get(lang, 0.0) for lang in allowed}
        total = sum(subset.values()) or 1.0
        best = max(subset, key=subset.__getitem__)
        return best, subset[best] / total
    best = max(scores, key=scores.__getitem__)
    return best, scores[best]


def _compression_ratio(text: str) -> float:
    data = text.encode()
    return len(data) / max(1, len(zlib.compress(data)))


class UtteranceTranscriber:
    """Batches utterances of similar length, encodes each batch once, detects language and decodes."""

    def __init__(self, whisper_model):
        from faster_whisper.tokenizer import Tokenizer

        self.model = whisper_model
        self.tokenizer = Tokenizer(
            whisper_model.hf_tokenizer, whisper_model.model.is_multilingual, task="transcribe", language="en"
        )

    def _prompt(self, language: str, vocabulary: dict[str, str]) -> list[int]:
        tokenizer = self.tokenizer
        language_token = tokenizer.tokenizer.token_to_id(f"<|{language}|>")
        prompt = [tokenizer.sot, language_token, tokenizer.transcribe, tokenizer.no_timestamps]
        hint = vocabulary.get(language)
        if hint:
            previous = tokenizer.encode(" " + hint)[-(self.model.max_length // 2 - 1):]
            prompt = [tokenizer.sot_prev, *previous, *prompt]
        return prompt

    def _features(self, batch: list[Utterance]) -> np.ndarray:
        pad = int(EDGE_PADDING_S * SAMPLE_RATE)
        longest = max(len(utterance.samples) for utterance in batch) + 2 * pad
        padded = []
        for utterance in batch:
            audio = np.zeros(longest, dtype=np.float32)
            audio[pad:pad + len(utterance.samples)] = utterance.samples
            padded.append(audio)
        features = [self.model.feature_extractor(audio)[..., :-1] for audio in padded]
        frames = max(feature.shape[-1] for feature in features)
        frames += frames % 2  # the encoder halves the frame count
        return np.stack([np.pad(f, ((0, 0), (0, frames - f.shape[-1])), mode="edge") for f in features])

    def _encode(self, batch: list[Utterance]):
        """Encoder output kept on the host, so a batch can be split by language for decoding."""
        from faster_whisper.transcribe import get_ctranslate2_storage

        features = get_ctranslate2_storage(self._features(batch))
        return np.asarray(self.model.model.encode(features, to_cpu=True))

    def transcribe(self, utterances: list[Utterance], options: TranscriptionOptions) -> list[TranscribedSegment]:
        order = sorted(range(len(utterances)), key=lambda index: len(utterances[index].samples))
        results: dict[int, TranscribedSegment] = {}
        step = max(1, options.batch_size)
        for batch_start in range(0, len(order), step):
            indices = order[batch_start:batch_start + step]
            batch = [utterances[index] for index in indices]
            results.update(self.transcribe_batch(batch, indices, options))
        segments = [results[index] for index in sorted(results)]
        return _settle_languages(segments, options)

    def transcribe_batch(self, batch: list[Utterance], indices: list[int],
                         options: TranscriptionOptions) -> dict[int, TranscribedSegment]:
        import ctranslate2

        results: dict[int, TranscribedSegment] = {}
        encoded = self._encode(batch)
        detections = self.model.model.detect_language(ctranslate2.StorageView.from_array(encoded))
        languages = [_choose_language(probabilities, options.languages) for probabilities in detections]
        longest_s = max(len(utterance.samples) for utterance in batch) / SAMPLE_RATE
        # One decoding call per language: each gets its own full prompt, whatever the batch holds.
        for language in sorted({language for language, _ in languages}):
            members = [position for position, (found, _) in enumerate(languages) if found == language]
            prompt = self._prompt(language, options.vocabulary)
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
                segment = self._segment(batch[position], language, languages[position][1], output, options)
                if segment is not None:
                    results[indices[position]] = segment
        return results

    def _segment(self, utterance: Utterance, language: str, probability: float, output,
                 options: TranscriptionOptions) -> TranscribedSegment | None:
        tokens = [token for token in output.sequences_ids[0] if token < self.tokenizer.eot]
        text = collapse_repeats(self.tokenizer.decode(tokens).strip())
        avg_logprob = output.scores[0] if output.scores else 0.0
        if not text:
            return None
        if output.no_speech_prob > options.no_speech_threshold and avg_logprob < options.log_prob_threshold:
            return None
        if _compression_ratio(text) > 2.8:  # a repetition loop, not speech
            return None
        return TranscribedSegment(
            speaker=utterance.speaker,
            start_s=round(utterance.start_s, 2),
            end_s=round(utterance.end_s, 2),
            text=text,
            language=language,
            language_probability=round(probability, 3),
            avg_logprob=round(avg_logprob, 3),
            samples=utterance.samples,
        )

    def text_logprob(self, samples: np.ndarray, language: str, text: str, vocabulary: dict[str, str]) -> float:
        """How likely the model finds `text` for this audio (sum of token log-probabilities, forced)."""
        import ctranslate2

        utterance = Utterance("unknown", 0.0, len(samples) / SAMPLE_RATE, samples)
        encoded = self._encode([utterance])
        tokens = self.tokenizer.encode(" " + text.strip())
        result = self.model.model.align(ctranslate2.StorageView.from_array(encoded),
                                        self._prompt(language, vocabulary), [tokens], encoded.shape[1] * 2)
        probabilities = np.maximum(np.asarray(result[0].text_token_probs, dtype=np.float64), 1e-12)
        return float(np.log(probabilities).sum())


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
        settled.append(
            TranscribedSegment(segment.speaker, segment.start_s, segment.end_s, segment.text, language,
                               probability, segment.avg_logprob, segment.samples)
        )
    return settled


def transcribe_tracks(whisper_model, tracks: list[SpeakerTrack],
                      options: TranscriptionOptions) -> list[TranscribedSegment]:
    utterances = [utterance for track in tracks for utterance in find_utterances(track, options)]
    utterances.sort(key=lambda utterance: (utterance.start_s, utterance.speaker))
    if not utterances:
        return []
    segments = UtteranceTranscriber(whisper_model).transcribe(utterances, options)
    return sorted(segments, key=lambda segment: (segment.start_s, segment.speaker))
