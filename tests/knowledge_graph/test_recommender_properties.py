"""Property tests of recommend / path_to / missing_prerequisites on random lesson DAGs.

Each property is checked against a slow, obviously correct reference written directly
over networkx (no index, no numpy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lesson_graphs import lesson_specs, make_graph, progresses

import knowledge_graph.index as index_module
from knowledge_graph.model import MASTERY_THRESHOLD, LessonGraph
from knowledge_graph.recommender import recommend

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------ reference model


def reference_mastery(G: nx.DiGraph, progress: Any) -> dict[str, float]:
    """Mastery per qualified id, resolving bare ids that are unique; unknown ids dropped."""
    bare: dict[str, list[str]] = {}
    for node, data in G.nodes(data=True):
        bare.setdefault(data["key"], []).append(node)

    def resolve(x: str) -> str | None:
        if x in G:
            return x
        found = bare.get(x, [])
        return found[0] if len(found) == 1 else None

    mastery = dict.fromkeys(G.nodes, 0.0)
    if isinstance(progress, Mapping):
        for key, value in progress.items():
            if (node := resolve(key)) is not None:
                mastery[node] = min(1.0, max(0.0, float(value)))
    else:
        for key in progress:
            if (node := resolve(key)) is not None:
                mastery[node] = 1.0
    return mastery


def hard_requires(G: nx.DiGraph, node: str) -> list[str]:
    return [u for u in G.predecessors(node) if "requires" in G.edges[u, node]["kinds"]]


def reference_unlocked(G: nx.DiGraph, node: str, done: set[str]) -> bool:
    """All ``requires`` done and one member of every ``requires_any`` group done."""
    if any(u not in done for u in hard_requires(G, node)):
        return False
    return all(any(m in done for m in g) for g in G.nodes[node]["requires_any"])


def reference_done(G: nx.DiGraph, progress: Any) -> set[str]:
    """The lessons the reference counts as completed (mastery at the threshold or above)."""
    return {v for v, m in reference_mastery(G, progress).items() if m >= MASTERY_THRESHOLD}


def reference_minimal_plan(G: nx.DiGraph, goal: str, done: set[str]) -> frozenset[str]:
    """The cheapest set of lessons to take to reach ``goal``, by brute force over subsets.

    A set is a plan when it holds the goal and every lesson in it can be started from
    ``done`` and the set itself. Cheapest: fewest minutes, then fewest lessons, then earliest
    in load order (sorted ``order`` values compared as lists).
    """
    if goal in done:
        return frozenset()
    pool = sorted((nx.ancestors(hard_graph(G), goal) - done), key=lambda v: G.nodes[v]["order"])
    best: tuple[Any, frozenset[str]] | None = None
    for mask in range(1 << len(pool)):
        chosen = {pool[b] for b in range(len(pool)) if mask >> b & 1} | {goal}
        have = done | chosen
        if not all(reference_unlocked(G, v, have) for v in chosen):
            continue
        key = (
            sum(G.nodes[v]["minutes"] for v in chosen),
            len(chosen),
            sorted(G.nodes[v]["order"] for v in chosen),
        )
        if best is None or key < best[0]:
            best = (key, frozenset(chosen))
    assert best is not None
    return best[1]


def reference_candidates(G: nx.DiGraph, progress: Any) -> set[str]:
    done = reference_done(G, progress)
    return {v for v in G if v not in done and reference_unlocked(G, v, done)}


def hard_graph(G: nx.DiGraph) -> nx.DiGraph:
    H = nx.DiGraph()
    H.add_nodes_from(G)
    H.add_edges_from(
        (u, v)
        for u, v, d in G.edges(data=True)
        if "requires" in d["kinds"] or "requires_any" in d["kinds"]
    )
    return H


def build(specs: list[dict[str, Any]]) -> tuple[nx.DiGraph, LessonGraph]:
    G = make_graph(specs)
    return G, LessonGraph.from_networkx(G)


def draw_case(
    data: st.DataObject,
) -> tuple[list[dict[str, Any]], nx.DiGraph, LessonGraph, Any]:
    """Draw lesson specs and a learner's progress; return ``(specs, G, graph, progress)``."""
    specs = data.draw(lesson_specs())
    G, graph = build(specs)
    return specs, G, graph, data.draw(progresses([s["id"] for s in specs]))


# --------------------------------------------------------------- properties


@SETTINGS
@given(st.data())
def test_recommendations_are_exactly_the_unlocked_uncompleted_lessons(data: st.DataObject):
    _, G, graph, progress = draw_case(data)
    everything = graph.recommend(progress, k=len(graph) + 5)
    assert {r.lesson_id for r in everything} == reference_candidates(G, progress)
    assert len({r.lesson_id for r in everything}) == len(everything)


