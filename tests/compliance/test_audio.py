from __future__ import annotations

import struct
import wave

import numpy as np
import pytest

from compliance.audio import AudioError, decode_tracks, probe
from tests.conftest import CALLS


def write_wav(path, channels: int, seconds: float, rate: int = 8000):
    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(np.zeros(frames * channels, dtype=np.int16).tobytes())
    return path


def test_stereo_splits_into_rep_and_client_by_layout():
    path = CALLS / "compliant_ru.stereo.ogg"
    tracks, info, layout = decode_tracks(path)
    assert layout == "rep-left" and info.channels == 2
    assert [t.speaker for t in tracks] == ["rep", "client"]
    right, _, _ = decode_tracks(path, "rep-right")
    assert np.array_equal(right[0].samples, tracks[1].samples)
    mono, _, layout = decode_tracks(path, "mono")
    assert layout == "mono" and [t.speaker for t in mono] == ["unknown"]


def test_mono_files_are_mono_whatever_is_asked():
    tracks, info, layout = decode_tracks(CALLS / "compliant_ru.mono.flac", "rep-left")
    assert layout == "mono" and info.channels == 1 and tracks[0].speaker == "unknown"
    assert abs(info.duration_s - len(tracks[0].samples) / 16000) < 0.01


@pytest.mark.parametrize("name", ["compliant_ru.rightrep.m4a", "compliant_ru.mono_noisy.mp3",
                                  "compliant_ru.stereo_noisy.wav"])
def test_every_delivered_format_decodes_to_16k(name):
    tracks, info, _ = decode_tracks(CALLS / name)
    assert 20 < info.duration_s < 60
    assert all(track.samples.dtype == np.float32 for track in tracks)


def test_empty_corrupt_and_non_audio_files_are_refused_with_a_reason(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        probe(empty)
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(b"ID3" + bytes(range(256)) * 20)
    with pytest.raises(AudioError):
        decode_tracks(corrupt)
    photo = tmp_path / "photo.ogg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"JFIF" + bytes(2000))
    with pytest.raises(AudioError, match=r"not a readable audio file|no audio track") as refused:
        probe(photo)
    assert str(tmp_path) not in str(refused.value)


def ten_hour_mp3(path):
    """One second of MP3 whose Xing/Info header counts ten hours of frames, as a long recording's would."""
    import av

    with av.open(str(path), "w") as output:
        stream = output.add_stream("libmp3lame", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 16000), dtype=np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            output.mux(packet)
    data = bytearray(path.read_bytes())
    at = data.index(b"Info") + 8  # tag, flags, then the frame count
    data[at:at + 4] = struct.pack(">I", 10 * 3600 * 16000 // 576)  # 576 samples per MPEG-2 layer III frame
    path.write_bytes(bytes(data))
    return path


def test_a_ten_hour_recording_is_refused_before_decoding(tmp_path):
    path = ten_hour_mp3(tmp_path / "long.mp3")
    assert probe(path).duration_s > 9 * 3600
    with pytest.raises(AudioError, match="longer than the 30 min limit"):
        decode_tracks(path, max_seconds=1800)


def test_silence_only_gives_tracks_but_no_speech(tmp_path):
    tracks, info, layout = decode_tracks(write_wav(tmp_path / "silence.wav", 2, 3.0))
    assert layout == "rep-left" and info.duration_s == pytest.approx(3.0, abs=0.05)
    assert all(not track.samples.any() for track in tracks)
