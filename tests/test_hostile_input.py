"""Hostile input through the real handler: each gets a polite, valid answer and a log line.

Every response here is also checked against the Lex contract by the conftest fixture.
"""

from __future__ import annotations

import json
import logging

import pytest

from lambda_function import lambda_handler
from lex_bot.devtools.event_factory import lex_event, slot


def event(
    intent: str,
    slots: dict | None = None,
    *,
    mode: str = "Text",
    source: str = "FulfillmentCodeHook",
    attributes: dict | None = None,
    transcript: str = "x",
) -> dict:
    return lex_event(
        intent,
        slots,
        input_mode=mode,
        source=source,
        state="InProgress",
        session_attributes=attributes,
        transcript=transcript,
        session_id="replay-session-1",
    )


def contents(response: dict) -> str:
    return " ".join(
        m.get("content") or m.get("imageResponseCard", {}).get("title", "")
        for m in response["messages"]
    )


@pytest.mark.reliability(
    area="Hostile input",
    tried=(
        "lesson names: path traversal, absolute paths, 100,000 characters, NUL bytes, "
        "right-to-left override, emoji, format strings"
    ),
    scale="8 values",
    outcome="the slot is re-asked politely; no value reaches a file path or course id",
)
@pytest.mark.parametrize(
    "value",
    [
        "../../etc/passwd",
        "python-intro/../../../etc/passwd",
        "/mnt/lessons/python-intro.yaml",
        "x" * 100_000,
        "loops\x00\x00; rm -rf /",
        "‮sdrawkcab",
        "🐍🐍🐍",
        "{title} {0} %s",
    ],
)
def test_hostile_lesson_names_are_re_asked_not_followed(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = lambda_handler(
            event("StartLesson", {"LessonName": slot(value)}, source="DialogCodeHook"), None
        )
    action = response["sessionState"]["dialogAction"]
    assert action["type"] == "ElicitSlot" and action["slotToElicit"] == "LessonName"
    assert "root:" not in contents(response)
    record = next(r for r in caplog.records if r.getMessage() == "lesson slot not resolved")
    assert record.slot == "LessonName" and 0 < record.value_chars <= len(value)
    assert all(value[:40] not in r.getMessage() for r in caplog.records)


@pytest.mark.reliability(
    area="Hostile input",
    tried="SSML injection in a slot value on a voice channel (</speak>, <audio>, &, <)",
    scale="3 values",
    outcome="escaped: exactly one <speak> element, no injected tags",
)
@pytest.mark.parametrize(
    "injection",
    ["</speak><audio src='https://evil.example/x.mp3'/><speak>", "<speak>hi</speak>", "a & b < c"],
)
def test_ssml_injection_is_escaped_on_voice(injection: str) -> None:
    response = lambda_handler(
        event(
            "StartLesson", {"LessonName": slot(injection)}, mode="Speech", source="DialogCodeHook"
        ),
        None,
    )
    ssml = [m["content"] for m in response["messages"] if m["contentType"] == "SSML"]
    assert ssml, "voice answers are SSML"
    for content in ssml:
        assert content.count("<speak>") == 1 and content.count("</speak>") == 1
        assert "<audio" not in content


@pytest.mark.reliability(
    area="Hostile input",
    tried="client-forged session attributes claiming progress, huge and out-of-range values",
    scale="5 attributes, up to 50,000 characters",
    outcome="ignored as authority; progress comes from the store; attributes bounded",
)
def test_forged_session_attributes_do_not_grant_progress(caplog: pytest.LogCaptureFixture) -> None:
    forged = {
        "completed": json.dumps(["python-intro/recursion", "python-intro/classes"]),
        "progress": "100",
        "lessonbot.failed_attempts": "9999",
        "lessonbot.offered_lesson": "python-intro/classes",
        "lessonbot.offered": "x" * 50_000,
    }
    with caplog.at_level(logging.INFO):
        response = lambda_handler(event("ShowProgress", attributes=forged), None)
    problems = next(
        r.session_attribute_problems for r in caplog.records if r.getMessage() == "turn answered"
    )
    assert any("offered" in p for p in problems)
    assert any("failed_attempts" in p for p in problems)
    assert "haven't mastered any" in contents(response)
    attributes = response["sessionState"]["sessionAttributes"]
    assert len(attributes.get("lessonbot.offered", "")) < 2_048
    assert attributes["lessonbot.failed_attempts"] == "0"


@pytest.mark.reliability(
    area="Hostile input",
    tried="a forged offered_lesson confirmed by the client to skip prerequisites",
    scale="1 conversation",
    outcome="prerequisites are re-checked; the locked lesson is not started",
)
def test_confirming_a_forged_offer_starts_nothing_locked() -> None:
    """A client cannot claim an offer to skip prerequisites: the offered lesson is re-checked."""
    forged = {"lessonbot.offered_lesson": "python-intro/classes"}
    e = event("StartLesson", {"LessonName": slot("classes")}, attributes=forged)
    e["sessionState"]["intent"]["confirmationState"] = "Confirmed"
    response = lambda_handler(e, None)
    assert response["sessionState"]["dialogAction"]["type"] in {"ConfirmIntent", "Close"}
    assert "Let's start Classes" not in contents(response)


@pytest.mark.reliability(
    area="Hostile input",
    tried="a 250,000-character transcript with 200 session attributes of 3,000 characters",
    scale="1 event (850 kB)",
    outcome="a normal answer under Lex's 25,000-character response budget",
)
def test_huge_transcript_and_many_attributes() -> None:
    attributes = {f"k{i}": "v" * 3_000 for i in range(200)}
    response = lambda_handler(
        event("Help", attributes=attributes, transcript="help " * 50_000), None
    )
    assert response["sessionState"]["dialogAction"]["type"] == "Close"
    assert len(json.dumps(response)) < 25_000
