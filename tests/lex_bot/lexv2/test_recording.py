"""Recording conversations and replaying them through the handler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_function import lambda_handler
from lex_bot.devtools.event_factory import lex_event, slot
from lex_bot.devtools.replay import replay_path
from lex_bot.lesson_app import services as services_module
from lex_bot.lesson_app.app import app
from lex_bot.lesson_app.messages import messages_for
from lex_bot.lesson_app.progress_store import open_progress_store
from lex_bot.lexv2.recording import REDACTED, Recorder, RedactMode


def turn_event(intent: str, transcript: str, attributes: dict, slots: dict | None = None) -> dict:
    return lex_event(
        intent,
        slots,
        transcript=transcript,
        session_id="recorded-conversation",
        session_attributes=attributes,
    )


def run_conversation() -> list[dict]:
    """Three turns carrying session attributes from each response to the next, as Lex does."""
    attributes: dict = {}
    responses = []
    for intent, transcript, slots in [
        ("Greeting", "hi there", None),
        ("RecommendNextLesson", "what should I study after this", None),
        ("ShowProgress", "how far am I", None),
    ]:
        response = lambda_handler(turn_event(intent, transcript, attributes, slots), None)
        attributes = response["sessionState"].get("sessionAttributes", {})
        responses.append(response)
    return responses


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder(tmp_path / "recordings")
    monkeypatch.setattr(app, "_observers", [*app._observers, rec])
    return rec


def fresh_services() -> None:
    current = services_module.get_services()
    services_module.use_services(
        services_module.Services(
            graph_loader=current.graph_loader, store=open_progress_store("memory://")
        )
    )


def test_recorded_conversation_replays_identically(recorder: Recorder) -> None:
    run_conversation()
    files = list(recorder.directory.glob("*.jsonl"))
    assert len(files) == 1
    lines = files[0].read_text().splitlines()
    assert len(lines) == 3
    fresh_services()
    results = replay_path(recorder.directory, lambda_handler)
    assert [r.ok for r in results] == [True, True, True], "\n".join(r.diff for r in results)


@pytest.mark.reliability(
    area="Privacy",
    tried="recording conversations as replay fixtures (default settings)",
    scale="3 turns",
    outcome="transcripts redacted in the recorded fixtures",
)
def test_transcripts_are_redacted_by_default(recorder: Recorder) -> None:
    run_conversation()
    lines = next(recorder.directory.glob("*.jsonl")).read_text().splitlines()
    events = [json.loads(line)["event"] for line in lines]
    assert [event["inputTranscript"] for event in events] == [REDACTED] * 3
    # The learner's words (not also a button value the bot keeps in the session) never appear.
    assert all("what should I study after this" not in json.dumps(event) for event in events)


@pytest.mark.reliability(
    area="Privacy",
    tried="recording with LEX_RECORD_REDACT=all",
    scale="1 turn",
    outcome="transcripts and slot values redacted",
)
def test_all_mode_redacts_slot_original_values(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, RedactMode.ALL)
    event = turn_event(
        "LessonInfo", "tell me about my secret", {}, {"LessonName": slot("my secret")}
    )
    rec(event, {"sessionState": {"dialogAction": {"type": "Delegate"}}})
    text = next(tmp_path.glob("*.jsonl")).read_text()
    assert "tell me about" not in text
    slots = json.loads(text)["event"]["sessionState"]["intent"]["slots"]
    assert slots["LessonName"]["value"]["originalValue"] == REDACTED


def test_changed_wording_fails_the_replay_with_a_diff(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_conversation()
    fresh_services()
    english = messages_for("en_US")
    monkeypatch.setitem(english._own, "progress.none", "Nothing done yet, out of {lessons}.")
    results = replay_path(recorder.directory, lambda_handler)
    failed = [r for r in results if not r.ok]
    assert [r.turn for r in failed] == [3]
    assert "-" in failed[0].diff and "+" in failed[0].diff
    assert "Nothing done yet" in failed[0].diff


def test_recorder_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LEX_RECORD_DIR", raising=False)
    assert Recorder.from_env() is None
    monkeypatch.setenv("LEX_RECORD_DIR", str(tmp_path))
    monkeypatch.setenv("LEX_RECORD_REDACT", "all")
    rec = Recorder.from_env()
    assert rec is not None and rec.mode == RedactMode.ALL and rec.directory == tmp_path
