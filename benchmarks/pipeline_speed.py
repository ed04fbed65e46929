"""Wall time of `fieldrep analyze`'s pipeline against plain faster-whisper on the same channels.

    python benchmarks/pipeline_speed.py [FILES...] [--repeat 2] [--batched]

For each file, in one process and with the same model instance and settings (beam size, device,
compute type, threads): (a) plain faster-whisper `WhisperModel.transcribe` of each channel (the
reference), (b) our whole pipeline (decode, VAD, per-utterance language, transcription, masking,
matching). Prints per-file times, the ratio ours/plain (goal <= 1.10) and audio-seconds per
wall-second for both. `--batched` adds faster-whisper's BatchedInferencePipeline as a second
reference (the GPU comparison of batched vs sequential).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compliance.audio import decode_tracks
from compliance.model import ModelOptions, load_model, resolve_batch_size, resolve_device
from compliance.pipeline import AnalysisOptions, analyze_file
from compliance.scripts import default_script_body, load_script
from settings import load_settings

CALLS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "calls"
DEFAULT_FILES = [
    "compliant_ru.stereo.ogg", "switch_to_english.stereo.ogg", "late_greeting_ru.stereo.ogg",
    "missing_passport_ru.mono_noisy.mp3", "paraphrase_ru.mono_noisy.mp3", "compliant_ru.stereo_noisy.wav",
]


def plain_faster_whisper(model, path: Path, beam_size: int) -> int:
    tracks, _, _ = decode_tracks(path)
    count = 0
    for track in tracks:
        segments, _info = model.transcribe(track.samples, beam_size=beam_size)
        count += sum(1 for _ in segments)
    return count


def batched_faster_whisper(model, path: Path, beam_size: int, batch_size: int) -> int:
    from faster_whisper import BatchedInferencePipeline

    pipeline = BatchedInferencePipeline(model)
    tracks, _, _ = decode_tracks(path)
    count = 0
    for track in tracks:
        segments, _info = pipeline.transcribe(track.samples, beam_size=beam_size, batch_size=batch_size)
        count += sum(1 for _ in segments)
    return count


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=2, help="runs per file and method; the best is kept")
    parser.add_argument("--batched", action="store_true", help="also time faster-whisper's batched pipeline")
    args = parser.parse_args()
    files = args.files or [CALLS / name for name in DEFAULT_FILES]
    settings = load_settings()
    model_options = ModelOptions.from_settings(settings)
    script = load_script(default_script_body())
    model = load_model(model_options)
    device, compute_type = resolve_device(model_options)
    batch_size = resolve_batch_size(model_options)
    print(f"device {device} ({compute_type}), beam {model_options.beam_size}, batch {batch_size}, "
          f"cpu threads {model_options.cpu_threads or 'auto'}, {os.cpu_count()} cores")
    analyze_file(files[0], script, AnalysisOptions(model=model_options))  # warm-up: model load, VAD session

    header = f"{'file':<40}{'audio s':>8}{'plain s':>9}{'ours s':>8}{'ratio':>7}"
    if args.batched:
        header += f"{'batched s':>11}{'ours/batched':>14}"
    print(header)
    totals = {"audio": 0.0, "plain": 0.0, "ours": 0.0, "batched": 0.0}
    for path in files:
        duration = decode_tracks(path)[1].duration_s
        plain = min(timed(plain_faster_whisper, model, path, model_options.beam_size) for _ in range(args.repeat))
        ours = min(timed(analyze_file, path, script, AnalysisOptions(model=model_options)) for _ in range(args.repeat))
        line = f"{path.name:<40}{duration:>8.1f}{plain:>9.2f}{ours:>8.2f}{ours / plain:>7.2f}"
        totals["audio"] += duration
        totals["plain"] += plain
        totals["ours"] += ours
        if args.batched:
            batched = min(timed(batched_faster_whisper, model, path, model_options.beam_size, batch_size)
                          for _ in range(args.repeat))
            totals["batched"] += batched
            line += f"{batched:>11.2f}{ours / batched:>14.2f}"
        print(line)
    print(f"\ntotal: {totals['audio']:.0f} s of audio; plain faster-whisper {totals['plain']:.1f} s, "
          f"ours {totals['ours']:.1f} s")
    print(f"ratio ours/plain: {totals['ours'] / totals['plain']:.2f} (goal <= 1.10)")
    print(f"audio-seconds per wall-second: plain {totals['audio'] / totals['plain']:.1f}, "
          f"ours {totals['audio'] / totals['ours']:.1f}")
    if args.batched:
        print(f"batched faster-whisper {totals['batched']:.1f} s; ours/batched "
              f"{totals['ours'] / totals['batched']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
