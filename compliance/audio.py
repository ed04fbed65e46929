"""Probe and decode a recording into 16 kHz mono float32 channels, one per speaker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
LAYOUTS = ("rep-left", "rep-right", "mono")
ACCEPTED_EXTENSIONS = (
    ".wav", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".oga", ".opus", ".flac", ".webm", ".3gp", ".amr",
)


class AudioError(ValueError):
    """The file cannot be used as a call recording; the message says why, for a person."""


@dataclass(frozen=True)
class AudioInfo:
    channels: int
    duration_s: float
    codec: str
    sample_rate: int


@dataclass(frozen=True)
class SpeakerTrack:
    speaker: str  # rep | client | unknown
    samples: np.ndarray  # float32, 16 kHz


def probe(path: str | Path) -> AudioInfo:
    """Read the container header only; raises AudioError for anything that is not usable audio."""
    import av

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError("the file is empty")
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError("the file has no audio track")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            else:
                duration = 0.0
            return AudioInfo(
                channels=stream.channels or 1,
                duration_s=duration,
                codec=stream.codec_context.name,
                sample_rate=stream.rate or 0,
            )
    except AudioError:
        raise
    except Exception as exc:  # PyAV raises many error types for broken input
        raise AudioError(f"not a readable audio file ({_reason(exc, path)})") from exc


def _reason(exc: Exception, path: str | Path) -> str:
    """The decoder's complaint, without file paths or errno noise."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    text = text.replace(str(path), "").replace("\n", " ").strip(" :'\"")
    return text[:200].lower() or "unknown decoder error"


def effective_layout(requested: str | None, channels: int) -> str:
    if requested is not None and requested not in LAYOUTS:
        raise AudioError(f"unknown channel layout {requested!r}; use one of {', '.join(LAYOUTS)}")
    if channels < 2:
        return "mono"
    return requested or "rep-left"


def decode_tracks(path: str | Path, layout: str | None = None,
                  max_seconds: float | None = None) -> tuple[list[SpeakerTrack], AudioInfo, str]:
    """Decode to per-speaker 16 kHz tracks. Stereo: one per channel; mono (or layout mono): one `unknown`."""
    from faster_whisper.audio import decode_audio

    info = probe(path)
    if max_seconds and info.duration_s > max_seconds:
        raise AudioError(
            f"the recording lasts {info.duration_s / 60:.1f} min, longer than the {max_seconds / 60:.0f} min limit "
            "for a reminder call; upload the call alone"
        )
    layout = effective_layout(layout, info.channels)
    try:
        if info.channels >= 2 and layout != "mono":
            left, right = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=True)
            rep, client = (left, right) if layout == "rep-left" else (right, left)
            tracks = [SpeakerTrack("rep", rep), SpeakerTrack("client", client)]
        else:
            tracks = [SpeakerTrack("unknown", decode_audio(str(path), sampling_rate=SAMPLE_RATE))]
    except Exception as exc:
        raise AudioError(f"the audio could not be decoded ({_reason(exc, path)})") from exc
    duration = max(len(track.samples) for track in tracks) / SAMPLE_RATE
    if duration < 0.1:
        raise AudioError("the recording holds no audio (0 seconds after decoding)")
    if max_seconds and duration > max_seconds:
        raise AudioError(
            f"the recording lasts {duration / 60:.1f} min, longer than the {max_seconds / 60:.0f} min limit")
    info = AudioInfo(info.channels, duration, info.codec, info.sample_rate)
    return tracks, info, layout
