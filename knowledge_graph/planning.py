"""Path planning over hard prerequisites: missing prerequisites and the path to a goal.

All functions work on lesson indices of a :class:`~knowledge_graph.index.GraphIndex` and a
mastery vector (see :meth:`GraphIndex.mastery_vector`); their loops are bounded by the
prerequisites actually visited (the goal's unmet closure), never by the graph size.

Choice rule for ``requires_any`` groups: the member with the highest mastery, then the one
with the fewest unmet direct hard prerequisites, then the shortest, then the earliest in
load order. The choice is deterministic.

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> index = example_graph().index
>>> [index.ids[i] for i in plan_path(index, index.require("functions"), index.mastery_vector(()))]
['demo/variables', 'demo/loops', 'demo/functions']
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import numpy as np

from knowledge_graph.index import MASTERY_THRESHOLD, GraphIndex


def unmet_hard_count(index: GraphIndex, i: int, met: np.ndarray) -> int:
    """Number of unmet ``requires`` plus unsatisfied ``requires_any`` groups of lesson ``i``."""
    count = int(np.count_nonzero(~met[index.requires_of(i)]))
    return count + sum(1 for g in index.groups_of(i) if not met[g].any())


def choose_member(
    index: GraphIndex, members: Iterable[int], mastery: np.ndarray, met: np.ndarray
) -> int:
    """Return the easiest member of a ``requires_any`` group (see module docstring).

    Parameters
    ----------
    index : GraphIndex
    members : iterable of int
        Lesson indices of the group (non-empty).
    mastery, met : numpy arrays
        Mastery values and the completed mask.

    Returns
    -------
    int
        The chosen lesson index.
    """
    return min(
        (int(m) for m in members),
        key=lambda m: (
            -float(mastery[m]),
            unmet_hard_count(index, m, met),
            int(index.minutes[m]),
            m,
        ),
    )


def missing_prerequisite_indices(
    index: GraphIndex, i: int, mastery: np.ndarray, met: np.ndarray | None = None
) -> list[int]:
    """Return the unmet direct hard prerequisites of lesson ``i``.

    Unmet ``requires`` (load order) come first, then the chosen member of every unsatisfied
    ``requires_any`` group (listing order), without duplicates.
    """
    if met is None:
        met = mastery >= MASTERY_THRESHOLD
    requires = index.requires_of(i)
    missing = [int(j) for j in requires[~met[requires]]]
    for group in index.groups_of(i):
        if met[group].any():
            continue
        pick = choose_member(index, group, mastery, met)
        if pick not in missing:
            missing.append(pick)
    return missing


def unmet_closure(index: GraphIndex, goal: int, mastery: np.ndarray) -> dict[int, list[int]]:
    """Return ``lesson -> its missing prerequisites`` for the goal's unmet closure.

    The closure holds the goal (unless completed) and, recursively, the missing prerequisites
    of every lesson in it; completed lessons are never entered.
    """
    met = mastery >= MASTERY_THRESHOLD
    if met[goal]:
        return {}
    needs: dict[int, list[int]] = {}
    stack = [goal]
    while stack:
        v = stack.pop()
        if v in needs:
            continue
        needs[v] = missing_prerequisite_indices(index, v, mastery, met)
        stack.extend(u for u in needs[v] if u not in needs)
    return needs


def plan_path(index: GraphIndex, goal: int, mastery: np.ndarray) -> list[int]:
    """Return the lessons to take, in a valid order, to reach ``goal`` (empty when done).

    Topological order of :func:`unmet_closure` (Kahn's algorithm, earliest load order first
    among the available lessons); the goal comes last. Every hard prerequisite of each step
    is completed or earlier in the list.

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> index = example_graph().index
    >>> mastery = index.mastery_vector(["variables", "strings"])
    >>> [index.ids[i] for i in plan_path(index, index.require("recursion"), mastery)]
    ['demo/functions', 'demo/recursion']
    """
    needs = unmet_closure(index, goal, mastery)
    waiting = {v: len(deps) for v, deps in needs.items()}
    dependents: dict[int, list[int]] = {}
    for v, deps in needs.items():
        for u in deps:
            dependents.setdefault(u, []).append(v)
    ready = [v for v, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    path: list[int] = []
    while ready:
        v = heapq.heappop(ready)
        path.append(v)
        for w in dependents.get(v, ()):
            waiting[w] -= 1
            if waiting[w] == 0:
                heapq.heappush(ready, w)
    return path
