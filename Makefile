# Two commands on a fresh Debian machine with Python 3.11:
#   make run    install, migrate, seed demo data, start web + worker + beat on the embedded default
#   make test   install (PostgreSQL and Chromium too, for their tests), lint, and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run lint test test-fast bench accuracy clean

$(STAMP): pyproject.toml
	@tools/ensure_debian_packages.sh python
	$(PYTHON) -c 'import sys; sys.exit("Fieldrep needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fieldrep model prepare
	$(BIN)/fieldrep run

# ruff and mypy read their settings (rules, which files) from pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	@tools/ensure_debian_packages.sh test
	$(BIN)/pytest

test-fast: lint
	$(BIN)/pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/pipeline_speed.py

# Precision/recall/F1 per criterion on corpus/dev and corpus/test (tools/synth_corpus.py), overall and on
# noisy phone mono; e.g. ACCURACY_ARGS="--split dev --compare benchmarks/results/baseline_2026-11-25.json"
accuracy: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py $(ACCURACY_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
