"""The benchmark's learners: how much of the course they completed, and their goal.

Our bot and its peers see the same learners: a new learner, one who completed
:data:`TYPICAL_COMPLETIONS` lessons (a typical active learner, whatever the graph's size), and
learners at 30 % and 90 % of the course. Each completed the first lessons in load order (a
valid order, since every prerequisite comes earlier), each with a mastery between 0.6 and
1.0, and works toward the lesson :data:`GOAL_AHEAD` lessons past their progress.

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
from typing import Any, Final

#: The share of the course each benchmark learner completed.
FRACTIONS: Final[tuple[float, ...]] = (0.0, 0.3, 0.9)
#: How far (in load order) past their progress a learner's goal lies.
GOAL_AHEAD: Final[int] = 50
#: Completions of the typical learner (capped at half the graph on small graphs).
TYPICAL_COMPLETIONS: Final[int] = 200


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
        return cls._first(done, lesson_ids, f"{round(fraction * 100)}%", seed)

    @classmethod
    def having(cls, count: int, lesson_ids: Sequence[str], seed: int = 0) -> Learner:
        """The learner who completed the first ``count`` lessons (at most half of them; the
        name says ``count`` whatever the cap, so that sizes compare).

        Example
        -------
        >>> learner = Learner.having(200, [f"c/{i}" for i in range(100)])
        >>> learner.name, len(learner.mastery)
        ('200 done', 50)
        """
        done = min(count, len(lesson_ids) // 2)
        return cls._first(done, lesson_ids, f"{count} done", seed)

    @classmethod
    def _first(cls, done: int, lesson_ids: Sequence[str], name: str, seed: int) -> Learner:
        rng = random.Random(f"{seed}:{name}")
        mastery = {lesson: round(rng.uniform(0.6, 1.0), 2) for lesson in lesson_ids[:done]}
        goal = lesson_ids[min(len(lesson_ids) - 1, done + GOAL_AHEAD)]
        session = "bench-learner-" + name.replace("%", "pct").replace(" ", "-")
        return cls(name, session, mastery, goal)


def learners(lesson_ids: Sequence[str]) -> list[Learner]:
    """The benchmark learners for a graph whose lessons are ``lesson_ids``: new, the typical
    one with :data:`TYPICAL_COMPLETIONS`, then 30 % and 90 %."""
    new, *rest = (Learner.at(f, lesson_ids) for f in FRACTIONS)
    return [new, Learner.having(TYPICAL_COMPLETIONS, lesson_ids), *rest]


def enrol(store: Any, graph: Any, learner: Learner) -> str:
    """Write ``learner``'s completions and goal into ``store`` (an in-memory progress store);
    return the lesson ``graph`` recommends them first, the one a CompleteLesson turn finishes.
    """
    sid = learner.session_id
    for lesson, mastery in learner.mastery.items():
        store.complete_lesson(sid, lesson, mastery)
    store.set_goal(sid, learner.goal)
    progress = store.get(sid)
    top = graph.recommend(progress.mastery(), k=1, goal=learner.goal, recent=progress.recent())
    return top[0].lesson_id


def forget(store: Any, sid: str, lesson: str) -> None:
    """Benchmark-only: undo a completion in an in-memory store, so that every CompleteLesson
    turn sees the same learner (the store's API has no "un-complete")."""
    store._learners[sid].completed.pop(lesson, None)
    store._snapshots.pop(sid, None)


def leave(store: Any, sid: str) -> None:
    """Benchmark-only: drop a learner from an in-memory store once their turns are measured.

    A deployed function reads one learner's record per turn (a DynamoDB ``Query``) and
    holds no other learner; an in-memory store instead keeps every learner it was given.
    Measuring serving memory with each learner dropped before the next is enrolled counts
    the record of the learner being served, not the benchmark's whole roster.
    """
    store._learners.pop(sid, None)
    store._snapshots.pop(sid, None)
