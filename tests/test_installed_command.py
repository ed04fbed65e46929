"""The installed `fieldrep` command works from any directory: every package of the app is installed, not
found by accident on the current directory (a package missing from pyproject.toml's list breaks
`make run` on a fresh machine)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_installed_command_runs_outside_the_repository(tmp_path):
    command = Path(sys.executable).parent / "fieldrep"
    result = subprocess.run([str(command), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "run" in result.stdout


def test_every_package_of_the_app_is_in_the_install_list():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = {pattern.rstrip("*") for pattern in config["packages"]["find"]["include"]}
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks", "tools"}
    assert packages <= listed, f"not installed: {sorted(packages - listed)}"
    templates = {path.suffix for path in ROOT.glob("*/templates/**/*") if path.is_file()}
    templates |= {path.suffix for path in ROOT.glob("*/static/**/*") if path.is_file()}
    assert {f"*{suffix}" for suffix in templates} <= set(config["package-data"]["*"])
