"""The benchmark's learners: how much of the course they completed, and their goal.

Both our bot and the naive baseline see the same learners: a learner at ``fraction``
completed the first ``fraction`` of the lessons in load order (a valid order, since every
prerequisite comes earlier), each with a mastery between 0.6 and 1.0, and works toward the
lesson :data:`GOAL_AHEAD` lessons past their progress.

Example
-------
>>> learner = Learner.at(0.3, ["c/a", "c/b", "c/c", "c/d"])
>>> learner.name, list(learner.mastery), learner.goal
('30%', ['c/a'], 'c/d')
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

#: The share of the course each benchmark learner completed.
FRACTIONS: Final[tuple[float, ...]] = (0.0, 0.3, 0.9)
#: How far (in load order) past their progress a learner's goal lies.
GOAL_AHEAD: Final[int] = 50


@dataclass(frozen=True)
class Learner:
    """One benchmark learner: ``mastery`` maps qualified lesson ids to mastery (load order)."""

    name: str
    session_id: str
    mastery: dict[str, float]
    goal: str

    @classmethod
    def at(cls, fraction: float, lesson_ids: Sequence[str], seed: int = 0) -> Learner:
        """The learner who completed the first ``fraction`` of ``lesson_ids``.

        Parameters
        ----------
        fraction : float
            In [0, 1].
        lesson_ids : sequence of str
            Every qualified lesson id, in load order.
        seed : int
            Seeds the mastery values.
        """
        done = int(fraction * len(lesson_ids))
        rng = random.Random(f"{seed}:{fraction}")
        mastery = {lesson: round(rng.uniform(0.6, 1.0), 2) for lesson in lesson_ids[:done]}
        goal = lesson_ids[min(len(lesson_ids) - 1, done + GOAL_AHEAD)]
        name = f"{round(fraction * 100)}%"
        return cls(name, f"bench-learner-{round(fraction * 100)}", mastery, goal)


def learners(lesson_ids: Sequence[str]) -> list[Learner]:
    """The learners of :data:`FRACTIONS` for a graph whose lessons are ``lesson_ids``."""
    return [Learner.at(f, lesson_ids) for f in FRACTIONS]
