"""A lesson's state for one learner: the one place that decides what a learner can start.

Every answer, button and offer of the bot reads :func:`lesson_state`; nothing else decides
whether a lesson is open. The states, in the order they are tested:

``mastered``
    mastery at or above :data:`~knowledge_graph.index.MASTERY_THRESHOLD`; it satisfies the
    lessons that build on it. Offering it again is a review.
``attempted``
    completed with a score below the threshold: recorded, not yet mastered; it does not
    satisfy the lessons that build on it. It can be retaken when its prerequisites are met.
``locked``
    some hard prerequisite is not mastered (a ``requires`` lesson, or every member of a
    ``requires_any`` group). ``to_finish`` lists the minimal lessons still to master first
    (:mod:`knowledge_graph.planning`), in an order that can be followed; ``to_finish[0]``
    can be started now.
``in_progress``
    the learner's current lesson (started, not completed), with its prerequisites met.
``startable``
    every hard prerequisite mastered, not completed, not current.

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> index = example_graph().index
>>> state = lesson_state(index, index.require("recursion"), index.mastery_state(["variables"]))
>>> state.status, state.can_start, state.to_finish, state.minutes_to_finish
(<LessonStatus.LOCKED: 'locked'>, False, ('demo/loops', 'demo/functions'), 35)
>>> lesson_state(index, 1, index.mastery_state({"demo/loops": 0.4, "variables": 1})).status
<LessonStatus.ATTEMPTED: 'attempted'>
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from knowledge_graph.index import GraphIndex, MasteryState
from knowledge_graph.planning import is_startable, plan_path


class LessonStatus(StrEnum):
    """What a lesson is for a learner (see the module docstring)."""

    MASTERED = "mastered"
    ATTEMPTED = "attempted"
    LOCKED = "locked"
    IN_PROGRESS = "in_progress"
    STARTABLE = "startable"


@dataclass(frozen=True)
class LessonState:
    """One lesson as one learner stands with it.

    Attributes
    ----------
    lesson_id : str
        Qualified lesson id.
    status : LessonStatus
    mastery : float
        The learner's best mastery in [0, 1] (0.0 when never completed).
    can_start : bool
        Not mastered and every hard prerequisite mastered: it may be offered to start (an
        ``attempted`` lesson is then a retake).
    to_finish : tuple of str
        The minimal lessons still to master before it can be started, in a valid order
        (empty unless some prerequisite is unmet); the first can be started now.
    minutes_to_finish : int
        Total minutes of ``to_finish``.
    """

    lesson_id: str
    status: LessonStatus
    mastery: float
    can_start: bool
    to_finish: tuple[str, ...] = ()
    minutes_to_finish: int = 0

    @property
    def first_step(self) -> str | None:
        """The first lesson of ``to_finish`` (startable now), or ``None`` when open."""
        return self.to_finish[0] if self.to_finish else None


def lesson_state(
    index: GraphIndex,
    i: int,
    mastery: MasteryState,
    current: int | None = None,
    *,
    with_path: bool = True,
) -> LessonState:
    """The state of lesson ``i`` for a learner with ``mastery`` (see the module docstring).

    Parameters
    ----------
    index : GraphIndex
    i : int
        Lesson index.
    mastery : MasteryState
        The learner's mastery (:meth:`GraphIndex.mastery_state`): the lesson's own level
        and the mask of mastered lessons are read, nothing of the graph's size is built.
    current : int, optional
        Index of the learner's current lesson.
    with_path : bool, default True
        Plan ``to_finish`` for a locked lesson; ``False`` leaves it empty (a status and
        ``can_start`` only, for long lists where each plan would cost a search).

    Returns
    -------
    LessonState
    """
    met = mastery.met
    level = mastery.level(i)
    if met[i]:
        return LessonState(index.ids[i], LessonStatus.MASTERED, level, False)
    open_now = is_startable(index, i, met)
    to_finish: tuple[str, ...] = ()
    minutes = 0
    if not open_now and with_path:
        before = [j for j in plan_path(index, i, met) if j != i]
        to_finish = tuple(index.ids[j] for j in before)
        minutes = int(index.minutes[before].sum()) if before else 0
    if level > 0:
        status = LessonStatus.ATTEMPTED
    elif not open_now:
        status = LessonStatus.LOCKED
    elif current == i:
        status = LessonStatus.IN_PROGRESS
    else:
        status = LessonStatus.STARTABLE
    return LessonState(index.ids[i], status, level, open_now, to_finish, minutes)