@SETTINGS
@given(st.data())
def test_vectorised_mastery_matches_the_reference(data: st.DataObject):
    """The index's one-pass id lookup gives the same mastery as resolving ids one by one."""
    _, G, graph, progress = draw_case(data)
    expected = reference_mastery(G, progress)
    vector = graph.index.mastery_vector(progress)
    assert {lesson: float(vector[i]) for i, lesson in enumerate(graph.index.ids)} == expected
    first = graph.index.ids[:1]
    odd = [42, None, *first, "nope"]
    assert graph.index.positions_of(odd).tolist() == [-1, -1, *[0 for _ in first], -1]


def expected_entries(graph: LessonGraph, progress: Any) -> bool:
    """Does ``progress`` name a lesson of ``graph`` with a numeric mastery?"""
    keys = progress.keys() if isinstance(progress, Mapping) else progress
    return bool((graph.index.positions_of(list(keys)) >= 0).any())


@SETTINGS
@given(st.data())
def test_the_learners_own_mastery_entries_match_the_reference(data: st.DataObject):
    """``mastery_state`` (the neighbourhood walk's view: the learner's entries, sorted, and the
    mask of what is met) gives the reference mastery, whether it sorts the entries or, for a
    long history, passes over a vector."""
    _, G, graph, progress = draw_case(data)
    expected = reference_mastery(G, progress)
    sort_entries = data.draw(st.booleans())
    try:  # the test graphs are small: choose the way explicitly
        index_module.DENSE_MASTERY_SHARE = 0 if sort_entries else 10**9
        graph.index.__dict__.pop("_mastery_memo", None)  # computed afresh, the chosen way
        state = graph.index.mastery_state(progress)
    finally:
        index_module.DENSE_MASTERY_SHARE = 64
    assert (state.dense is None) == (sort_entries or not expected_entries(graph, progress))
    positions = np.arange(graph.index.n)
    assert {i: float(v) for i, v in zip(graph.index.ids, state.of(positions), strict=True)} == (
        expected
    )
    assert state.vector().tolist() == graph.index.mastery_vector(progress).tolist()
    met = [expected[i] >= MASTERY_THRESHOLD for i in graph.index.ids]
    assert state.met.tolist() == met
    assert state.mastered.tolist() == [i for i, m in enumerate(met) if m]
    assert state.lessons.tolist() == sorted(state.lessons.tolist())
    assert all(0 < v <= 1 for v in state.levels.tolist())


@SETTINGS
@given(st.data())
def test_the_remembered_learner_is_the_one_asked_about(data: st.DataObject):
    """``mastery_state`` remembers the last learner's state: asking about another learner,
    or about the same mapping after it changed, never answers with the remembered one, and
    the shared arrays cannot be written."""
    specs, G, graph, first = draw_case(data)
    second = data.draw(progresses([spec["id"] for spec in specs]))
    index = graph.index
    for progress in (first, second, first, dict(first) if isinstance(first, Mapping) else first):
        state = index.mastery_state(progress)
        assert state.vector().tolist() == index.mastery_vector(progress).tolist()
        assert not state.met.flags.writeable and not state.lessons.flags.writeable
    changing = {lesson: 1.0 for lesson in sorted(G.nodes)[:1]}
    assert index.mastery_state(changing).mastered.size == 1
    changing.clear()
    assert index.mastery_state(changing).mastered.size == 0
    odd = {lesson: np.array([1.0, 1.0]) for lesson in sorted(G.nodes)[:1]}  # not one number
    assert index.mastery_state(odd).mastered.size == index.mastery_state(dict(odd)).mastered.size


@SETTINGS
@given(st.data())
def test_k_is_respected_and_results_are_the_best_prefix(data: st.DataObject):
    _, _, graph, progress = draw_case(data)
    k = data.draw(st.integers(-1, 6))
    top = graph.recommend(progress, k=k)
    everything = graph.recommend(progress, k=len(graph))
    assert len(top) == max(0, min(k, len(everything)))
    assert top == everything[: len(top)]
    scores = [r.score for r in everything]
    assert scores == sorted(scores, reverse=True)


@SETTINGS
@given(st.data())
def test_results_are_deterministic_across_calls_and_rebuilds(data: st.DataObject):
    specs, _, graph, progress = draw_case(data)
    goal = data.draw(st.none() | st.sampled_from([s["id"] for s in specs]))
    shuffled = data.draw(st.permutations(range(len(specs))))
    rebuilt = LessonGraph.from_networkx(make_graph(specs, insertion=shuffled))
    first = graph.recommend(progress, k=4, goal=goal)
    assert graph.recommend(progress, k=4, goal=goal) == first
    assert rebuilt.recommend(progress, k=4, goal=goal) == first
    assert rebuilt.fingerprint == graph.fingerprint
    if goal is not None:
        assert rebuilt.path_to(goal, progress) == graph.path_to(goal, progress)


