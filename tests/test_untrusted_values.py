"""Values a client controls never break a turn, the tools, or whose progress it is.

Lone surrogates anywhere in an event, counters at the top of their range, ids with a
trailing newline, nested JSON in a typed attribute, and the trusted learner id attribute:
each reproduced as the issue describes, run through the real handler (and, for the
developer tools, through ``python -m lex_bot invoke`` in its own process).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lambda_function import lambda_handler
from lex_bot.devtools.event_factory import lex_event, slot
from lex_bot.lesson_app import services as services_module
from lex_bot.lesson_app.messages import messages_for
from lex_bot.lexv2.limits import REPLACEMENT_CHARACTER
from lex_bot.lexv2.recording import REDACTED, Recorder, RedactMode

ROOT = Path(__file__).resolve().parents[1]
EN = messages_for("en_US")
LONE = "\ud800"


def text(response: dict[str, Any]) -> str:
    return json.dumps(response.get("messages", []))


def surrogate_event() -> dict[str, Any]:
    """A CompleteLesson event with a lone surrogate in every kind of client string."""
    event = lex_event(
        "CompleteLesson",
        {"LessonName": slot(f"what is programming{LONE}", "python-intro/what-is-programming")},
        transcript=f"I finished what is programming {LONE}",
        session_id="surrogate-session",
        session_attributes={"theme": f"dark{LONE}", f"key{LONE}": "value"},
        active_contexts=[
            {
                "name": "lesson",
                "contextAttributes": {"note": f"x{LONE}"},
                "timeToLive": {"timeToLiveInSeconds": 60, "turnsToLive": 2},
            }
        ],
    )
    event["requestAttributes"] = {"x-client": f"y{LONE}"}
    return event


@pytest.mark.reliability(
    area="Hostile input",
    tried="a lone surrogate (\\ud800) in session attributes (keys and values), transcript, slot, "
    "active context and request attributes",
    scale="6 fields of 1 event",
    outcome="every echoed or logged string is valid UTF-8 (U+FFFD in its place); one warning; "
    "the lesson is recorded",
)
def test_lone_surrogates_are_replaced_and_logged_once(
    services: services_module.Services, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response = lambda_handler(surrogate_event(), None)
    json.dumps(response, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate
    attributes = response["sessionState"]["sessionAttributes"]
    assert attributes["theme"] == "dark" + REPLACEMENT_CHARACTER
    assert "key" + REPLACEMENT_CHARACTER in attributes
    warnings = [r for r in caplog.records if "lone surrogates" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].replaced >= 6
    for record in caplog.records:
        json.dumps(record.__dict__, default=str, ensure_ascii=False).encode("utf-8")
    assert "python-intro/what-is-programming" in services.store.get("surrogate-session").completed


def deeply_nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.reliability(
    area="Hostile input",
    tried="python -m lex_bot invoke and the recorder on events with lone surrogates, and with "
    "an unknown field nested 600 deep",
    scale="2 events, each in its own process",
    outcome="exit 0, a contract-valid UTF-8 response on stdout, a non-empty UTF-8 recording line",
)
@pytest.mark.parametrize("kind", ["surrogates", "nested"])
def test_invoke_and_the_recorder_never_crash(tmp_path: Path, kind: str) -> None:
    event = surrogate_event() if kind == "surrogates" else lex_event("Help", session_id="deep")
    if kind == "nested":
        event["futureField"] = deeply_nested(600)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="ascii")  # \ud800 escaped, as Lex would send it
    assert json.loads(path.read_text()) is not None  # json.loads accepts it
    env = {
        **os.environ,
        "PROGRESS_STORE": "memory://",
        "LEX_RECORD_DIR": str(tmp_path / "recordings"),
        "PYTHONIOENCODING": "utf-8",
    }
    done = subprocess.run(
        [sys.executable, "-m", "lex_bot", "invoke", str(path)],
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    response = json.loads(done.stdout.decode("utf-8"))
    assert response["sessionState"]["dialogAction"]["type"]
    (recording,) = (tmp_path / "recordings").glob("*.jsonl")
    line = recording.read_bytes().decode("utf-8")
    assert line.strip() and json.loads(line)["response"] == response


@pytest.mark.reliability(
    area="Hostile input",
    tried="session attributes retrying plus failed_attempts=100 (the top of its range), then "
    "another unresolvable lesson name",
    scale="1 turn",
    outcome="the counter is clamped, not raised: the bot gives up politely (no 'something "
    "went wrong')",
)
def test_a_counter_at_the_top_of_its_range_is_clamped() -> None:
    event = lex_event(
        "StartLesson",
        {"LessonName": slot("quantum basket weaving")},
        source="DialogCodeHook",
        session_attributes={
            "lessonbot.retrying": "StartLesson.LessonName",
            "lessonbot.failed_attempts": "100",
        },
    )
    response = lambda_handler(event, None)
    assert EN("problem.internal_error") not in text(response)
    attributes = response["sessionState"].get("sessionAttributes", {})
    assert attributes.get("lessonbot.failed_attempts") in (
        None,
        "0",
    )


@pytest.mark.reliability(
    area="Hostile input",
    tried="a sessionId with a trailing newline ('learner-A\\n'), which $ would accept",
    scale="1 completion",
    outcome="the id is matched in full and reduced to a stable digest; the lesson is recorded",
)
def test_a_session_id_with_a_trailing_newline_still_saves(
    services: services_module.Services,
) -> None:
    event = lex_event(
        "CompleteLesson",
        {"LessonName": slot("what is programming", "python-intro/what-is-programming")},
        session_id="learner-A\n",
    )
    response = lambda_handler(event, None)
    assert "Well done on finishing \\u201cWhat Is Programming?\\u201d!" in text(response)
    assert services.store.get("learner-A").completed == {}


@pytest.mark.reliability(
    area="Hostile input",
    tried="typed session attributes that do not parse: JSON nested 1,000 deep, NaN, wrong "
    "types, a list for a counter",
    scale="4 attributes",
    outcome="each dropped and named in the turn's log line; the turn answers normally",
)
def test_typed_attributes_that_fail_to_parse_are_dropped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attributes = {  # the bot's own attributes live under "lessonbot."
        "lessonbot.offered": "[" * 1000 + "]" * 1000,
        "lessonbot.failed_attempts": "NaN",
        "lessonbot.offered_lesson": "x" * 300,
        "lessonbot.retrying": "StartLesson.LessonName",
    }
    with caplog.at_level(logging.INFO):
        response = lambda_handler(lex_event("Help", session_attributes=attributes), None)
    assert response["sessionState"]["dialogAction"]["type"] in ("Close", "ElicitIntent")
    (turn,) = [r for r in caplog.records if r.getMessage() == "turn answered"]
    problems = " ".join(turn.session_attribute_problems)
    assert "offered" in problems and "failed_attempts" in problems
    assert "offered_lesson" in problems


# ----------------------------------------------------------------------------- identity

ATTRIBUTE = "learnerId"


@pytest.fixture
def trusted_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNER_ID_ATTRIBUTE", ATTRIBUTE)


def complete(session_id: str, attributes: dict[str, str]) -> dict[str, Any]:
    event = lex_event(
        "CompleteLesson",
        {"LessonName": slot("what is programming", "python-intro/what-is-programming")},
        session_id=session_id,
        session_attributes=attributes,
    )
    return lambda_handler(event, None)


@pytest.mark.reliability(
    area="Identity",
    tried="LEARNER_ID_ATTRIBUTE set; an e-mail-like trusted id with '+', and the same id sent as "
    "the 51st session attribute",
    scale="2 turns",
    outcome="both stored under the trusted id, not the sessionId",
)
def test_e_mail_like_ids_and_the_51st_attribute_are_used(
    trusted_attribute: None, services: services_module.Services
) -> None:
    complete("session-1", {ATTRIBUTE: "ana+lessons@example.com"})
    many = {f"a{n:02d}": "x" for n in range(50)}
    complete("session-2", {**many, ATTRIBUTE: "ben+lessons@example.com"})
    assert list(services.store.get("ana+lessons@example.com").completed) == [
        "python-intro/what-is-programming"
    ]
    assert list(services.store.get("ben+lessons@example.com").completed) == [
        "python-intro/what-is-programming"
    ]
    assert services.store.get("session-1").completed == {}


@pytest.mark.reliability(
    area="Identity",
    tried="LEARNER_ID_ATTRIBUTE set but missing or invalid; a sessionId spelled like a learner's "
    "trusted id",
    scale="3 turns",
    outcome="a warning log line and a LearnerIdFallback metric each time; progress kept in the "
    "separate session# namespace, never under the learner's id",
)
def test_a_missing_trusted_id_falls_back_loudly_and_separately(
    trusted_attribute: None,
    services: services_module.Services,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    services.store.complete_lesson("ana@example.com", "python-intro/loops")
    with caplog.at_level(logging.WARNING):
        complete("ana@example.com", {})  # no attribute: the sessionId is not ana
        complete("ana@example.com", {ATTRIBUTE: "not a valid id\n"})
        complete("ana@example.com", {ATTRIBUTE: "x" * 129})
    warnings = [r for r in caplog.records if "learner id attribute" in r.getMessage()]
    assert [r.problem for r in warnings] == ["missing", "invalid", "invalid"]
    emitted = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith('{"_aws"')
    ]
    assert sum(1 for blob in emitted if "LearnerIdFallback" in blob) == 3
    assert list(services.store.get("ana@example.com").completed) == ["python-intro/loops"]
    fallback = services.store.get(services_module.SESSION_NAMESPACE + "ana@example.com")
    assert list(fallback.completed) == ["python-intro/what-is-programming"]


# ----------------------------------------------------------------------------- redaction

TRANSCRIPT_MARKER = "marker transcript zebra"
ORIGINAL_MARKER = "marker original okapi"


@pytest.mark.reliability(
    area="Privacy",
    tried="recordings in every LEX_RECORD_REDACT mode, grepped for the learner's words in the "
    "event and in the response (which echoes the slots)",
    scale="3 modes x 2 turns",
    outcome="transcripts: transcript gone everywhere; all: transcript and slot original values "
    "gone everywhere; none: kept",
)
@pytest.mark.parametrize("mode", [RedactMode.TRANSCRIPTS, RedactMode.ALL, RedactMode.NONE])
def test_recordings_hold_no_masked_words_anywhere(tmp_path: Path, mode: str) -> None:
    recorder = Recorder(tmp_path, mode)
    for source in ("DialogCodeHook", "FulfillmentCodeHook"):
        event = lex_event(
            "LessonInfo",
            {"LessonName": slot(ORIGINAL_MARKER, "python-intro/what-is-programming")},
            transcript=TRANSCRIPT_MARKER,
            source=source,
            session_id="redaction",
        )
        recorder(event, lambda_handler(event, None))
    recorded = (tmp_path / "redaction.jsonl").read_text(encoding="utf-8")
    responses = [json.loads(line)["response"] for line in recorded.splitlines()]
    assert any(ORIGINAL_MARKER in json.dumps(r) for r in responses) == (mode != RedactMode.ALL)
    assert (TRANSCRIPT_MARKER in recorded) == (mode == RedactMode.NONE)
    assert (ORIGINAL_MARKER in recorded) == (mode != RedactMode.ALL)
    if mode == RedactMode.ALL:
        assert REDACTED in json.dumps(responses)
