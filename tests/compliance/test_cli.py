from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile

import pytest

from settings import PROJECT_ROOT
from tests.conftest import CALLS, MODEL_CACHE

pytestmark = pytest.mark.slow


def fieldrep(*args, cwd=None):
    home = tempfile.mkdtemp(prefix="fieldrep-home-")  # libraries write caches under $HOME
    env = {"PATH": "/usr/bin:/bin", "FIELDREP_WHISPER_MODEL_CACHE": MODEL_CACHE, "HOME": home}
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd or PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_analyze_prints_one_json_object_and_exits_0_despite_violations(tmp_path):
    script = tmp_path / "script.json"
    script.write_text((PROJECT_ROOT / "compliance" / "default_script.json").read_text())
    result = fieldrep("analyze", str(CALLS / "switch_mid_call.stereo.ogg"), "--script", str(script))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["language"] == "ru"
    # one fault, one violation: the phrases were said, in English
    assert [v["criterion"] for v in data["violations"]] == ["wrong_language"]
    assert isinstance(data["duration_s"], float) and 0 <= data["adherence"] <= 1
    assert data["segments"] and data["criteria"]


def test_english_meeting_and_layout_options(tmp_path):
    result = fieldrep("analyze", str(CALLS / "english_meeting.stereo.ogg"), "--english-meeting", "--layout", "rep-left")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["violations"] == []


def test_unreadable_input_exits_non_zero_with_a_one_line_reason(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"this is not audio")
    result = fieldrep("analyze", str(broken))
    assert result.returncode != 0 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "broken.wav" in result.stderr
    missing = fieldrep("analyze", str(tmp_path / "nope.ogg"))
    assert missing.returncode != 0 and "no such file" in missing.stderr
    bad_script = tmp_path / "bad.yaml"
    bad_script.write_text("name: x\nversion: 1\nlanguage: ru\ncriteria:\n"
                          "  - id: a\n    kind: maybe\n    phrases: {ru: [x]}\n")
    invalid = fieldrep("analyze", str(CALLS / "compliant_ru.stereo.ogg"), "--script", str(bad_script))
    assert invalid.returncode != 0 and "criteria[0].kind" in invalid.stderr


def test_a_folder_gives_one_json_line_per_file_and_a_progress_bar(tmp_path):
    for name in ("missing_greeting_ru.stereo.ogg", "compliant_ru.mono.flac"):
        shutil.copy(CALLS / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not audio, not picked up")
    (tmp_path / "zz_broken.mp3").write_bytes(b"garbage")
    result = fieldrep("analyze", str(tmp_path))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"].rsplit("/", 1)[1] for line in lines] == [
        "compliant_ru.mono.flac", "missing_greeting_ru.stereo.ogg", "zz_broken.mp3"]
    assert lines[0]["violations"] == [] and [v["criterion"] for v in lines[1]["violations"]] == ["greeting"]
    assert "error" in lines[2]
    assert result.returncode == 1, "one file was unreadable"
    assert "calls" in result.stderr and "3/3" in result.stderr