@SETTINGS
@given(st.data())
def test_reasons_refer_to_real_lessons(data: st.DataObject):
    specs, G, graph, progress = draw_case(data)
    goal = data.draw(st.none() | st.sampled_from([s["id"] for s in specs]))
    recent = data.draw(st.none() | st.lists(st.sampled_from([*G.nodes, "x/unknown"])))
    for rec in graph.recommend(progress, k=5, goal=goal, recent=recent):
        assert rec.title == G.nodes[rec.lesson_id]["title"]
        for reason in rec.reasons:
            assert all(lesson in G for lesson in reason.lessons)
            assert reason.count is None or reason.count >= len(reason.lessons)


@SETTINGS
@given(st.data())
def test_path_to_is_a_valid_plan_ending_at_the_goal(data: st.DataObject):
    specs, G, graph, progress = draw_case(data)
    goal = graph.resolve_id(data.draw(st.sampled_from([s["id"] for s in specs])))
    done = reference_done(G, progress)
    path = graph.path_to(goal, progress)
    steps = [s.id for s in path.steps]
    assert path.goal == goal
    assert path.already_done == (goal in done)
    assert path.total_minutes == sum(G.nodes[s]["minutes"] for s in steps)
    assert len(set(steps)) == len(steps)
    assert not set(steps) & done
    if goal not in done:
        assert steps[-1] == goal
        assert set(steps) == reference_minimal_plan(G, goal, done)
    available = set(done)
    for step in steps:
        assert reference_unlocked(G, step, available), step
        available.add(step)


@SETTINGS
@given(st.data())
def test_a_goal_closure_lesson_ranks_first_when_one_is_unlocked(data: st.DataObject):
    specs, G, graph, progress = draw_case(data)
    goal = graph.resolve_id(data.draw(st.sampled_from([s["id"] for s in specs])))
    done = reference_done(G, progress)
    closure = (nx.ancestors(hard_graph(G), goal) | {goal}) - done
    unlocked_in_closure = closure & reference_candidates(G, progress)
    top = graph.recommend(progress, k=3, goal=goal)
    if unlocked_in_closure and goal not in done:
        assert top[0].lesson_id in closure
        # The goal itself is "your goal", never "the next step toward your goal, <itself>".
        expected = "is_goal" if top[0].lesson_id == goal else "toward_goal"
        assert top[0].reasons[0].kind == expected
        assert top[0].reasons[0].lessons == (goal,)
        assert top[0].lesson_id in {s.id for s in graph.path_to(goal, progress).steps}


@SETTINGS
@given(st.data())
def test_missing_prerequisites_match_the_reference(data: st.DataObject):
    _, G, graph, progress = draw_case(data)
    done = reference_done(G, progress)
    for node in G:
        missing = graph.missing_prerequisites(node, progress)
        assert graph.is_unlocked(node, progress) == reference_unlocked(G, node, done)
        assert len(set(missing)) == len(missing)
        assert not set(missing) & done
        if node in done:
            assert missing == []
            continue
        assert set(missing) == reference_minimal_plan(G, node, done) - {node}
        assert reference_unlocked(G, node, done | set(missing))
        available = set(done)
        for step in missing:  # in an order the learner can follow
            assert reference_unlocked(G, step, available), step
            available.add(step)


@SETTINGS
@given(st.data())
def test_unlocks_names_exactly_the_lessons_that_become_startable(data: st.DataObject):
    _, G, graph, progress = draw_case(data)
    done = reference_done(G, progress)
    for rec in graph.recommend(progress, k=5):
        opened = sorted(
            (
                d
                for d in G
                if d not in done
                and not reference_unlocked(G, d, done)
                and reference_unlocked(G, d, done | {rec.lesson_id})
            ),
            key=lambda d: G.nodes[d]["order"],
        )
        unlocks = [r for r in rec.reasons if r.kind == "unlocks"]
        if not opened:
            assert unlocks == []
        else:
            assert unlocks[0].count == len(opened)
            assert list(unlocks[0].lessons) == opened[: len(unlocks[0].lessons)]


@SETTINGS
@given(st.data())
def test_just_finished_names_only_the_most_recent_completion(data: st.DataObject):
    _, G, graph, progress = draw_case(data)
    recent = data.draw(st.lists(st.sampled_from(list(G.nodes)), unique=True, max_size=4))
    for rec in graph.recommend(progress, k=5, recent=recent):
        for reason in rec.reasons:
            if reason.kind == "continues":
                assert reason.lessons == (recent[-1],)
                assert rec.lesson_id in G.successors(recent[-1])
                assert "next" in G.edges[recent[-1], rec.lesson_id]["kinds"]


@SETTINGS
@given(st.data())
def test_the_neighbourhood_walk_ranks_exactly_as_the_whole_graph_passes(data: st.DataObject):
    specs, _, graph, progress = draw_case(data)
    goal = data.draw(st.none() | st.sampled_from([s["id"] for s in specs]))
    goal_index = None if goal is None else graph.index.require(goal)
    sparse = recommend(graph.index, progress, k=20, goal=goal_index, strategy="sparse")
    dense = recommend(graph.index, progress, k=20, goal=goal_index, strategy="dense")
    assert sparse == dense
