"""The local chat: Lex's dialog manager around the real handler, scripts, and the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from paths import CONVERSATIONS as CONVERSATIONS_DIR
from paths import ROOT

from lex_bot.devtools.cli import main
from lex_bot.devtools.local_chat import LexTurnResult, LocalLex, run_script
from lex_bot.lesson_app import services as services_module
from lex_bot.lexv2.events import LexEvent

CONVERSATIONS = sorted(CONVERSATIONS_DIR.glob("*.txt"))
QUIET_ENV = (
    "LOG_LEVEL",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_METRICS_DISABLED",
    "PROGRESS_STORE",
    "TRANSITIONS_SNAPSHOT",
)


def test_there_are_conversations():
    assert len(CONVERSATIONS) >= 2


@pytest.mark.parametrize("script", CONVERSATIONS, ids=lambda p: p.name)
def test_scripted_conversation_passes(script: Path):
    result = run_script(script.read_text(encoding="utf-8"), LocalLex())
    assert result.ok, "\n".join(str(f) for f in result.failures)
    assert result.responses >= result.turns > 10


def _run_recording(script: Path) -> tuple[dict[tuple[str, bool], set[str]], list[str]]:
    """Run a script; return the intents called per (locale, voice) and every SSML message
    said in es_US."""
    seen: dict[tuple[str, bool], set[str]] = {}
    spanish_speech: list[str] = []
    lex = LocalLex()
    original_send = lex.send

    def send(text: str) -> LexTurnResult:
        result = original_send(text)
        seen.setdefault((lex.locale, lex.is_voice), set()).update(
            c.event["sessionState"]["intent"]["name"] for c in result.calls
        )
        if lex.locale == "es_US":
            spanish_speech.extend(
                m["content"] for m in result.messages if m.get("contentType") == "SSML"
            )
        return result

    lex.send = send  # type: ignore[method-assign]
    assert run_script(script.read_text(encoding="utf-8"), lex).ok
    return seen, spanish_speech


def test_conversations_use_every_intent_in_both_locales_and_by_voice():
    from lex_bot.devtools.bot_definition import load_bot_definition

    seen: dict[tuple[str, bool], set[str]] = {}
    for script in CONVERSATIONS:
        for key, intents in _run_recording(script)[0].items():
            seen.setdefault(key, set()).update(intents)
    intents = set(load_bot_definition().intents)
    for locale in ("en_US", "es_US"):
        assert seen.get((locale, False), set()) | seen.get((locale, True), set()) == intents
        assert seen.get((locale, True)) == intents, f"{locale} by voice"


#: Words of English that no Spanish answer uses: outside a <lang xml:lang="en-US"> element
#: (course content a course does not translate), a Spanish voice answer must not say them.
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "lesson",
        "lessons",
        "minute",
        "minutes",
        "module",
        "modules",
        "start",
        "started",
        "what",
        "which",
        "with",
        "would",
        "like",
        "shall",
        "we",
        "mastered",
        "finish",
        "finished",
        "next",
        "help",
        "about",
        "learn",
        "progress",
        "goal",
        "yes",
        "of",
        "to",
        "is",
        "it",
        "in",
        "on",
        "or",
        "say",
        "press",
    ]
)


def _outside_lang(ssml: str) -> str:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(ssml)
    parts = [root.text or ""]
    for child in root:
        if child.tag != "lang":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join(parts)


def test_spanish_voice_says_no_english_outside_lang_marks():
    said = [m for script in CONVERSATIONS for m in _run_recording(script)[1]]
    assert len(said) > 30
    for ssml in said:
        words = set(re.findall(r"[a-záéíóúñü]+", _outside_lang(ssml).casefold()))
        assert not words & ENGLISH_WORDS, (sorted(words & ENGLISH_WORDS), ssml)


@pytest.mark.parametrize("script", CONVERSATIONS, ids=lambda p: p.name)
def test_each_spoken_answer_says_what_the_text_answer_says(script: Path):
    """Every voice turn of a script is also sent, by a second learner with the same history,
    on text: where both turns end the same way, the spoken answer names the same titles,
    modules and numbers as the text answer (``speech_lint.compare_forms``)."""
    from html import escape

    from course_names import content_names

    from lex_bot.devtools.speech_lint import compare_forms

    names = content_names()
    voice, text = LocalLex(), LocalLex(input_mode="Text")
    compared: list[str] = []
    problems: list[str] = []
    original_send, original_reset = voice.send, voice.reset_session

    def reset_session() -> None:
        original_reset()
        text.reset_session()

    def send(said: str) -> LexTurnResult:
        if text.session_id != f"{voice.session_id}~text":
            text.session_id = f"{voice.session_id}~text"
            text.reset_session()
        text.locale = voice.locale
        shown = text.send(said)
        heard = original_send(said)
        same_turn = (shown.intent, shown.dialog_action) == (heard.intent, heard.dialog_action)
        if voice.input_mode == "Speech" and same_turn:
            spoken = [
                m["content"]
                if m.get("contentType") == "SSML"
                else f"<speak>{escape(m['content'])}</speak>"
                for m in heard.messages
                if m.get("content")
            ]
            plain = "\n".join(
                m["content"] for m in shown.messages if m.get("contentType") == "PlainText"
            )
            offered = [b["text"] for b in shown.buttons]
            compared.append(said)
            problems.extend(
                f"{said!r}: {p}" for p in compare_forms(plain, spoken, names, offered=offered)
            )
        return heard

    voice.send = send  # type: ignore[method-assign]
    voice.reset_session = reset_session  # type: ignore[method-assign]
    run_script(script.read_text(encoding="utf-8"), voice)
    assert not problems
    if "@voice" in script.read_text(encoding="utf-8"):
        assert compared


def test_a_failed_expectation_fails_the_script_naming_the_line():
    result = run_script("> hello\n# a comment\n? no such words in any greeting", LocalLex())
    assert not result.ok
    assert [f.line for f in result.failures] == [3]
    assert "reply lacks" in result.failures[0].reason


@pytest.mark.parametrize(
    "line",
    ["?intent Goodbye", "?action ElicitSlot", "?state Failed", "?slot LessonName", "?no-card",
     "?! hi", "@nonsense", "what is this"],
)  # fmt: skip
def test_each_kind_of_expectation_can_fail(line: str):
    assert not run_script(f"> hello\n{line}", LocalLex()).ok


def test_a_contract_violation_fails_the_script():
    from lambda_function import lambda_handler

    def broken(event, context):
        response = lambda_handler(event, context)
        response["sessionState"]["dialogAction"]["type"] = "Finish"  # not a Lex action
        return response

    result = run_script("> hello\n? 52 lessons", LocalLex(handler=broken))
    assert not result.ok
    assert any("contract violation" in f.reason for f in result.failures)


def test_events_are_genuine_and_hooks_follow_the_definition():
    lex = LocalLex(session_id="hooks-learner")
    greeting = lex.send("hello")
    assert [c.event["invocationSource"] for c in greeting.calls] == ["FulfillmentCodeHook"]
    start = lex.send("start for loops")
    assert [c.event["invocationSource"] for c in start.calls] == [
        "DialogCodeHook",
        "FulfillmentCodeHook",
    ]
    fulfil = start.calls[1].event
    assert fulfil["sessionState"]["intent"]["state"] == "ReadyForFulfillment"
    for call in [*greeting.calls, *start.calls]:
        event = LexEvent.model_validate(call.event)
        assert event.session_id == "hooks-learner"
        assert event.bot.locale_id == "en_US"
        assert call.event["responseContentType"].startswith("text/plain")


def test_a_clear_request_while_a_lesson_is_asked_for_switches_intent():
    lex = LocalLex(session_id="switch-learner")
    assert lex.send("start quantum physics").slot_to_elicit == "LessonName"
    switched = lex.send("reset my progress please")
    assert (switched.intent, switched.dialog_action) == ("ResetProgress", "ConfirmIntent")
    assert lex.send("no").intent_state == "Fulfilled"


def test_a_named_lesson_in_a_phrase_answers_the_question():
    lex = LocalLex(session_id="phrase-learner")
    assert lex.send("start quantum physics").slot_to_elicit == "LessonName"
    answered = lex.send("start installing python")
    slot = answered.calls[0].event["sessionState"]["intent"]["slots"]["LessonName"]["value"]
    assert (slot["originalValue"], slot["interpretedValue"]) == (
        "installing python",
        "Installing Python",
    )
    assert answered.intent_state == "Fulfilled"


def test_failed_lesson_names_count_in_a_row_only():
    lex = LocalLex(session_id="in-a-row-learner")
    assert lex.send("start quantum physics").slot_to_elicit == "LessonName"
    assert lex.send("string theory").slot_to_elicit == "LessonName"
    assert lex.session_attributes.get("lessonbot.failed_attempts") == "2"
    moved_on = lex.send("how am I doing")  # the learner moves on: the tries no longer count
    assert moved_on.intent == "ShowProgress"
    assert lex.session_attributes.get("lessonbot.failed_attempts") == "0"
    again = lex.send("start quantum physics")
    assert (again.dialog_action, lex.session_attributes.get("lessonbot.failed_attempts")) == (
        "ElicitSlot",
        "1",
    )
    assert lex.send("string theory").slot_to_elicit == "LessonName"
    gave_up = lex.send("dark matter")
    assert (gave_up.dialog_action, gave_up.intent_state) == ("Close", "Failed")


def test_session_attributes_and_elicitation_carry_between_turns():
    lex = LocalLex(session_id="carry-learner")
    first = lex.send("start python")
    assert (first.dialog_action, first.slot_to_elicit) == ("ElicitSlot", "LessonName")
    assert lex.session_attributes.get("lessonbot.failed_attempts") == "1"
    second = lex.send("installing python")
    event = second.calls[0].event
    assert event["sessionState"]["sessionAttributes"]["lessonbot.failed_attempts"] == "1"
    assert event["sessionState"]["intent"]["name"] == "StartLesson"
    slot = event["sessionState"]["intent"]["slots"]["LessonName"]["value"]
    assert slot["interpretedValue"] == "Installing Python"
    assert second.intent_state == "Fulfilled"


def test_lex_elicits_a_missing_required_slot_with_its_prompt():
    lex = LocalLex()
    result = lex.send("start a lesson")
    assert [c.event["invocationSource"] for c in result.calls] == ["DialogCodeHook"]
    assert result.calls[0].event["proposedNextState"]["dialogAction"]["slotToElicit"] == (
        "LessonName"
    )
    assert (result.dialog_action, result.slot_to_elicit) == ("ElicitSlot", "LessonName")


def test_voice_mode_sends_speech_events_and_gets_no_cards():
    lex = LocalLex(input_mode="Speech")
    result = lex.send("help")
    event = result.calls[0].event
    assert event["inputMode"] == "Speech"
    assert event["transcriptions"][0]["transcription"] == "help"
    assert [m["contentType"] for m in result.messages] == ["SSML"]
    assert result.buttons == []


def test_progress_survives_a_restart(tmp_path: Path, monkeypatch, bundled_graph_loader):
    monkeypatch.setenv("PROGRESS_STORE", f"sqlite:///{tmp_path / 'progress.db'}")
    services_module.use_services(services_module.Services(graph_loader=bundled_graph_loader))
    lex = LocalLex(session_id="restart")
    assert lex.send("I finished what is programming").intent_state == "Fulfilled"

    services_module.use_services(None)  # a new process: fresh services, the store reopened
    services_module.use_services(services_module.Services(graph_loader=bundled_graph_loader))
    progress = LocalLex(session_id="restart").send("show my progress")
    assert "1 of 52" in progress.reply_text()


def _quiet_env(monkeypatch) -> None:
    """Let ``main`` quieten the environment for this test only."""
    import logging

    from lex_bot.lexv2.observability import get_logger

    get_logger()  # created (and cached) with the suite's log level, not the chat's
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", root.level)
    for name in QUIET_ENV:
        monkeypatch.setenv(name, os.environ.get(name, ""))
        monkeypatch.delenv(name)


def test_invoke_prints_the_response_and_checks_the_contract(monkeypatch, capsys):
    _quiet_env(monkeypatch)
    monkeypatch.setenv("PROGRESS_STORE", "memory://")
    assert main(["invoke", str(ROOT / "tests/events/greeting_text_fulfillment.json")]) == 0
    response = json.loads(capsys.readouterr().out)
    assert response["sessionState"]["dialogAction"]["type"] == "Close"


def test_chat_script_exit_codes(tmp_path: Path, monkeypatch, capsys):
    _quiet_env(monkeypatch)
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("> hello\n? 52 lessons\n", encoding="utf-8")
    bad.write_text("> hello\n? words that never appear\n", encoding="utf-8")
    assert main(["chat", "--script", str(good), "--quiet"]) == 0
    assert main(["chat", "--script", str(bad), "--quiet"]) == 1
    assert "line 2" in capsys.readouterr().err


def test_the_chat_command_keeps_progress_across_processes(tmp_path: Path):
    env = {**os.environ, "PROGRESS_STORE": f"sqlite:///{tmp_path / 'progress.db'}"}
    env.pop("LESSON_GRAPH_PATH", None)
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("> I finished what is programming\n? Well done on finishing “What Is\n")
    second.write_text("> how am I doing\n? 1 of 52 lessons\n")
    for script in (first, second):
        done = subprocess.run(
            [sys.executable, "-m", "lex_bot", "chat", "--script", str(script), "--quiet"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_script_starts_from_a_fresh_learner_every_run(tmp_path: Path):
    """Without ``PROGRESS_STORE``, ``chat --script`` keeps no progress between runs (as the
    tests run scripts), so a script that records a completion passes every time."""
    env = {k: v for k, v in os.environ.items() if k not in {"PROGRESS_STORE", "LESSON_GRAPH_PATH"}}
    script = tmp_path / "once.txt"
    script.write_text("> I finished what is programming\n? Well done on finishing “What Is\n")
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "lex_bot", "chat", "--script", str(script), "--quiet"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


def test_text_and_card_name_the_same_choices():
    """Over every scripted conversation, each reply with a card (``choices_check``)."""
    from choices_check import mismatches

    checked = 0
    for script in CONVERSATIONS:
        lex = LocalLex()
        original_send = lex.send

        def send(text: str, lex: LocalLex = lex, original_send=original_send, name=script.name):
            result = original_send(text)
            nonlocal checked
            if result.buttons and lex.input_mode == "Text":
                problems = mismatches(result.messages, result.dialog_action, lex.locale)
                assert not problems, f"{name}: {text!r}: {problems}"
                checked += 1
            return result

        lex.send = send  # type: ignore[method-assign]
        assert run_script(script.read_text(encoding="utf-8"), lex).ok
    assert checked > 30
