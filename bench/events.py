"""Amazon Lex V2 code hook events for the benchmark (the shape of ``tests/events/*.json``).

Example
-------
>>> event = recommend_event("learner-1")
>>> event["sessionState"]["intent"]["name"], event["sessionId"]
('RecommendNextLesson', 'learner-1')
>>> complete_event("learner-1", "Loops")["sessionState"]["intent"]["slots"]["Score"]
"""

from __future__ import annotations

from typing import Any


def slot(value: str) -> dict[str, Any]:
    """A filled scalar slot as Lex sends it."""
    return {
        "shape": "Scalar",
        "value": {"originalValue": value, "interpretedValue": value, "resolvedValues": []},
    }


def lex_event(
    session_id: str, intent: str, slots: dict[str, Any], transcript: str
) -> dict[str, Any]:
    """A fulfillment code hook event for ``intent`` (state ``ReadyForFulfillment``).

    Parameters
    ----------
    session_id : str
        The Lex session id; the bot uses it as the learner id.
    intent : str
        Intent name, e.g. ``"RecommendNextLesson"``.
    slots : dict
        Slot name to slot value (``None`` or :func:`slot`).
    transcript : str
        What the learner typed.
    """
    intent_block = {
        "name": intent,
        "slots": slots,
        "state": "ReadyForFulfillment",
        "confirmationState": "None",
    }
    return {
        "messageVersion": "1.0",
        "invocationSource": "FulfillmentCodeHook",
        "inputMode": "Text",
        "responseContentType": "text/plain; charset=utf-8",
        "sessionId": session_id,
        "inputTranscript": transcript,
        "invocationLabel": None,
        "bot": {
            "id": "ABCDEFGHIJ",
            "name": "LessonBot",
            "aliasId": "TSTALIASID",
            "aliasName": "TestBotAlias",
            "localeId": "en_US",
            "version": "DRAFT",
        },
        "interpretations": [
            {"intent": dict(intent_block), "nluConfidence": 0.91, "interpretationSource": "Lex"},
            {
                "intent": {
                    "name": "FallbackIntent",
                    "slots": {},
                    "state": "InProgress",
                    "confirmationState": "None",
                }
            },
        ],
        "proposedNextState": None,
        "requestAttributes": None,
        "sessionState": {
            "activeContexts": [],
            "intent": intent_block,
            "originatingRequestId": "bench-request",
        },
        "transcriptions": [],
    }


def recommend_event(session_id: str) -> dict[str, Any]:
    """ "What should I learn next?" """
    return lex_event(session_id, "RecommendNextLesson", {}, "what should I learn next")


def complete_event(session_id: str, lesson_title: str) -> dict[str, Any]:
    """ "I finished <lesson>" (no score: full mastery)."""
    slots = {"LessonName": slot(lesson_title), "Score": None}
    return lex_event(session_id, "CompleteLesson", slots, f"I finished {lesson_title}")


def learning_path_event(session_id: str, goal_title: str) -> dict[str, Any]:
    """ "How do I get to <goal>?" """
    slots = {"GoalLesson": slot(goal_title)}
    return lex_event(session_id, "ShowLearningPath", slots, f"how do I get to {goal_title}")
