"""Amazon Lex V2 code hook events for the benchmark (the shape of ``tests/events/*.json``).

Example
-------
>>> event = recommend_event("learner-1")
>>> event["sessionState"]["intent"]["name"], event["sessionId"]
('RecommendNextLesson', 'learner-1')
>>> print(complete_event("learner-1", "Loops")["sessionState"]["intent"]["slots"]["Score"])
None
"""

from __future__ import annotations

from typing import Any

from lex_bot.devtools.event_factory import lex_event as make_event
from lex_bot.devtools.event_factory import slot


def lex_event(
    session_id: str, intent: str, slots: dict[str, Any], transcript: str
) -> dict[str, Any]:
    """A fulfillment code hook event for ``intent`` from the project's one event factory."""
    return make_event(intent, slots, transcript=transcript, session_id=session_id)


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
