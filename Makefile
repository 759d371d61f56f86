# One entry point for people and CI. Only python3 (3.11+) and make are assumed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CHAT_STAMP := $(VENV)/.chat-installed-stamp
# Deployment: ARCH must equal the stack's Architecture parameter (deploy/template.yaml).
ARCH   ?= arm64
SRC    ?= data/lessons

.PHONY: help venv chat test fuzz bench reliability-doc lint fmt clean package template publish-graph sync-slots

help:
	@echo "make chat    talk to the bot locally (no AWS account needed)"
	@echo "make test    lint and run the whole test suite"
	@echo "make fuzz    fuzz the Lambda handler with 10,000 generated events per test"
	@echo "make bench   benchmark against a plain-Python walk and networkx+SciPy PageRank (~20 min; writes bench/results.md)"
	@echo "make venv    create .venv from requirements-dev.txt"
	@echo "make package build/function.zip + build/layer.zip for Lambda (ARCH=arm64 or x86_64)"
	@echo "make template regenerate the Lex bot part of deploy/template.yaml from lex_bot/"
	@echo "make publish-graph DEST=/mnt/lessons (or s3://bucket/prefix/) [SRC=data/lessons]"
	@echo "make sync-slots BOT_ID=... [ALIAS_ID=...] push lesson names to a deployed bot"

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP) $(CHAT_STAMP)

# The chat needs only the runtime dependencies and rich (pinned in requirements-dev.txt):
# a fresh clone is talking to the bot in seconds, without the test and deploy tooling.
$(CHAT_STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt \
		$$(grep -E '^rich==' requirements-dev.txt)
	@touch $(CHAT_STAMP)

venv: $(STAMP)

chat: $(CHAT_STAMP)
	$(BIN)/python -m lex_bot chat

test: lint
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

package: $(STAMP)
	$(BIN)/python -m deploy.package --architecture $(ARCH) --out build

template: $(STAMP)
	$(BIN)/python -m deploy.lex_template

publish-graph: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make publish-graph DEST=/mnt/lessons [SRC=...]"; exit 2; }
	$(BIN)/python -m deploy.publish_graph $(SRC) $(DEST) $(PUBLISH_ARGS)

sync-slots: $(STAMP)
	@test -n "$(BOT_ID)" || { echo "usage: make sync-slots BOT_ID=... [ALIAS_ID=...]"; exit 2; }
	$(BIN)/python -m deploy.sync_slot_types --bot-id $(BOT_ID) \
		$(if $(ALIAS_ID),--alias-id $(ALIAS_ID)) $(if $(GRAPH),--graph $(GRAPH))
