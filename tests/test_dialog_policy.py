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


# --------------------------------------------------------------------------- Lex's confidences

#: Replayed events shaped as real Lex sends them at "Which lesson do you mean?", each with
#: Lex's own ``interpretations[].nluConfidence``: the intent the turn is answered as.
LEX_CONFIDENCE_EVENTS = {
    # another intent at 0.82 (>= 0.75, above the pending intent's 0.31): a clear request
    "start_lesson_lex_confidence_switches.json": "ResetProgress",
    # another intent at 0.62, below 0.75, and no question: the slot's answer
    "start_lesson_lex_confidence_below_switch_is_an_answer.json": "StartLesson",
    # the pending intent itself is more confident (0.93 > 0.81): the slot's answer
    "start_lesson_lex_own_intent_more_confident.json": "StartLesson",
    # a question whose best other intent is below 0.4: not an answer, and not understood
    # (FallbackIntent answers with ElicitIntent, which names no intent)
    "start_lesson_lex_question_low_confidence_falls_back.json": "ElicitIntent",
}


@pytest.mark.parametrize("name", sorted(LEX_CONFIDENCE_EVENTS))
def test_the_policy_reads_lex_own_nlu_confidence(name: str) -> None:
    response = lambda_handler(load(name), CONTEXT)
    state = response["sessionState"]
    answered = state["intent"]["name"] if "intent" in state else state["dialogAction"]["type"]
    assert answered == LEX_CONFIDENCE_EVENTS[name]


# --------------------------------------------------------------------------- Spanish words


@pytest.mark.parametrize(
    ("said", "expected"),
    [("sí", True), ("claro", True), ("dale", True), ("vale", True), ("no gracias", False),
     ("no", False), ("mejor no", False)],
)  # fmt: skip
def test_spanish_yes_and_no(said: str, expected: bool) -> None:
    from lex_bot.devtools.local_nlu import Confirmation, confirmation_of
    from lex_bot.lesson_app.answers import yes_or_no

    assert yes_or_no(said, "es_US") is expected
    wanted = Confirmation.CONFIRMED if expected else Confirmation.DENIED
    assert confirmation_of(said) is wanted


@pytest.mark.parametrize(
    ("said", "index"),
    [("la segunda", 1), ("el primero", 0), ("segunda opción", 1), ("la tercera", 2),
     ("opción 2", 1), ("la última", 4), ("número dos", 1)],
)  # fmt: skip
def test_spanish_ordinals(said: str, index: int) -> None:
    from lex_bot.lesson_app.answers import choice_index

    assert choice_index(said, "es_US", 5) == index


@pytest.mark.parametrize("said", ["sin nota", "omitir", "saltar", "sin puntuación"])
def test_spanish_skip_forms(said: str) -> None:
    from lex_bot.lesson_app.answers import is_skip

    assert is_skip(said, "es_US")


@pytest.mark.parametrize("said", ["más", "el resto", "siguiente página", "muéstrame el resto"])
def test_spanish_continuations_are_show_more(said: str) -> None:
    lex = LocalLex(session_id=f"mas-{uuid.uuid4().hex[:12]}", locale="es_US")
    lex.send("mi meta es capstone")
    lex.send("muestra mi ruta de aprendizaje")
    assert lex.session_attributes.get("lessonbot.more")
    result = lex.send(said)
    assert result.intent == "ShowMore"
    assert "9." in result.reply_text()


def test_a_score_said_at_which_lesson_is_the_score_not_a_lesson_name(services) -> None:
    """Lex fills LessonName with "I scored 70" (original-value resolution): the bot keeps 70
    as the Score, asks for the lesson again, counts no failure and records nothing."""
    event = load("complete_lesson_score_said_at_lesson_question.json")
    response = lambda_handler(event, CONTEXT)
    state = response["sessionState"]
    assert state["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "LessonName"}
    assert _slot_value(response, "Score")["interpretedValue"] == "70"
    assert state["intent"]["slots"]["LessonName"] is None
    assert state["sessionAttributes"].get("lessonbot.failed_attempts", "0") == "0"
    assert not services.progress_store().get(event["sessionId"]).completed
