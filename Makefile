# One entry point for people and CI. Only python3 (3.11+) and make are assumed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CHAT_STAMP := $(VENV)/.chat-installed-stamp
# Deployment: ARCH must equal the stack's Architecture parameter (deploy/template.yaml).
ARCH   ?= arm64
SRC    ?= data/lessons

.PHONY: help venv chat test fuzz bench reliability-doc lint fmt clean package template publish-graph sync-slots lock lock-check

help:
	@echo "make chat    talk to the bot locally (no AWS account needed)"
	@echo "make test    lint and run the whole test suite"
	@echo "make fuzz    fuzz the Lambda handler with 10,000 generated events per test"
	@echo "make bench   benchmark against a plain-Python walk and networkx+SciPy PageRank (~20 min; writes bench/results.md)"
	@echo "make venv    create .venv from requirements-dev.lock"
	@echo "make lock    re-pin the *.lock files from the *.txt inputs (UPGRADE=1: newest allowed)"
	@echo "make lock-check  check the locks install on Linux x86_64/arm64, Python 3.11/3.12"
	@echo "make package build/function.zip + build/layer.zip + build/publisher.zip + build/transitions.zip (ARCH=arm64 or x86_64)"
	@echo "make template regenerate the Lex bot part of deploy/template.yaml from lex_bot/"
	@echo "make publish-graph DEST=/mnt/lessons (or s3://bucket/prefix/) [SRC=data/lessons]"
	@echo "make sync-slots BOT_ID=... [ALIAS_ID=...] push each locale's lesson and module names to a deployed bot"

# Installs come from the lock files only: every package pinned, with its hashes (pip's
# hash-checking mode), so tests, chat and package run exactly the same versions. The
# *.txt files are the inputs; `make lock` turns them into the *.lock files.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes

$(STAMP): requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements-dev.lock
	@touch $(STAMP) $(CHAT_STAMP)

# The chat needs only the runtime dependencies and rich (requirements-chat.lock): a fresh
# clone is talking to the bot in seconds, without the test and deploy tooling.
$(CHAT_STAMP): requirements-chat.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements-chat.lock
	@touch $(CHAT_STAMP)

venv: $(STAMP)

chat: $(CHAT_STAMP)
	$(BIN)/python -m lex_bot chat

test: lint
	$(BIN)/python -m pytest

fuzz: $(STAMP)
	FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest tests/test_fuzz_handler.py
	FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest tests/test_truth_oracle.py

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

# The zips carry bytecode compiled by a CPython 3.12 (Lambda's runtime): $(TARGET_PYTHON) if
# set, else python3.12 on PATH, else pyenv's; the build stops without one (deploy/artefacts.py).
package: $(STAMP)
	$(BIN)/python -m deploy.package --architecture $(ARCH) --out build --requirements requirements.lock
	$(BIN)/python -m deploy.package_publisher --out build
	$(BIN)/python -m deploy.package_transitions --out build

# One universal resolution (markers where a platform or Python differs), pinned for Python
# 3.11 and up. The dev lock is resolved first; the chat and runtime locks are constrained by
# it, so a package in several locks has the same version and hashes in each.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock: $(STAMP)
	$(UV_COMPILE) requirements-dev.txt -o requirements-dev.lock
	$(UV_COMPILE) -c requirements-dev.lock requirements-chat.txt -o requirements-chat.lock
	$(UV_COMPILE) -c requirements-dev.lock requirements.txt -o requirements.lock
	$(MAKE) lock-check

# Every pinned version must have a wheel for Lambda's and developers' Linux machines.
LOCK_TARGETS = x86_64-manylinux_2_28 aarch64-manylinux_2_28
lock-check: $(STAMP)
	@for platform in $(LOCK_TARGETS); do for python in 3.11 3.12; do \
		for lock in requirements.lock requirements-dev.lock; do \
			$(BIN)/uv pip compile --quiet --no-deps --only-binary :all: --no-header \
				--python-platform $$platform --python-version $$python $$lock -o /dev/null \
			|| { echo "lock-check: $$lock has no wheels for $$platform, Python $$python"; exit 1; }; \
		done; echo "lock-check: $$platform, Python $$python: ok"; done; done

template: $(STAMP)
	$(BIN)/python -m deploy.lex_template

publish-graph: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make publish-graph DEST=/mnt/lessons [SRC=...]"; exit 2; }
	$(BIN)/python -m deploy.publish_graph $(SRC) $(DEST) $(PUBLISH_ARGS)

sync-slots: $(STAMP)
	@test -n "$(BOT_ID)" || { echo "usage: make sync-slots BOT_ID=... [ALIAS_ID=...]"; exit 2; }
	$(BIN)/python -m deploy.sync_slot_types --bot-id $(BOT_ID) \
		$(if $(ALIAS_ID),--alias-id $(ALIAS_ID)) $(if $(GRAPH),--graph $(GRAPH))
