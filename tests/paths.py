"""Where the repository and the shared test data are, for tests at any depth of ``tests/``."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
EVENTS = TESTS / "events"
CONVERSATIONS = TESTS / "conversations"
