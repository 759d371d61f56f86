"""A recommendation as one line of a list: title, minutes and why, in the learner's language.

The reasons themselves are phrased in one place for the bot and the authoring CLI:
:mod:`knowledge_graph.reason_text`.

Example:
    >>> from knowledge_graph.examples import example_graph
    >>> from lex_bot.lesson_app.messages import messages_for
    >>> graph = example_graph()
    >>> best = graph.recommend([], k=1)[0]
    >>> recommendation_line(messages_for("en_US"), graph, best).startswith(best.title)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge_graph.reason_text import because
from lex_bot.lesson_app.messages import Messages

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import LessonGraph, Recommendation


def recommendation_line(t: Messages, graph: LessonGraph, recommendation: Recommendation) -> str:
    """``Title (15 min): because ...`` for lists of recommendations."""
    lesson = graph.lesson(recommendation.lesson_id)
    why = because(graph, recommendation, t.locale)
    if why:
        return t("recommend.line", title=lesson.title, minutes=lesson.minutes, why=why)
    return t("recommend.line.plain", title=lesson.title, minutes=lesson.minutes)
