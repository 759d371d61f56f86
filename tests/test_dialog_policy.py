"""The dialog policy (docs/DIALOG.md): slot questions never swallow a new request.

Recorded events replay the examples of the issue; a property test holds the policy over
generated dialog states.
"""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import ROOT

from lambda_function import lambda_handler
from lex_bot.devtools.bot_definition import load_bot_definition
from lex_bot.devtools.event_factory import lex_event, slot
from lex_bot.devtools.local_chat import LocalLex
from lex_bot.lexv2.dialog_policy import DialogPolicy
from lex_bot.lexv2.events import LexEvent

EVENTS_DIR = ROOT / "tests" / "events"
CONTEXT = SimpleNamespace(aws_request_id="req-dialog")


def load(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text())


def _slot_value(response: dict, name: str) -> dict:
    return response["sessionState"]["intent"]["slots"][name]["value"]


def test_lex_resolved_value_is_taken_before_the_interpreted_value(services) -> None:
    response = lambda_handler(load("lesson_info_lex_resolved_value.json"), CONTEXT)
    assert response["sessionState"]["dialogAction"]["type"] == "Delegate"
    assert _slot_value(response, "LessonName")["interpretedValue"] == "python-intro/final-project"
    attributes = response["sessionState"]["sessionAttributes"]
    assert attributes["lessonbot.failed_attempts"] == "0"


def test_a_question_at_a_slot_question_is_answered_and_records_nothing(services) -> None:
    event = load("complete_lesson_slot_answer_is_a_question.json")
    response = lambda_handler(event, CONTEXT)
    assert response["sessionState"]["intent"]["name"] == "ShowPrerequisites"
    assert not services.progress_store().get(event["sessionId"]).completed


def test_a_score_out_of_range_counts_against_the_retry_budget() -> None:
    response = lambda_handler(load("complete_lesson_score_out_of_range.json"), CONTEXT)
    assert response["sessionState"]["dialogAction"] == {
        "type": "ElicitSlot",
        "slotToElicit": "Score",
    }
    assert response["sessionState"]["sessionAttributes"]["lessonbot.failed_attempts"] == "1"


def test_a_key_press_picks_the_offered_choice() -> None:
    response = lambda_handler(load("start_lesson_dtmf_key_picks_a_choice.json"), CONTEXT)
    assert _slot_value(response, "LessonName")["interpretedValue"] == "python-intro/unit-testing"


def test_a_listed_value_that_reads_like_a_question_is_an_answer() -> None:
    """ "What Is Programming?" is a lesson: Lex resolved it, so it answers the question."""
    raw = lex_event(
        "StartLesson",
        {"LessonName": slot("what is programming?", "What Is Programming?")},
        source="DialogCodeHook",
        transcript="what is programming?",
        interpretations=[
            {"intent": {"name": "StartLesson", "slots": {}}},
            {"intent": {"name": "LessonInfo", "slots": {}}, "nluConfidence": 0.41},
        ],
    )
    raw["sessionState"]["intent"]["slots"]["LessonName"]["value"]["resolvedValues"] = [
        "What Is Programming?"
    ]
    assert DialogPolicy().switch(LexEvent.model_validate(raw), "StartLesson.LessonName") is None


# --------------------------------------------------------------------------- property

#: How to leave the bot waiting for each slot: what the learner says first.
ELICITATIONS = {
    "StartLesson.LessonName": "start a lesson",
    "CompleteLesson.LessonName": "I finished quantum physics",
    "LessonInfo.LessonName": "lesson info",
    "ShowPrerequisites.LessonName": "show prerequisites",
    "SetLearningGoal.GoalLesson": "set a goal",
    "CompleteLesson.Score": "I finished installing python with a score of 150",
}
#: Mostly lessons a new learner can finish (a locked one would only ask "Mark it finished?").
LESSONS = ["Installing Python", "What Is Programming?", "installing python", "Recursion"]


def _requests() -> list[str]:
    """Sample utterances, naming a lesson, of the intents that do not record a completion:
    the ones Lex reads as a value of a pending lesson slot (the others switch in Lex)."""
    definition = load_bot_definition()
    out = []
    for name, intent in definition.intents.items():
        if name in ("CompleteLesson", "FallbackIntent", "ResetProgress"):
            continue
        out.extend(u for u in intent.utterances.get("en_US", []) if "{" in u)
    return out


REQUESTS = _requests()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pending=st.sampled_from(sorted(ELICITATIONS)),
    request=st.sampled_from(REQUESTS),
    lesson=st.sampled_from(LESSONS),
)
def test_a_request_of_another_intent_never_records_a_completion(
    services, pending: str, request: str, lesson: str
) -> None:
    lex = LocalLex(session_id=f"prop-{uuid.uuid4().hex[:12]}")
    first = lex.send(ELICITATIONS[pending])
    assert f"{first.intent}.{first.slot_to_elicit}" == pending
    utterance = request.split("#")[0].strip()
    for placeholder in ("{LessonName}", "{GoalLesson}", "{Module}"):
        utterance = utterance.replace(placeholder, lesson)
    lex.send(utterance)
    progress = services.progress_store().get(lex.session_id)
    assert not progress.completed, f"{utterance!r} at {pending} recorded {progress.completed}"


@pytest.mark.parametrize("pending", sorted(ELICITATIONS))
def test_every_elicitation_of_the_property_test_is_reachable(pending: str) -> None:
    lex = LocalLex(session_id=f"reach-{uuid.uuid4().hex[:12]}")
    first = lex.send(ELICITATIONS[pending])
    assert f"{first.intent}.{first.slot_to_elicit}" == pending
