"""What the bot may offer for a lesson, read from the one source of a lesson's state.

Every button and every yes/no offer about a lesson goes through :func:`offer_for`: a lesson
that can be started gets "Start" (or "Retake" when attempted below the mastery threshold), a
mastered lesson only "Review", and a locked lesson never a button of its own, only one for
the first lesson on the minimal path to it, which can be started now
(:class:`knowledge_graph.LessonState`).

Example:
    >>> from knowledge_graph.examples import example_graph
    >>> from lex_bot.lesson_app.messages import messages_for
    >>> graph, t = example_graph(), messages_for("en_US")
    >>> offer_for(t, graph, graph.state("recursion", ["variables"]))
    ('Start For Loops', 'start For Loops')
    >>> offer_for(t, graph, graph.state("variables", ["variables"]))
    ('Review Variables', 'start Variables')
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from babel.numbers import format_decimal

from knowledge_graph import MASTERY_THRESHOLD, LessonStatus
from lex_bot.lesson_app.lesson_slots import action_choice, action_label
from lex_bot.lesson_app.messages import Messages

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import LessonGraph, LessonState
    from knowledge_graph.index import Progress

Choice = tuple[str, str]


def offer_for(
    t: Messages, graph: LessonGraph, state: LessonState, progress: Progress | None = None
) -> Choice:
    """The one button that is true for this lesson and learner (see the module docstring).

    ``progress`` (the learner's, as ``LessonGraph.state`` takes it) lets a locked lesson's
    button for the path's first lesson say "Retake" when that lesson was attempted; pass it
    wherever ``state`` may be locked.
    """
    lesson = graph.lesson(state.lesson_id)
    if state.status is LessonStatus.MASTERED:
        label, value = action_choice(t, "start", lesson)
        return action_label(t, "review", lesson), value
    if state.can_start:
        label, value = action_choice(t, "start", lesson)
        if state.status is LessonStatus.ATTEMPTED:
            label = action_label(t, "retake", lesson)
        return label, value
    assert state.first_step is not None  # locked: the path's first lesson is open
    if progress is not None:
        return offer_for(t, graph, graph.state(state.first_step, progress))
    return action_choice(t, "start", graph.lesson(state.first_step))


def startable_choice(t: Messages, graph: LessonGraph, state: LessonState) -> Choice | None:
    """A Start/Retake button when the lesson itself can be started now, else ``None``."""
    return offer_for(t, graph, state) if state.can_start else None


def marked_title(t: Messages, graph: LessonGraph, state: LessonState) -> str:
    """The title with "(mastered)" or "(attempted, not mastered)" where that is true
    (``t`` may be the spoken catalogue: ", mastered")."""
    title = t.title(graph.lesson(state.lesson_id))
    if state.status is LessonStatus.MASTERED:
        return t("prereq.done_mark", title=title)
    if state.status is LessonStatus.ATTEMPTED:
        return t("prereq.attempted_mark", title=title)
    return title


def percent(mastery: float, locale: str = "en_US") -> str:
    """A mastery in [0, 1] as a score to say, by ``locale``'s CLDR number rules ("85", "59.9").

    Rounded DOWN to one decimal, and the decimal shown only when it is not zero, so a score
    below the mastery threshold never reads as the threshold (0.5999 is "59.9", never "60").
    Babel formats the number (https://babel.pocoo.org/en/latest/api/numbers.html).

    Example:
        >>> percent(0.85), percent(0.5999), percent(0.595, "es_ES"), percent(1.0)
        ('85', '59.9', '59,5', '100')
    """
    tenths = math.floor(mastery * 1000 + 1e-6)  # 1e-6: 0.57 * 1000 is 569.999...
    return format_decimal(tenths / 10, format="0.#", locale=locale.replace("-", "_"))


#: The score that masters a lesson, as learners say it ("60").
THRESHOLD_PERCENT = percent(MASTERY_THRESHOLD)
