"""Phrase the recommender's structured reasons as sentences in the learner's language.

Example:
    >>> because(t, graph, recommendation)
    'it follows For Loops, which you just finished, and it unlocks 4 more lessons'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lex_bot.messages import Messages

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import LessonGraph, Reason, Recommendation


def _titles(graph: LessonGraph, ids: tuple[str, ...], t: Messages, limit: int = 2) -> str:
    titles = [graph.lesson(i).title for i in ids[:limit] if i in graph]
    return t.join(titles, "and")


def reason_text(t: Messages, graph: LessonGraph, reason: Reason) -> str | None:
    """One reason as a clause, or ``None`` when the catalogue has no phrasing for it."""
    key = f"reason.{reason.kind.value}"
    if not t.has(key):
        return None
    count = reason.count or len(reason.lessons)
    if count == 1 and t.has(f"{key}.one"):  # "1 more lesson", not "1 more lessons"
        key = f"{key}.one"
    return t(key, lessons=_titles(graph, reason.lessons, t), count=count)


def because(t: Messages, graph: LessonGraph, recommendation: Recommendation) -> str:
    """The first two reasons of a recommendation as one clause ("" when none).

    Two reasons are joined by the catalogue's ``reason.and``; more would make a sentence too
    long to listen to.
    """
    clauses = [c for r in recommendation.reasons if (c := reason_text(t, graph, r))]
    if len(clauses) >= 2:
        return t("reason.and", first=clauses[0], second=clauses[1])
    return clauses[0] if clauses else ""


def recommendation_line(t: Messages, graph: LessonGraph, recommendation: Recommendation) -> str:
    """``Title (15 min): because ...`` for lists of recommendations."""
    lesson = graph.lesson(recommendation.lesson_id)
    why = because(t, graph, recommendation)
    if why:
        return t("recommend.line", title=lesson.title, minutes=lesson.minutes, why=why)
    return t("recommend.line.plain", title=lesson.title, minutes=lesson.minutes)
