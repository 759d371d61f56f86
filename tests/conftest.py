"""Shared test setup.

* The repository root is importable.
* Every response that goes through ``IntentRouter.resolve`` in any test is checked against
  the Lex V2 contract (``lex_bot/devtools/lex_contract.py``), and each of its SSML messages
  against the speech lint (``lex_bot/devtools/speech_lint.py``: valid Polly SSML, nothing
  read aloud literally, at most 30 seconds): no test can produce an invalid response or an
  unspeakable answer unnoticed.
* Each test gets fresh services: the bundled lesson graph (loaded once per test session) and
  an empty in-memory progress store.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LessonbotTests")


def _known_slots() -> dict[str, set[str]] | None:
    try:
        from lex_bot.devtools.bot_definition import load_bot_definition
    except ImportError:
        return None
    return load_bot_definition().elicitable_slots()


@pytest.fixture(autouse=True)
def _contract_checked_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    from lex_bot.devtools.lex_contract import assert_lex_response
    from lex_bot.devtools.speech_lint import lint_ssml
    from lex_bot.lexv2.router import IntentRouter

    original = IntentRouter.resolve
    known_slots = _known_slots()

    def checked(self, event, context=None):  # type: ignore[no-untyped-def]
        response = original(self, event, context)
        assert_lex_response(response, known_slots=known_slots)
        for message in response.get("messages") or []:
            if message.get("contentType") == "SSML":
                problems = lint_ssml(message["content"])
                assert not problems, f"speech lint: {problems}: {message['content']!r}"
        return response

    monkeypatch.setattr(IntentRouter, "resolve", checked)


@pytest.fixture(scope="session")
def bundled_graph_loader():
    from knowledge_graph import GraphLoader

    return GraphLoader(str(ROOT / "data" / "lessons"), check_interval=3600)


@pytest.fixture(autouse=True)
def services(request: pytest.FixtureRequest):
    """Fresh services for tests that talk to the bot (skipped for pure-library tests)."""
    from lex_bot.lesson_app import services as services_module
    from lex_bot.lesson_app.progress_store import open_progress_store

    loader = request.getfixturevalue("bundled_graph_loader")
    fresh = services_module.Services(graph_loader=loader, store=open_progress_store("memory://"))
    services_module.use_services(fresh)
    yield fresh
    services_module.use_services(None)
