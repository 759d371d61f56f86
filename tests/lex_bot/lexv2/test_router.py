"""The intent router: registration, dispatch by hook, fallback, error boundary, middleware."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest
from paths import EVENTS as EVENTS_DIR

from lex_bot.devtools.event_factory import lex_event
from lex_bot.lexv2.events import InvocationSource
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import IntentRouter, NotALexV2EventError, Turn, check_lex_v2_shape
from lex_bot.lexv2.session_attributes import TypedSessionAttributes

EVENT = json.loads((EVENTS_DIR / "greeting_text_fulfillment.json").read_text())
CONTEXT = SimpleNamespace(aws_request_id="req-123")


class Attrs(TypedSessionAttributes):
    count: int = 0


def event_for(intent: str, source: str = "FulfillmentCodeHook") -> dict:
    return lex_event(intent, source=source, transcript="hello there", session_id="replay-session-1")


def make_router() -> IntentRouter[Attrs]:
    router: IntentRouter[Attrs] = IntentRouter(Attrs, emit_metrics=False)

    @router.intent("Greeting")
    def greet(turn: Turn[Attrs]) -> LexResponse:
        turn.session.count += 1
        return turn.close(f"hello {turn.session.count}")

    @router.intent("Split", hook=InvocationSource.DIALOG_CODE_HOOK)
    def split_dialog(turn: Turn[Attrs]) -> LexResponse:
        return turn.elicit_slot("Thing", "which thing?")

    @router.intent("Split", hook=InvocationSource.FULFILLMENT_CODE_HOOK)
    def split_fulfil(turn: Turn[Attrs]) -> LexResponse:
        return turn.close("fulfilled")

    @router.intent("OnlyFulfil", hook=InvocationSource.FULFILLMENT_CODE_HOOK)
    def only_fulfil(turn: Turn[Attrs]) -> LexResponse:
        return turn.close("done")

    @router.intent("Boom")
    def boom(turn: Turn[Attrs]) -> LexResponse:
        raise RuntimeError("kaboom")

    @router.intent("WrongType")
    def wrong(turn: Turn[Attrs]) -> LexResponse:
        return {"sessionState": {}}  # type: ignore[return-value]

    return router


def test_decorator_registers_and_session_round_trips() -> None:
    router = make_router()
    event = event_for("Greeting")
    event["sessionState"]["sessionAttributes"] = {"count": "4"}
    response = router.resolve(event, CONTEXT)
    assert response["messages"][0]["content"] == "hello 5"
    assert response["sessionState"]["sessionAttributes"]["count"] == "5"


def test_separate_handlers_per_hook() -> None:
    router = make_router()
    dialog = router.resolve(event_for("Split", "DialogCodeHook"), CONTEXT)
    fulfil = router.resolve(event_for("Split", "FulfillmentCodeHook"), CONTEXT)
    assert dialog["sessionState"]["dialogAction"]["type"] == "ElicitSlot"
    assert fulfil["sessionState"]["dialogAction"]["type"] == "Close"


def test_dialog_hook_without_handler_delegates() -> None:
    response = make_router().resolve(event_for("OnlyFulfil", "DialogCodeHook"), CONTEXT)
    assert response["sessionState"]["dialogAction"]["type"] == "Delegate"


def test_unregistered_intent_gets_a_defined_answer() -> None:
    response = make_router().resolve(event_for("OrderPizza"), CONTEXT)
    assert response["sessionState"]["dialogAction"]["type"] == "ElicitIntent"
    assert "can't help with that" in response["messages"][0]["content"]


def test_fallback_handler_is_used_for_unregistered_intents() -> None:
    router = make_router()

    @router.fallback
    def fallback(turn: Turn[Attrs]) -> LexResponse:
        return turn.elicit_intent(f"no {turn.intent_name}")

    response = router.resolve(event_for("OrderPizza"), CONTEXT)
    assert response["messages"][0]["content"] == "no OrderPizza"


def test_duplicate_registration_is_refused() -> None:
    router = make_router()
    with pytest.raises(ValueError, match="already registered"):
        router.intent("Greeting")(lambda turn: turn.close("x"))


@pytest.mark.parametrize("intent", ["Boom", "WrongType"])
def test_error_boundary_answers_politely_and_logs_ids(
    intent: str, caplog: pytest.LogCaptureFixture
) -> None:
    router = make_router()
    with caplog.at_level(logging.ERROR):
        response = router.resolve(event_for(intent), CONTEXT)
    assert response["sessionState"]["dialogAction"]["type"] == "ElicitIntent"
    assert "went wrong" in response["messages"][0]["content"]
    record = next(r for r in caplog.records if r.levelno >= logging.ERROR)
    assert record.session_id == EVENT["sessionId"]
    assert record.request_id == "req-123"
    assert record.intent == intent


def test_exception_handlers_map_exceptions_to_responses() -> None:
    router = make_router()

    @router.exception_handler(RuntimeError)
    def on_runtime(turn: Turn[Attrs], exc: Exception) -> LexResponse:
        return turn.close(f"handled {exc}")

    response = router.resolve(event_for("Boom"), CONTEXT)
    assert response["messages"][0]["content"] == "handled kaboom"


def test_middleware_wraps_handlers_in_order() -> None:
    router = make_router()
    calls: list[str] = []

    @router.use
    def outer(turn: Turn[Attrs], call_next):  # type: ignore[no-untyped-def]
        calls.append("outer-in")
        response = call_next(turn)
        calls.append("outer-out")
        return response

    @router.use
    def inner(turn: Turn[Attrs], call_next):  # type: ignore[no-untyped-def]
        calls.append("inner")
        turn.state["timed"] = True
        return call_next(turn)

    router.resolve(event_for("Greeting"), CONTEXT)
    assert calls == ["outer-in", "inner", "outer-out"]


def test_observers_see_event_and_response() -> None:
    router = make_router()
    seen = []
    router.observe(
        lambda event, response: seen.append(
            (event["sessionId"], response["messages"][0]["content"])
        )
    )
    router.resolve(event_for("Greeting"), CONTEXT)
    assert seen == [(EVENT["sessionId"], "hello 1")]


@pytest.mark.reliability(
    area="Privacy",
    tried="the per-turn log line, default settings and LOG_TRANSCRIPTS=true",
    scale="2 turns",
    outcome="transcript redacted unless explicitly enabled",
)
def test_turn_log_line_redacts_transcript_by_default(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOG_TRANSCRIPTS", raising=False)
    router = make_router()
    with caplog.at_level(logging.INFO):
        router.resolve(event_for("Greeting"), CONTEXT)
    record = next(r for r in caplog.records if r.getMessage() == "turn answered")
    assert record.transcript == f"<redacted:{len(EVENT['inputTranscript'])} chars>"
    assert EVENT["inputTranscript"] not in caplog.text
    monkeypatch.setenv("LOG_TRANSCRIPTS", "true")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        router.resolve(event_for("Greeting"), CONTEXT)
    record = next(r for r in caplog.records if r.getMessage() == "turn answered")
    assert record.transcript == EVENT["inputTranscript"]


@pytest.mark.reliability(
    area="Privacy",
    tried="CloudWatch EMF metrics of a turn",
    scale="1 turn",
    outcome="only intent and service dimensions; no transcript, message text or session id",
)
def test_metrics_are_emitted_per_intent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    router = make_router()
    router.emit_metrics = True
    router.resolve(event_for("Greeting"), CONTEXT)
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert blobs, "no EMF metrics were printed"
    blob, whole = blobs[-2:]  # per intent, then the whole bot (what the alarms read)
    assert blob["intent"] == "Greeting"
    assert blob["Turns"] == [1.0] or blob["Turns"] == 1.0
    assert "intent" not in whole and whole["service"] == "lessonbot"
    assert whole["Turns"] in ([1.0], 1.0) and whole["Fallbacks"] in ([0.0], 0.0)
    assert whole["Errors"] in ([0.0], 0.0)
    for item in (blob, whole):
        assert "hello" not in json.dumps(item)  # no transcript or message text in metrics
        assert EVENT["sessionId"] not in json.dumps(item)  # nor who the learner is


def test_fallback_turns_and_errors_are_counted_for_the_whole_bot(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lex_bot.lexv2.observability import record_turn_metrics

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    record_turn_metrics("FallbackIntent", 3.0, error=True)
    lines = [x for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    whole = json.loads(lines[-1])
    assert whole["Fallbacks"] in ([1.0], 1.0) and whole["Errors"] in ([1.0], 1.0)
    dimensions = whole["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert dimensions == [["service"]]


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        ({}, "missing messageVersion"),
        ([], "expected a JSON object"),
        ({"httpMethod": "GET", "path": "/", "requestContext": {}}, "API Gateway"),
        (
            {
                "messageVersion": "1.0",
                "invocationSource": "DialogCodeHook",
                "currentIntent": {"name": "X"},
                "bot": {"name": "B", "alias": "$LATEST"},
            },
            "Lex V1",
        ),
        ({"foo": "bar", "baz": 1}, "missing"),
    ],
)
def test_non_lex_v2_events_fail_fast_with_a_clear_error(event: object, needle: str) -> None:
    with pytest.raises(NotALexV2EventError, match=needle):
        check_lex_v2_shape(event)
    with pytest.raises(NotALexV2EventError):
        make_router().resolve(event, CONTEXT)


def test_a_blank_intent_name_is_counted_as_unknown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    from lex_bot.lexv2.observability import record_turn_metrics

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Powertools warns when it drops a dimension
        record_turn_metrics("  ", 1.0, error=False)
    blob = json.loads(next(x for x in capsys.readouterr().out.splitlines() if '"_aws"' in x))
    assert blob["intent"] == "unknown"


def test_a_handler_can_hand_the_turn_to_another_intent_once() -> None:
    from lex_bot.lexv2.events import Intent, IntentState
    from lex_bot.lexv2.router import SwitchIntent

    router = make_router()

    @router.intent("Pick")
    def pick(turn: Turn[Attrs]) -> LexResponse:
        raise SwitchIntent(Intent(name="Greeting", state=IntentState.IN_PROGRESS))

    @router.intent("Loop")
    def loop(turn: Turn[Attrs]) -> LexResponse:
        raise SwitchIntent(Intent(name="Loop", state=IntentState.IN_PROGRESS))

    response = router.resolve(event_for("Pick"), CONTEXT)
    assert response["sessionState"]["intent"]["name"] == "Greeting"
    assert response["messages"][0]["content"] == "hello 1"
    looped = router.resolve(event_for("Loop"), CONTEXT)  # a second switch is a bug: caught
    assert looped["sessionState"]["dialogAction"]["type"] == "ElicitIntent"
