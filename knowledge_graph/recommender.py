"""Next-lesson recommendations: a weighted traversal of the lesson graph, vectorised with numpy.

Candidates are the lessons that are not completed and whose hard prerequisites are met
(``requires``, and one member of each ``requires_any`` group). Each candidate gets

* **readiness**: weighted mean mastery of its ``requires`` + ``recommends`` prerequisites
  (1.0 without any);
* **momentum**: pushed from the learner's recent completions along weighted ``next``,
  ``related`` and "is a prerequisite of" (``requires``, ``requires_any``, ``recommends``)
  out-edges for up to :data:`MOMENTUM_HOPS` hops, damped by the course's ``decay`` per hop;
  more recent completions push harder (capped at 1.0);
* **goal**: 1.0 for lessons on the path to the learner's goal (see
  :func:`knowledge_graph.planning.minimal_plan`), else 0;
* **unlock**: log-scaled number of lessons that become startable for this learner once it
  is mastered (:func:`newly_startable`), normalised by the graph's largest number of hard
  dependents;
* **difficulty**: closeness of its difficulty to the learner's level (mean difficulty of the
  completed lessons + 0.5; 1.5 for a new learner);
* **learned** (only with a :class:`~knowledge_graph.transitions.TransitionModel`): what
  this course's learners actually took next. For each of the learner's
  :data:`LEARNED_RECENT` most recent completions X (the most recent first, the j-th one
  back damped by ``RECENCY_FACTOR ** j``), each kept successor Y of X gets the share of
  the learners who went on from X that took Y next, ``learners / (finished(X) -
  stopped(X))``; a candidate takes the largest such value, in [0, 1]. The model only adds
  score to lessons that are already candidates: it never makes a locked or completed
  lesson one.

``score = sum(course weight x component)`` with the weights of the candidate's course
(without transitions, ``learned`` is 0 and the ranking is the graph's alone). With
a goal whose course weight ``goal`` is positive, unlocked lessons on the goal path rank
before all others (the frontier of the goal path comes first). Ties break by load order.

All work is numpy over the compiled index; Python loops run only over the learner's recent
completions, the goal path, the successors of the recent completions and the ``k``
results.

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> index = example_graph().index
>>> [(r.lesson_id, r.score) for r in recommend(index, ["demo/variables"], k=2)]
[('demo/loops', 2.314872), ('demo/strings', 2.260088)]
>>> [str(reason.kind) for reason in recommend(index, ["demo/variables"], k=1)[0].reasons]
['continues', 'unlocks', 'ready', 'difficulty_fit']
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Literal, NamedTuple
from weakref import WeakKeyDictionary

import numpy as np

from knowledge_graph.file_format import DEFAULT_WEIGHTS, EdgeKind
from knowledge_graph.index import (
    COMPONENTS,
    Csr,
    GraphIndex,
    MasteryState,
    Progress,
    ranges,
)
from knowledge_graph.planning import minimal_plan

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.transitions import TransitionModel

logger = logging.getLogger(__name__)

#: How many hops momentum travels from a recent completion.
MOMENTUM_HOPS: Final[int] = 3
#: How many recent completions seed momentum (the most recent ones).
MAX_RECENT: Final[int] = 10
#: Each step back in the learner's history multiplies a completion's push by this.
RECENCY_FACTOR: Final[float] = 0.7
#: How many of the learner's most recent completions seed the ``learned`` component.
LEARNED_RECENT: Final[int] = 3
#: At most this many lesson ids are listed in one reason.
MAX_REASON_LESSONS: Final[int] = 3
#: Difficulty level assumed for a learner who has completed nothing.
NEW_LEARNER_LEVEL: Final[float] = 1.5
#: ``strategy="auto"`` works on the learner's neighbourhood up to this many mastered lessons
#: (or a twentieth of the graph, whichever is larger).
SPARSE_MIN_LESSONS: Final[int] = 64
#: Added to the score of goal-path lessons so that they rank first.
_GOAL_TIER: Final[float] = 1e6


class ReasonKind(StrEnum):
    """Why a lesson is recommended."""

    CONTINUES = "continues"
    """It is the ``next`` of the learner's most recent completion (``lessons``: that one)."""
    TOWARD_GOAL = "toward_goal"
    """It is a next step toward the learner's goal (``lessons``: the goal)."""
    IS_GOAL = "is_goal"
    """It is the learner's goal itself, and can be started (``lessons``: it)."""
    UNLOCKS = "unlocks"
    """Mastering it makes other lessons startable for this learner (``count``: how many;
    ``lessons``: up to 3 of them)."""
    READY = "ready"
    """All its prerequisites are mastered (``lessons``: those prerequisites)."""
    RELATED = "related"
    """It is related to something the learner did (``lessons``: those lessons)."""
    GOOD_START = "good_start"
    """It has no prerequisite of any kind (``requires``, ``requires_any``, ``recommends``) and
    is easy (difficulty 1-2), and the learner has mastered nothing yet. It may still be
    another lesson's ``next``, so it need not be one of ``stats``' first lessons."""
    DIFFICULTY_FIT = "difficulty_fit"
    """Its difficulty matches the learner's current level."""
    LEARNED = "learned"
    """Learners of this course took it next after one of the learner's recent completions
    (``lessons``: that completion X; ``count``: the distinct learners who took this lesson
    next after X; ``total``: the distinct learners who finished X). Both counts come from
    the same :class:`~knowledge_graph.transitions.TransitionModel`, so ``count * 2 >
    total`` is exactly "most learners who finished X took it next"."""


