# One entry point for people and CI. Only python3 (3.11+) and make are assumed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: help venv chat test fuzz bench reliability-doc lint fmt clean

help:
	@echo "make chat    talk to the bot locally (no AWS account needed)"
	@echo "make test    lint and run the whole test suite"
	@echo "make fuzz    fuzz the Lambda handler with 10,000 generated events per test"
	@echo "make bench   benchmark against a naive networkx baseline (~15 min; writes bench/results.md)"
	@echo "make venv    create .venv from requirements-dev.txt"

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

chat: $(STAMP)
	$(BIN)/python -m lex_bot chat

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

fuzz: $(STAMP)
	FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest tests/test_fuzz_handler.py

bench: $(STAMP)
	$(BIN)/python -m bench.run

reliability-doc: $(STAMP)
	$(BIN)/python tests/reliability_table.py --write

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
