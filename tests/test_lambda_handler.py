"""Events through the real entry point: the corpus, broken events, and non-Lex events.

Every response is checked against the Lex V2 contract by the autouse fixture in conftest.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from lambda_function import lambda_handler
from lex_bot.lexv2.router import NotALexV2EventError

EVENTS_DIR = Path(__file__).parent / "events"
EVENTS = sorted(EVENTS_DIR.glob("*.json"))
CONTEXT = SimpleNamespace(aws_request_id="req-abc")


def load(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text())


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_corpus_event_gets_a_valid_response(path: Path) -> None:
    response = lambda_handler(json.loads(path.read_text()), CONTEXT)
    assert response["sessionState"]["dialogAction"]["type"]


def test_voice_turns_get_ssml_and_no_cards() -> None:
    response = lambda_handler(load("lesson_info_es_US_speech.json"), CONTEXT)
    types = {m["contentType"] for m in response.get("messages", [])}
    assert "ImageResponseCard" not in types
    if response["sessionState"]["dialogAction"]["type"] != "Delegate":
        assert types == {"SSML"}


def test_locale_selects_the_catalogue_and_falls_back_to_english() -> None:
    spanish = lambda_handler(load("progress_es_US.json"), CONTEXT)
    assert "lecciones" in spanish["messages"][0]["content"]
    french = lambda_handler(load("browse_modules_unknown_locale.json"), CONTEXT)
    assert "modules" in french["messages"][0]["content"]


def test_unregistered_intent_is_answered_politely() -> None:
    response = lambda_handler(load("unregistered_intent.json"), CONTEXT)
    assert response["sessionState"]["dialogAction"]["type"] == "ElicitIntent"


def test_client_session_attributes_survive_the_turn() -> None:
    response = lambda_handler(load("start_lesson_ambiguous_with_client_attributes.json"), CONTEXT)
    assert response["sessionState"]["sessionAttributes"]["theme"] == "dark"


def _broken_events() -> dict[str, dict]:
    base = load("greeting_text_fulfillment.json")
    cases: dict[str, dict] = {}

    def case(name: str, mutate) -> None:  # type: ignore[no-untyped-def]
        event = copy.deepcopy(base)
        mutate(event)
        cases[name] = event

    case("missing sessionState", lambda e: e.pop("sessionState"))
    case("sessionState is a string", lambda e: e.__setitem__("sessionState", "oops"))
    case("inputMode is a number", lambda e: e.__setitem__("inputMode", 5))
    case("bot is a list", lambda e: e.__setitem__("bot", []))
    case("intent without name", lambda e: e["sessionState"]["intent"].pop("name"))
    case("slots is a list", lambda e: e["sessionState"]["intent"].__setitem__("slots", [1, 2]))
    case("100k transcript", lambda e: e.__setitem__("inputTranscript", "loops " * 20_000))
    case("NUL bytes", lambda e: e.__setitem__("inputTranscript", "hel\x00lo\x00"))
    case("emoji", lambda e: e.__setitem__("inputTranscript", "🎉🐍 hi 👩‍💻"))
    case("right-to-left", lambda e: e.__setitem__("inputTranscript", "مرحبا \u202eolleh"))
    case(
        "non-string session attributes",
        lambda e: e["sessionState"].__setitem__(
            "sessionAttributes",
            {"lessonbot.failed_attempts": 3, "flag": True, "nested": {"a": 1}, "n": None},
        ),
    )
    case("sessionId empty", lambda e: e.__setitem__("sessionId", ""))
    case("interpretations not a list", lambda e: e.__setitem__("interpretations", {"x": 1}))
    return cases


BROKEN = _broken_events()


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_lex_events_never_raise(name: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        response = lambda_handler(copy.deepcopy(BROKEN[name]), CONTEXT)
    assert response["sessionState"]["dialogAction"]["type"] in {"ElicitIntent", "Close"}
    assert response["messages"], "the learner must be told something"


@pytest.mark.parametrize(
    "name",
    ["missing sessionState", "inputMode is a number", "bot is a list", "sessionId empty"],
)
def test_invalid_events_are_logged_with_the_problem(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        lambda_handler(copy.deepcopy(BROKEN[name]), CONTEXT)
    record = next(r for r in caplog.records if r.getMessage() == "invalid Lex V2 event")
    field = {
        "missing sessionState": "sessionState",
        "inputMode is a number": "inputMode",
        "bot is a list": "bot",
        "sessionId empty": "sessionId",
    }[name]
    assert any(p.startswith(field) for p in record.problems)
    assert record.request_id == "req-abc"


def test_untrusted_values_in_the_invalid_event_log_line_are_truncated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = load("greeting_text_fulfillment.json")
    event["sessionId"] = "a" * 5_000
    event["inputMode"] = 5  # invalid, so the event takes the "invalid Lex V2 event" path
    event["sessionState"]["intent"]["slots"] = {"k" * 5_000: 7}  # an untrusted key in a loc
    with caplog.at_level(logging.ERROR):
        lambda_handler(event, CONTEXT)
    record = next(r for r in caplog.records if r.getMessage() == "invalid Lex V2 event")
    assert record.session_id == "a" * 200 + "…[+4800 chars]"
    assert record.problems and all(len(p) <= 200 + len("…[+99999 chars]") for p in record.problems)
    assert any(p.endswith("chars]") for p in record.problems)


def test_non_string_session_attributes_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        response = lambda_handler(copy.deepcopy(BROKEN["non-string session attributes"]), CONTEXT)
    record = next(r for r in caplog.records if r.getMessage() == "turn answered")
    assert any("failed_attempts" in p for p in record.session_attribute_problems)
    assert all(isinstance(v, str) for v in response["sessionState"]["sessionAttributes"].values())


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        ({}, "missing"),
        (
            {"version": "2.0", "routeKey": "GET /", "rawPath": "/", "requestContext": {}},
            "API Gateway",
        ),
        ({"currentIntent": {"name": "X"}, "bot": {"name": "B"}, "userId": "u"}, "Lex V1"),
    ],
)
def test_non_lex_events_fail_fast(event: dict, needle: str) -> None:
    with pytest.raises(NotALexV2EventError, match=needle):
        lambda_handler(event, CONTEXT)
