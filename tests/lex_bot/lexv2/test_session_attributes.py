"""Typed session attributes: strings on the wire, typed in handlers, hostile input dropped."""

from __future__ import annotations

from lex_bot.lesson_app.session import LessonSession


def test_round_trip_through_strings() -> None:
    session = LessonSession(
        failed_attempts=2, offered_lesson="python-intro/loops", last_recommendations=["a/b", "a/c"]
    )
    wire = session.to_lex()
    assert all(isinstance(v, str) for v in wire.values())
    assert wire == {
        "failed_attempts": "2",
        "offered_lesson": "python-intro/loops",
        "last_recommendations": '["a/b","a/c"]',
    }
    again = LessonSession.parse(wire)
    assert again == session
    assert again.problems == []


def test_unknown_client_keys_are_kept_as_strings() -> None:
    session = LessonSession.parse({"theme": "dark", "failed_attempts": "1"})
    assert session.failed_attempts == 1
    assert session.to_lex()["theme"] == "dark"


def test_hostile_values_are_dropped_and_reported() -> None:
    session = LessonSession.parse(
        {
            "failed_attempts": 7,  # not a string
            "offered_lesson": "x" * 10_000,  # oversized
            "last_recommendations": "{not json",
            "": "empty key",
            "ok": "fine",
        }
    )
    assert session.failed_attempts == 0
    assert session.offered_lesson is None
    assert session.last_recommendations == []
    assert len(session.problems) == 4
    assert session.to_lex() == {"ok": "fine", "failed_attempts": "0", "last_recommendations": "[]"}


def test_out_of_range_value_is_dropped_but_others_survive() -> None:
    session = LessonSession.parse({"failed_attempts": "-5", "offered_lesson": "python-intro/loops"})
    assert session.failed_attempts == 0
    assert session.offered_lesson == "python-intro/loops"
    assert any("failed_attempts" in p for p in session.problems)


def test_none_and_non_map_inputs() -> None:
    assert LessonSession.parse(None).to_lex()["failed_attempts"] == "0"
    weird = LessonSession.parse(["not", "a", "map"])  # type: ignore[arg-type]
    assert weird.problems
