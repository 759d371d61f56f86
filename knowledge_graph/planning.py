"""Path planning over hard prerequisites: the minimal set of lessons to reach a goal.

All functions work on lesson indices of a :class:`~knowledge_graph.index.GraphIndex` and the
mask of mastered lessons (``met`` of :meth:`GraphIndex.mastery_state`); their work is bounded by the
prerequisites actually visited (the goal's unmet closure), never by the graph size.

**The minimal path rule.** To reach a lesson the learner must master every ``requires``
prerequisite and one member of each ``requires_any`` group, recursively, except what is
already mastered. Among all ways of choosing group members, the plan takes the set of lessons
with (1) the fewest total minutes, then (2) the fewest lessons, then (3) the earliest lessons
in file (load) order, compared as sorted index lists. A group that a lesson already in the
plan (or already mastered) satisfies costs nothing more. The search is an exact
branch-and-bound over the group choices, trying the easiest member first; on closures with
so many "one of" groups that it would visit more than :data:`MAX_PLAN_STATES` states it
returns the best plan found by then (the first is the greedy one), and says so in the log.

The path is the plan in a valid order: every step's hard prerequisites are mastered or come
earlier; among the steps whose prerequisites are in place, the earliest in load order goes
first, and the goal comes last.

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> index = example_graph().index
>>> met = index.mastery_state(()).met
>>> [index.ids[i] for i in plan_path(index, index.require("functions"), met)]
['demo/variables', 'demo/loops', 'demo/functions']
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable
from typing import Final

import numpy as np

from knowledge_graph.file_format import EdgeKind
from knowledge_graph.index import MASTERY_THRESHOLD, GraphIndex

logger = logging.getLogger(__name__)

#: The most partial plans the exact search visits before it settles for the best so far.
MAX_PLAN_STATES: Final[int] = 20_000


def unmet_hard_count(index: GraphIndex, i: int, met: np.ndarray) -> int:
    """Number of unmet ``requires`` plus unsatisfied ``requires_any`` groups of lesson ``i``."""
    count = int(np.count_nonzero(~met[index.requires_of(i)]))
    return count + sum(1 for g in index.groups_of(i) if not met[g].any())


def is_startable(index: GraphIndex, i: int, met: np.ndarray) -> bool:
    """True when every hard prerequisite of lesson ``i`` is mastered (``met``).

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> index = example_graph().index
    >>> is_startable(index, index.require("functions"), index.mastery_vector(["variables"]) >= 0.6)
    False
    """
    return unmet_hard_count(index, i, met) == 0


def _member_order(index: GraphIndex, members: Iterable[int], met: np.ndarray) -> list[int]:
    """Group members, the likeliest-cheapest first (the greedy plan takes the first)."""
    return sorted(
        (int(m) for m in members),
        key=lambda m: (unmet_hard_count(index, m, met), int(index.minutes[m]), m),
    )


def _plan_key(index: GraphIndex, chosen: frozenset[int]) -> tuple[int, int, tuple[int, ...]]:
    """The order of plans: minutes, then number of lessons, then load order."""
    minutes = int(index.minutes[list(chosen)].sum()) if chosen else 0
    return minutes, len(chosen), tuple(sorted(chosen))


def minimal_plan(
    index: GraphIndex, goal: int, mastery: np.ndarray | None = None, met: np.ndarray | None = None
) -> frozenset[int]:
    """Return the minimal set of lessons to master to reach ``goal`` (see module docstring).

    Parameters
    ----------
    index : GraphIndex
    goal : int
        Lesson index of the goal.
    mastery : numpy array of length ``index.n``
        Mastery per lesson; at or above the threshold counts as mastered.
    met : numpy bool array of length ``index.n``, optional
        ``mastery >= MASTERY_THRESHOLD``, given instead of ``mastery`` when the caller has
        it already.

    Returns
    -------
    frozenset of int
        The lessons to take, the goal included; empty when the goal is mastered.

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> index = example_graph().index  # functions: requires_any [[loops, strings]]
    >>> sorted(index.ids[i] for i in minimal_plan(index, 3, index.mastery_vector(["strings"])))
    ['demo/functions']
    """
    if met is None:
        if mastery is None:
            raise TypeError("minimal_plan needs the mastery vector or the mask of met lessons")
        met = mastery >= MASTERY_THRESHOLD
    if met[goal]:
        return frozenset()
    best: frozenset[int] | None = None
    best_key: tuple[int, int, tuple[int, ...]] | None = None
    # A state: lessons chosen so far, lessons whose prerequisites are still to expand, and
    # the "one of" groups met so far that nothing chosen or mastered satisfies yet.
    stack: list[tuple[set[int], list[int], list[np.ndarray]]] = [({goal}, [goal], [])]
    visited = 0
    # the rows read per lesson, held locally (this loop runs once per lesson of the plan)
    requires = index.in_edges[EdgeKind.REQUIRES]
    req_ptr, req_idx = requires.indptr, requires.indices
    own_ptr, own_idx = index.owner_groups.indptr, index.owner_groups.indices
    group_ptr, group_members = index.group_indptr, index.group_members
    while stack:
        chosen, pending, open_groups = stack.pop()
        visited += 1
        while pending:
            v = pending.pop()
            for u in req_idx[req_ptr[v] : req_ptr[v + 1]].tolist():
                if not met[u] and u not in chosen:
                    chosen.add(u)
                    pending.append(u)
            start, stop = own_ptr[v], own_ptr[v + 1]
            if stop > start:  # as index.groups_of(v), in the same order
                for g in own_idx[start:stop].tolist():
                    members = group_members[group_ptr[g] : group_ptr[g + 1]]
                    if not met[members].any():
                        open_groups.append(members)
        open_groups = [g for g in open_groups if not any(int(m) in chosen for m in g)]
        minutes = int(index.minutes[list(chosen)].sum())
        if best_key is not None and (minutes, len(chosen)) > best_key[:2]:
            continue  # every extension only adds minutes and lessons
        if not open_groups:
            key = _plan_key(index, frozenset(chosen))
            if best_key is None or key < best_key:
                best, best_key = frozenset(chosen), key
            continue
        over_budget = visited >= MAX_PLAN_STATES
        if over_budget and best is not None:
            logger.warning(
                "plan search stopped at its budget",
                extra={"goal": index.ids[goal], "states": visited},
            )
            break
        group, rest = open_groups[0], open_groups[1:]
        members = _member_order(index, group, met)
        if over_budget:  # no plan yet: finish the greedy one
            members = members[:1]
        for m in reversed(members):  # the likeliest-cheapest member is explored first
            stack.append((chosen | {m}, [m], list(rest)))
    assert best is not None  # the greedy branch always completes (hard prerequisites are acyclic)
    return best


def _deps_within(index: GraphIndex, v: int, plan: frozenset[int], met: np.ndarray) -> list[int]:
    """The lessons of ``plan`` that must come before ``v``."""
    deps = [int(u) for u in index.requires_of(v) if int(u) in plan]
    for group in index.groups_of(v):
        if not met[group].any():
            deps.extend(int(m) for m in group if int(m) in plan and int(m) not in deps)
    return deps


def order_plan(index: GraphIndex, plan: frozenset[int], met: np.ndarray) -> list[int]:
    """The lessons of ``plan`` in a valid order, earliest load order first when free."""
    needs = {v: _deps_within(index, v, plan, met) for v in plan}
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


def plan_path(index: GraphIndex, goal: int, met: np.ndarray) -> list[int]:
    """Return the lessons to take, in a valid order, to reach ``goal`` (empty when done).

    The minimal plan (:func:`minimal_plan`) in the order of :func:`order_plan`; the goal
    comes last, and the first step can always be started now.

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> index = example_graph().index
    >>> met = index.mastery_state(["variables", "strings"]).met
    >>> [index.ids[i] for i in plan_path(index, index.require("recursion"), met)]
    ['demo/functions', 'demo/recursion']
    """
    return order_plan(index, minimal_plan(index, goal, met=met), met)
