# Quick start: `make demo` and `make test`.  Both create .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test lint typecheck pytest i18n wheel-smoke bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src plugins tests examples bench
	$(BIN)/ruff format --check src plugins tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy

i18n: $(STAMP)
	$(BIN)/mailplug i18n check

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck i18n pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
