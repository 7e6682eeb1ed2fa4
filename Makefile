PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-slack bench-writers bench-scale bench-simulate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,charts,slack,discord,postgres]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/infochat run --demo $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/flows.py

bench-slack: $(STAMP)
	$(BIN)/python bench/slack_ack.py

bench-writers: $(STAMP)
	$(BIN)/python bench/writers.py $(ARGS)

bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py $(ARGS)

bench-simulate: $(STAMP)
	$(BIN)/python bench/simulate.py $(ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache .hypothesis
