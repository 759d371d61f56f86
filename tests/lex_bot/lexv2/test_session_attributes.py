"""Typed session attributes: strings on the wire, typed in handlers, hostile input dropped."""

from __future__ import annotations

import json
import logging

import pytest

from lex_bot.devtools.event_factory import lex_event
from lex_bot.lesson_app.app import handle
from lex_bot.lesson_app.session import LessonSession


def test_round_trip_through_strings() -> None:
    session = LessonSession(
        failed_attempts=2, offered_lesson="python-intro/loops", offered=["a/b", "a/c"]
    )
    wire = session.to_lex()
    assert all(isinstance(v, str) for v in wire.values())
    assert wire == {
        "lessonbot.failed_attempts": "2",
        "lessonbot.offered_lesson": "python-intro/loops",
        "lessonbot.offered": '["a/b","a/c"]',
    }
    again = LessonSession.parse(wire)
    assert again == session
    assert again.problems == []


def test_unknown_client_keys_are_kept_as_strings() -> None:
    session = LessonSession.parse({"theme": "dark", "lessonbot.failed_attempts": "1"})
    assert session.failed_attempts == 1
    assert session.to_lex()["theme"] == "dark"


def test_hostile_values_are_dropped_and_reported() -> None:
    session = LessonSession.parse(
        {
            "lessonbot.failed_attempts": 7,  # not a string
            "lessonbot.offered_lesson": "x" * 10_000,  # oversized
            "lessonbot.offered": "{not json",
            "": "an empty key (never from Lex)",
            "ok": "fine",
        }
    )
    assert session.failed_attempts == 0
    assert session.offered_lesson is None
    assert session.offered == []
    assert len(session.problems) == 4
    assert session.to_lex() == {
        "ok": "fine",
        "lessonbot.failed_attempts": "0",
    }


def test_out_of_range_value_is_dropped_but_others_survive() -> None:
    session = LessonSession.parse(
        {"lessonbot.failed_attempts": "-5", "lessonbot.offered_lesson": "python-intro/loops"}
    )
    assert session.failed_attempts == 0
    assert session.offered_lesson == "python-intro/loops"
    assert any("failed_attempts" in p for p in session.problems)


def test_none_and_non_map_inputs() -> None:
    assert LessonSession.parse(None).to_lex()["lessonbot.failed_attempts"] == "0"
    weird = LessonSession.parse(["not", "a", "map"])  # type: ignore[arg-type]
    assert weird.problems


def _client_attributes() -> dict[str, str]:
    """50 attributes a web client owns: a 3,000-character token, a 120-character key."""
    attributes = {f"client.setting{i}": f"value {i} ✓" for i in range(48)}
    attributes["idtokenjwt"] = "eyJ" + "x" * 2_997
    attributes["k" * 120] = "a key longer than 100 characters"
    return attributes


def test_fifty_client_attributes_come_back_byte_for_byte() -> None:
    client = _client_attributes()
    assert len(client) == 50 and len(client["idtokenjwt"]) == 3_000
    event = lex_event("StartLesson", {"LessonName": None}, session_attributes=dict(client))
    returned = handle(event)["sessionState"]["sessionAttributes"]
    assert {k: v for k, v in returned.items() if not k.startswith("lessonbot.")} == client
    assert "lessonbot.failed_attempts" in returned  # the bot's own state, in its namespace


def test_the_bot_drops_its_own_optional_state_first(caplog: pytest.LogCaptureFixture) -> None:
    client = {f"c{i}": "x" * 290 for i in range(39)}
    client["filler"] = "x" * (LessonSession.budget_bytes - len(json.dumps(client)) - 40)
    assert len(json.dumps(client)) <= LessonSession.budget_bytes  # the client's fit, just
    session = LessonSession.parse(client)
    session.offered = ["python-intro/loops"]
    with caplog.at_level(logging.WARNING, logger="lessonbot"):
        wire = session.to_lex()
    assert {k: v for k, v in wire.items() if k in client} == client
    assert "lessonbot.offered" not in wire
    record = next(r for r in caplog.records if "dropped" in r.getMessage())
    assert record.dropped[0] == "offered"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("e-acute-2000", "é" * 2_000),
        ("e-acute-3000", "é" * 3_000),
        ("emoji-1500", "😀" * 1_500),
        ("cjk-2000", "学习编程" * 500),
        ("ascii-3000", "x" * 3_000),
    ],
)
def test_non_ascii_client_attribute_lex_accepted_comes_back_unchanged(
    name: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Lex's 12 KB limit is bytes: "é" * 3000 is 6,000 UTF-8 bytes, well inside it, although
    # json.dumps's ASCII escapes write it as 18,000 characters.
    event = lex_event("ShowProgress", {}, session_attributes={"c": value})
    with caplog.at_level(logging.WARNING, logger="lessonbot"):
        returned = handle(event)["sessionState"]["sessionAttributes"]
    assert returned["c"] == value
    assert not [r for r in caplog.records if "did not come through Lex" in r.getMessage()]


def test_fifty_non_ascii_client_attributes_come_back_unchanged() -> None:
    # 50 attributes of é, emoji and CJK, each value 40 * 2 + 10 * 4 + 10 * 3 = 150 UTF-8 bytes:
    # about 8 KB in all, inside Lex's 12 KB, though json.dumps's escapes write 22,000 characters.
    client = {f"k{i}-é": ("é" * 40 + "😀" * 10 + "编程" * 5) for i in range(50)}
    event = lex_event("ShowProgress", {}, session_attributes=dict(client))
    returned = handle(event)["sessionState"]["sessionAttributes"]
    assert {k: v for k, v in returned.items() if not k.startswith("lessonbot.")} == client


def test_client_map_over_the_byte_budget_is_cut_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # 7,000 emoji are 28,000 UTF-8 bytes: more than Lex lets through, so not a real Lex turn.
    session = LessonSession.parse({"a": "ok", "b": "😀" * 7_000})
    with caplog.at_level(logging.WARNING, logger="lessonbot"):
        wire = session.to_lex()
    assert wire.get("a") == "ok" and "b" not in wire
    assert any("did not come through Lex" in r.getMessage() for r in caplog.records)
