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


def recommendation_line(
    t: Messages,
    graph: LessonGraph,
    recommendation: Recommendation,
    key: str = "recommend.line",
    *,
    why: bool = True,
    reasons: int = 2,
) -> str:
    """``Title (15 min): because ...`` for lists of recommendations (``key``; ``key.plain``
    without a reason, or with ``why=False``), with up to ``reasons`` (1 or 2) reasons.
    ``t`` may be the spoken catalogue: "Title, 15 minutes: because ...", with the titles
    the reason names marked with their language.
    """
    lesson = graph.lesson(recommendation.lesson_id)
    reason = because(graph, recommendation, t.locale, limit=reasons) if why else ""
    values = {
        "title": t.title(lesson),
        "minutes": lesson.minutes,
        "duration": t.minutes(lesson.minutes),
    }
    if reason:
        named = [graph.lesson(i) for r in recommendation.reasons for i in r.lessons if i in graph]
        return t(key, why=t.marked(reason, named), **values)
    return t(f"{key}.plain", **values)