@dataclass(frozen=True)
class Reason:
    """One structured reason; every id in ``lessons`` is a qualified lesson id.

    ``count`` and ``total`` are the numbers a reason kind states (see :class:`ReasonKind`);
    ``total`` is set for :attr:`ReasonKind.LEARNED` only.
    """

    kind: ReasonKind
    lessons: tuple[str, ...] = ()
    count: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class Recommendation:
    """A recommended lesson with its score and reasons (most telling reason first).

    Results are sorted by ``score`` except that, with a goal, lessons on the goal path come
    before all others.
    """

    lesson_id: str
    title: str
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class _Context:
    """What the reasons of the top results need to know about the learner."""

    mastery: MasteryState
    met: np.ndarray
    seeds: list[int]
    goal: int | None
    goal_path: frozenset[int]
    level: float
    learned: dict[int, LearnedSource]


class LearnedSource(NamedTuple):
    """Where a lesson's ``learned`` value came from: predecessor ``before`` (a lesson
    index), its ``learners`` who took the lesson next and the ``finished`` learners of
    ``before`` (the counts a :attr:`ReasonKind.LEARNED` reason states)."""

    before: int
    learners: int
    finished: int


def recommend(
    index: GraphIndex,
    progress: Progress,
    k: int = 3,
    goal: int | None = None,
    recent: Sequence[str] | None = None,
    strategy: Literal["auto", "sparse", "dense"] = "auto",
    transitions: TransitionModel | None = None,
) -> list[Recommendation]:
    """Return up to ``k`` recommendations, best first (see module docstring).

    Parameters
    ----------
    index : GraphIndex
    progress : mapping of id to mastery, or iterable of completed ids
    k : int, default 3
        Maximum number of results (0 or less gives an empty list).
    goal : int, optional
        Lesson index of the learner's goal.
    recent : sequence of str, optional
        Recently completed lesson ids, most recent last (unknown ids ignored). Defaults to
        the completed lessons of ``progress`` in its order.
    strategy : ``"auto"``, ``"sparse"`` or ``"dense"``
        How the components are computed; every strategy gives the same results. ``sparse``
        works on the learner's neighbourhood (the lessons without hard prerequisites, the
        hard dependents of what is mastered, and their own in- and out-edges), so its cost
        follows the learner, not the graph; ``dense`` runs vectorised passes over every
        edge, cheaper once a learner has mastered a large share of the graph. ``auto``
        takes ``sparse`` up to ``max(SPARSE_MIN_LESSONS, n / 20)`` mastered lessons.
    transitions : TransitionModel, optional
        What this course's learners took next; adds the ``learned`` component (see the
        module docstring). Its cost follows the successors of the learner's
        :data:`LEARNED_RECENT` latest completions only, not the graph. ``None`` (default)
        leaves the ranking to the graph.

    Returns
    -------
    list of Recommendation
    """
    if k <= 0 or index.n == 0:
        return []
    mastery = index.mastery_state(progress)
    met, mastered = mastery.met, mastery.mastered
    if strategy == "auto":
        strategy = "dense" if mastered.size > max(SPARSE_MIN_LESSONS, index.n // 20) else "sparse"
    if strategy == "sparse":
        candidates = _sparse_candidates(index, met, mastered)
    else:
        candidates = np.flatnonzero(index.unlocked_mask(met) & ~met)
    if candidates.size == 0:
        return []
    seeds = _seeds(index, progress, recent, met)
    # the lessons of the goal's path, as a set (its order, plan_path's work, is not needed)
    goal_path = minimal_plan(index, goal, met=met) if goal is not None else frozenset()
    level = float(index.difficulty[mastered].mean()) + 0.5 if mastered.size else NEW_LEARNER_LEVEL
    on_goal_path = _goal_mask(goal_path, candidates)
    if strategy == "sparse":
        readiness = _sparse_readiness(index, mastery, candidates)
        unlock = _sparse_unlock_value(index, met, candidates)
    else:
        readiness = _readiness(index, mastery.vector())[candidates]
        unlock = _unlock_value(index, met)[candidates]
    components = np.column_stack(
        [
            readiness,
            _momentum(index, seeds, candidates),
            on_goal_path,
            unlock,
            _difficulty_fit(index, level, candidates),
        ]
    )
    scores = (index.weights[candidates] * components).sum(axis=1)
    learned: dict[int, LearnedSource] = {}
    if transitions is not None and seeds:
        at, values, learned = _learned(index, transitions, seeds, candidates)
        scores[at] += _learned_weights(index)[index.course_of[candidates[at]]] * values
    rank_key = scores.copy()
    if goal is not None and index.course_weights[_course(index, goal)]["goal"] > 0:
        rank_key += _GOAL_TIER * on_goal_path
    best = _top_k(rank_key, candidates, k)
    context = _Context(mastery, met, seeds, goal, goal_path, level, learned)
    results = [
        Recommendation(
            lesson_id=index.ids[candidates[j]],
            title=str(index.node_data[candidates[j]].get("title") or index.ids[candidates[j]]),
            score=round(float(scores[j]), 6),
            reasons=_reasons(index, int(candidates[j]), context),
        )
        for j in best
    ]
    logger.debug(
        "recommendations computed",
        extra={"candidates": int(candidates.size), "k": k, "results": len(results)},
    )
    return results


def component_names() -> tuple[str, ...]:
    """The score components, in the order of the course weight columns."""
    return COMPONENTS


# ---------------------------------------------------------------- components


def _seeds(
    index: GraphIndex, progress: Progress, recent: Sequence[str] | None, met: np.ndarray
) -> list[int]:
    """Indices of the momentum seeds, most recent last, without duplicates.

    Walks back from the most recent entry and stops after ``MAX_RECENT`` seeds, so the
    cost does not grow with the learner's history.
    """
    if recent is None:
        source = [progress] if isinstance(progress, str) else list(progress or ())
    else:
        source = list(recent)
    seeds: list[int] = []
    for lesson_id in reversed(source):
        i = index.position(lesson_id)
        if i is None or i in seeds or (recent is None and not met[i]):
            continue
        seeds.append(i)
        if len(seeds) == MAX_RECENT:
            break
    return seeds[::-1]


def _readiness(index: GraphIndex, mastery: np.ndarray) -> np.ndarray:
    """Weighted mean mastery of each lesson's requires + recommends prerequisites."""
    edges = index.prereq_edges
    total = np.bincount(edges.dst, weights=edges.w, minlength=index.n)
    have = np.bincount(edges.dst, weights=edges.w * mastery[edges.src], minlength=index.n)
    return np.divide(have, total, out=np.ones(index.n), where=total > 0)


def _momentum(index: GraphIndex, seeds: list[int], candidates: np.ndarray) -> np.ndarray:
    """Momentum of each of ``candidates`` (ascending), propagated from ``seeds`` (capped at
    1.0).

    Only the candidates' sums are held (no array of the graph's size): each hop's arrivals
    are added to the candidates they reach, hop after hop, in the order a whole-graph
    vector would add them.
    """
    total = np.zeros(candidates.size)
    if not seeds or candidates.size == 0:
        return total
    frontier = np.asarray(seeds, dtype=np.int64)
    push = RECENCY_FACTOR ** np.arange(len(seeds) - 1, -1, -1, dtype=float)
    last = candidates.size - 1
    for _ in range(MOMENTUM_HOPS):
        owner, targets, weights = index.momentum_out.gather(frontier)
        if targets.size == 0:
            break
        reached, where = _unique_inverse(targets)
        arrived = np.bincount(where, weights=push[owner] * weights, minlength=reached.size)
        at = np.minimum(np.searchsorted(candidates, reached), last)
        hit = candidates[at] == reached
        total[at[hit]] += arrived[hit]  # ``reached`` is unique: one add per candidate
        frontier, push = reached, arrived * index.decay[reached]
    return np.minimum(total, 1.0)


def _goal_mask(goal_path: frozenset[int], candidates: np.ndarray) -> np.ndarray:
    """1.0 for each of ``candidates`` on the goal path, else 0."""
    if not goal_path:
        return np.zeros(candidates.size)
    # set lookups: both are short (the learner's candidates, the goal's plan)
    return np.fromiter(
        map(goal_path.__contains__, candidates.tolist()), dtype=float, count=candidates.size
    )


def _blockers(index: GraphIndex, met: np.ndarray) -> np.ndarray:
    """Per lesson, its unmet ``requires`` plus its unsatisfied ``requires_any`` groups."""
    req = index.in_edges[EdgeKind.REQUIRES]
    count = np.bincount(index.requires_rows[~met[req.indices]], minlength=index.n)
    if index.group_owner.size:
        satisfied = np.logical_or.reduceat(met[index.group_members], index.group_indptr[:-1])
        count += np.bincount(index.group_owner[~satisfied], minlength=index.n)
    return count


def newly_startable(index: GraphIndex, met: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(c, d)``: lesson ``d`` becomes startable once lesson ``c`` is mastered.

    ``d`` is not mastered and is locked now, and ``c`` is the only thing in its way: ``c`` is
    every unmet ``requires`` of ``d`` (at most one, then) and a member of every unsatisfied
    ``requires_any`` group of ``d``. Soft links (``recommends``) never lock, so never unlock.

    Returns
    -------
    (sources, targets) : two int arrays of equal length, one entry per pair.
    """
    req = index.in_edges[EdgeKind.REQUIRES]
    unmet_req = ~met[req.indices]
    req_src, req_dst = req.indices[unmet_req], index.requires_rows[unmet_req]
    # A lesson whose unmet requires are two different lessons cannot be opened by one: its
    # pairs are dropped before the sort below (at 30 % of 100,000 lessons, most of them).
    # ``req_dst`` is in row order, so each lesson's unmet requires are one run.
    one_source = np.ones(index.n, dtype=bool)
    if req_dst.size:
        first = np.ones(req_dst.size, dtype=bool)
        first[1:] = req_dst[1:] != req_dst[:-1]
        runs = np.flatnonzero(first)
        lowest = np.minimum.reduceat(req_src, runs)
        one_source[req_dst[runs]] = lowest == np.maximum.reduceat(req_src, runs)
    keep = one_source[req_dst]
    src, dst = [req_src[keep]], [req_dst[keep]]
    if index.group_owner.size:
        satisfied = np.logical_or.reduceat(met[index.group_members], index.group_indptr[:-1])
        open_member = np.repeat(~satisfied, np.diff(index.group_indptr))
        open_member &= one_source[index.group_member_owner]
        src.append(index.group_members[open_member])
        dst.append(index.group_member_owner[open_member])
    sources, targets = np.concatenate(src), np.concatenate(dst)
    if sources.size == 0:
        return sources, targets
    pairs, resolved = _unique_counts(sources * index.n + targets)
    sources, targets = pairs // index.n, pairs % index.n
    opens = (resolved == _blockers(index, met)[targets]) & ~met[targets]
    return sources[opens], targets[opens]


def _unlock_value(index: GraphIndex, met: np.ndarray) -> np.ndarray:
    """Log-scaled number of lessons each lesson would make startable, in [0, 1]."""
    if index.max_unlock <= 0:
        return np.zeros(index.n)
    sources, _ = newly_startable(index, met)
    raw = np.bincount(sources, minlength=index.n).astype(float)
    return np.minimum(np.log1p(raw) / np.log1p(index.max_unlock), 1.0)


# ------------------------------------------------------- the learner's neighbourhood

# ``np.unique`` of the few hundred values of a learner's neighbourhood spends most of its
# time in Python-level set-up (numpy 2's hash-based path); one sort and a mask give the same
# arrays several times faster, and the neighbourhood walk calls it five times per turn.


def _sorted_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values sorted, True where a run of equal values starts)``."""
    ordered = np.sort(values)
    first = np.empty(ordered.size, dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered, first


def _unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``: the distinct values, ascending.

    Example
    -------
    >>> _unique(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ordered, first = _sorted_runs(values)
    return ordered[first]


def _unique_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_counts=True)``.

    Example
    -------
    >>> [a.tolist() for a in _unique_counts(np.array([3, 1, 3, 2]))]
    [[1, 2, 3], [1, 1, 2]]
    """
    ordered, first = _sorted_runs(values)
    starts = np.flatnonzero(first)
    return ordered[starts], np.diff(np.append(starts, ordered.size))


def _unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``: the distinct values ascending, and the
    position of each value among them.

    Example
    -------
    >>> [a.tolist() for a in _unique_inverse(np.array([3, 1, 3, 2]))]
    [[1, 2, 3], [2, 0, 2, 1]]
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.empty(ordered.size, dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(ordered.size, dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


_ROOTS: WeakKeyDictionary[GraphIndex, np.ndarray] = WeakKeyDictionary()


def _roots(index: GraphIndex) -> np.ndarray:
    """Lessons without hard prerequisites (computed once per index)."""
    roots = _ROOTS.get(index)
    if roots is None:
        no_requires = np.diff(index.in_edges[EdgeKind.REQUIRES].indptr) == 0
        no_groups = np.diff(index.owner_groups.indptr) == 0
        roots = _ROOTS[index] = np.flatnonzero(no_requires & no_groups)
    return roots


def _group_members(index: GraphIndex, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(position in groups, member)`` for every member of the given ``requires_any`` groups.

    The groups are rows of a compressed layout (``group_indptr`` / ``group_members``), read
    with :meth:`~knowledge_graph.index.Csr.gather`'s vectorised slicing.
    """
    layout = Csr(index.group_indptr, index.group_members, np.ones(index.group_members.size))
    owner, members, _ = layout.gather(groups)
    return owner, members


def _group_satisfied(index: GraphIndex, groups: np.ndarray, met: np.ndarray) -> np.ndarray:
    """For each ``requires_any`` group number in ``groups``: does a member of it count as met?"""
    if groups.size == 0:
        return np.zeros(0, dtype=bool)
    owner, members = _group_members(index, groups)
    return np.bincount(owner[met[members]], minlength=groups.size) > 0


def _blocker_counts(index: GraphIndex, lessons: np.ndarray, met: np.ndarray) -> np.ndarray:
    """Unmet ``requires`` plus unsatisfied groups of each of ``lessons`` (gathered rows only)."""
    owner, sources, _ = index.in_edges[EdgeKind.REQUIRES].gather(lessons)
    count = np.bincount(owner[~met[sources]], minlength=lessons.size)
    g_owner, groups, _ = index.owner_groups.gather(lessons)
    unsatisfied = ~_group_satisfied(index, groups.astype(np.int64), met)
    return count + np.bincount(g_owner[unsatisfied], minlength=lessons.size)


def _sparse_candidates(index: GraphIndex, met: np.ndarray, mastered: np.ndarray) -> np.ndarray:
    """The startable, not mastered lessons, found from the roots and the learner's frontier."""
    _, dependents, _ = index.hard_out.gather(mastered)
    pool = _unique(np.concatenate([_roots(index), dependents]))
    pool = pool[~met[pool]]
    return pool[_blocker_counts(index, pool, met) == 0]


def _sparse_readiness(index: GraphIndex, mastery: MasteryState, cands: np.ndarray) -> np.ndarray:
    """:func:`_readiness` of ``cands`` only, from their slices of the same merged edge list
    (sorted by target: one binary search per candidate finds its prerequisite edges)."""
    edges = index.prereq_edges
    owner, at = ranges(
        np.searchsorted(edges.dst, cands, side="left"),
        np.searchsorted(edges.dst, cands, side="right"),
    )
    if owner.size == 0:
        return np.ones(cands.size)
    weight = edges.w[at]
    total = np.bincount(owner, weights=weight, minlength=cands.size)
    have = np.bincount(owner, weights=weight * mastery.of(edges.src[at]), minlength=cands.size)
    return np.divide(have, total, out=np.ones(cands.size), where=total > 0)


def _sparse_unlock_value(index: GraphIndex, met: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """:func:`_unlock_value` of ``cands`` only, from their dependents' own edges."""
    if index.max_unlock <= 0 or cands.size == 0:
        return np.zeros(cands.size)
    _, dependents, _ = index.hard_out.gather(cands)
    dependents = _unique(dependents)
    dependents = dependents[~met[dependents]]
    if dependents.size == 0:
        return np.zeros(cands.size)
    blockers = _blocker_counts(index, dependents, met)
    owner, sources, _ = index.in_edges[EdgeKind.REQUIRES].gather(dependents)
    unmet = ~met[sources]
    src, dst = [sources[unmet]], [owner[unmet]]
    g_owner, groups, _ = index.owner_groups.gather(dependents)
    groups = groups.astype(np.int64)
    unsatisfied = ~_group_satisfied(index, groups, met)
    open_groups, open_owner = groups[unsatisfied], g_owner[unsatisfied]
    position, members = _group_members(index, open_groups)
    src.append(members)
    dst.append(open_owner[position])
    sources, targets = np.concatenate(src), np.concatenate(dst)  # targets: rows of dependents
    pairs, resolved = _unique_counts(sources * dependents.size + targets)
    sources, targets = pairs // dependents.size, pairs % dependents.size
    opens = resolved == blockers[targets]
    at = np.searchsorted(cands, sources[opens])
    found = (at < cands.size) & (cands[np.minimum(at, cands.size - 1)] == sources[opens])
    raw = np.bincount(at[found], minlength=cands.size).astype(float)
    return np.minimum(np.log1p(raw) / np.log1p(index.max_unlock), 1.0)


_LEARNED_WEIGHTS: WeakKeyDictionary[GraphIndex, np.ndarray] = WeakKeyDictionary()


def _learned_weights(index: GraphIndex) -> np.ndarray:
    """The ``learned`` course weight per course number (computed once per index)."""
    weights = _LEARNED_WEIGHTS.get(index)
    if weights is None:
        default = DEFAULT_WEIGHTS["learned"]
        weights = _LEARNED_WEIGHTS[index] = np.array(
            [index.course_weights[c].get("learned", default) for c in index.course_ids],
            dtype=float,
        )
    return weights


def learned_values(
    index: GraphIndex, transitions: TransitionModel, seeds: Sequence[int]
) -> dict[int, tuple[float, LearnedSource]]:
    """The ``learned`` value of every lesson the learner's recent completions lead to.

    The one definition of the ``learned`` component (module docstring): for each of the
    :data:`LEARNED_RECENT` latest ``seeds`` X (lesson indices, most recent last), each kept
    successor Y of X gets ``RECENCY_FACTOR ** back * learners / (finished(X) -
    stopped(X))``; a lesson keeps its largest value and where it came from. Touches only
    those successors (at most ``LEARNED_RECENT`` x the snapshot's ``top``); successors the
    graph does not know are skipped. Locked and completed lessons are included: callers
    keep the ones they may offer.

    Returns
    -------
    dict of lesson index to (value in (0, 1], LearnedSource)
    """
    best: dict[int, tuple[float, LearnedSource]] = {}
    position = index.position  # one id at a time: a mapped index searches (and remembers)
    for back, before in enumerate(reversed(seeds[-LEARNED_RECENT:])):
        before_id = index.ids[before]
        finished = transitions.finished(before_id)
        went_on = finished - transitions.stopped(before_id)
        if went_on <= 0:
            continue
        scale = RECENCY_FACTOR**back / went_on
        ids, counts = transitions.successor_counts(before_id)
        for lesson_id, learners in zip(ids, counts, strict=True):
            after = position(lesson_id)
            if after is None:
                continue
            value = scale * learners
            known = best.get(after)
            if known is None or value > known[0]:
                best[after] = (value, LearnedSource(before, learners, finished))
    return best


def _learned(
    index: GraphIndex, transitions: TransitionModel, seeds: list[int], candidates: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[int, LearnedSource]]:
    """:func:`learned_values` of the candidates only.

    Returns
    -------
    (positions, values, sources)
        ``positions`` into ``candidates`` with their ``values``, and per lesson index the
        predecessor that gave its value (for the reason).
    """
    best = learned_values(index, transitions, seeds)
    if not best:
        return np.zeros(0, dtype=np.int64), np.zeros(0), {}
    lessons = np.fromiter(best, dtype=np.int64, count=len(best))
    at = np.searchsorted(candidates, lessons)
    found = (at < candidates.size) & (candidates[np.minimum(at, candidates.size - 1)] == lessons)
    values = np.array([best[int(i)][0] for i in lessons[found]])
    sources = {int(i): best[int(i)][1] for i in lessons[found]}
    return at[found], values, sources


def _difficulty_fit(index: GraphIndex, level: float, candidates: np.ndarray) -> np.ndarray:
    """1.0 at the learner's level, falling linearly to 0 four levels away."""
    return np.clip(1.0 - np.abs(index.difficulty[candidates] - level) / 4.0, 0.0, 1.0)


def _top_k(rank_key: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """Positions (into ``candidates``) of the ``k`` best keys; ties by load order."""
    if rank_key.size > k:
        threshold = np.partition(-rank_key, k - 1)[k - 1]
        chosen = np.flatnonzero(-rank_key <= threshold)
    else:
        chosen = np.arange(rank_key.size)
    ordered = chosen[np.lexsort((candidates[chosen], -rank_key[chosen]))]
    return ordered[:k]


def _course(index: GraphIndex, i: int) -> str:
    return index.course_ids[int(index.course_of[i])]


# ------------------------------------------------------------------- reasons


def _reasons(index: GraphIndex, i: int, ctx: _Context) -> tuple[Reason, ...]:
    """The reasons for recommending lesson ``i``, most telling first."""
    ids = index.ids
    reasons: list[Reason] = []
    if ctx.goal is not None and i == ctx.goal:
        reasons.append(Reason(ReasonKind.IS_GOAL, (ids[ctx.goal],)))
    elif ctx.goal is not None and i in ctx.goal_path:
        reasons.append(Reason(ReasonKind.TOWARD_GOAL, (ids[ctx.goal],)))
    recency = {s: r for r, s in enumerate(reversed(ctx.seeds))}
    before = set(index.in_edges[EdgeKind.NEXT].row(i).tolist())
    continued = [ctx.seeds[-1]] if ctx.seeds and ctx.seeds[-1] in before else []
    if continued:  # "which you just finished": only the most recent completion
        reasons.append(Reason(ReasonKind.CONTINUES, (ids[continued[0]],)))
    learned = ctx.learned.get(i)
    if learned is not None:
        reasons.append(
            Reason(
                ReasonKind.LEARNED,
                (ids[learned.before],),
                count=learned.learners,
                total=learned.finished,
            )
        )
    related = index.in_edges[EdgeKind.RELATED].row(i)
    related = related[ctx.met[related]].tolist()
    related = sorted(
        (r for r in related if r not in continued),
        key=lambda r: (recency.get(r, len(recency)), r),
    )
    if related:
        lessons = tuple(ids[r] for r in related[:MAX_REASON_LESSONS])
        reasons.append(Reason(ReasonKind.RELATED, lessons))
    opened = opened_by(index, i, ctx.met)
    if opened:
        lessons = tuple(ids[j] for j in opened[:MAX_REASON_LESSONS])
        reasons.append(Reason(ReasonKind.UNLOCKS, lessons, count=len(opened)))
    prerequisites = _met_prerequisites(index, i, ctx.met)
    if prerequisites:
        reasons.append(Reason(ReasonKind.READY, tuple(ids[j] for j in prerequisites)))
    elif not ctx.met.any() and index.difficulty[i] <= 2 and not _has_prerequisites(index, i):
        reasons.append(Reason(ReasonKind.GOOD_START))
    if abs(float(index.difficulty[i]) - ctx.level) <= 0.5:
        reasons.append(Reason(ReasonKind.DIFFICULTY_FIT))
    return tuple(reasons)


def opened_by(index: GraphIndex, i: int, met: np.ndarray) -> list[int]:
    """The lessons that become startable once lesson ``i`` is mastered (load order).

    The same rule as :func:`newly_startable`, for one lesson: loops only over its dependents
    (``d`` opens when something blocks it now and ``i`` is all that does: every unmet
    ``requires`` of ``d`` is ``i`` and ``i`` is in every unsatisfied ``requires_any`` group).
    """
    opened = []
    for d in index.hard_dependents_of(i).tolist():
        if met[d]:
            continue
        unmet = [u for u in index.requires_of(d).tolist() if not met[u]]
        open_groups = [g for g in index.groups_of(d) if not met[g].any()]
        blocked = bool(unmet or open_groups)
        if blocked and all(u == i for u in unmet) and all(i in g.tolist() for g in open_groups):
            opened.append(d)
    return opened


def _has_prerequisites(index: GraphIndex, i: int) -> bool:
    """True when lesson ``i`` has any hard or soft prerequisite."""
    return bool(
        index.requires_of(i).size or index.recommends_of(i).size or index.owner_groups.row(i).size
    )


def _met_prerequisites(index: GraphIndex, i: int, met: np.ndarray) -> list[int]:
    """All prerequisites of ``i`` when every one (soft included) is met, else []."""
    chosen = sorted(set(index.requires_of(i).tolist()) | set(index.recommends_of(i).tolist()))
    if not all(met[j] for j in chosen):
        return []
    for group in index.groups_of(i):
        done = group[met[group]]
        if done.size == 0:
            return []
        chosen.extend(int(j) for j in done if int(j) not in chosen)
    return sorted(chosen)
