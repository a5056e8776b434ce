# Everything a fresh machine needs is set up by `make demo` or `make test`:
# system packages (when missing), a virtual environment in .venv, and the
# project with its development extras installed into it.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint fmt bench clean system

$(STAMP): pyproject.toml src/agentreel/_speedups.c
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system:
	bash scripts/system-deps.sh

demo: $(STAMP)
	$(BIN)/agentreel demo

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/record_overhead.py

clean:
	rm -rf $(VENV) .agentreel .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info src/agentreel/*.so
