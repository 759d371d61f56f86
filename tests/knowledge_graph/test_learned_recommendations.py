"""The ``learned`` component: transitions reorder what a learner can start, never more.

Properties run on random lesson DAGs (``lesson_graphs``) with random, deliberately strong
transitions (every pair of lessons, including locked and completed ones, with many
learners); candidates are checked against the reference of
``test_recommender_properties`` and against the one state rule, ``LessonGraph.state``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lesson_graphs import lesson_specs, make_graph, progresses
from test_recommender_properties import reference_candidates

from knowledge_graph.examples import example_graph
from knowledge_graph.lesson_state import LessonStatus
from knowledge_graph.model import LessonGraph
from knowledge_graph.recommender import LEARNED_RECENT, ReasonKind, recommend
from knowledge_graph.transitions import TransitionModel, learn_transitions

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw: st.DrawFn) -> tuple[Any, LessonGraph, Any, list[str] | None, TransitionModel]:
    """A graph, a learner's progress and recent list, and strong transitions over it."""
    specs = draw(lesson_specs())
    G = make_graph(specs)
    graph = LessonGraph.from_networkx(G)
    ids = list(G.nodes)
    progress = draw(progresses([s["id"] for s in specs]))
    recent = draw(st.none() | st.lists(st.sampled_from([*ids, "x/unknown"]), max_size=6))
    pairs = draw(
        st.dictionaries(
            st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1]),
            st.integers(1, 10_000),
            max_size=40,
        )
    )
    floor = draw(st.integers(1, 20))
    stopped = draw(st.dictionaries(st.sampled_from(ids), st.integers(0, 50), max_size=5))
    model = TransitionModel.from_counts(pairs, min_learners=floor, stopped=stopped, top=5)
    return G, graph, progress, recent, model


@SETTINGS
@given(cases())
def test_a_locked_or_completed_lesson_never_appears_however_strong_its_transitions(case):
    G, graph, progress, recent, model = case
    everything = graph.recommend(progress, k=len(graph) + 5, recent=recent, transitions=model)
    assert {r.lesson_id for r in everything} == reference_candidates(G, progress)
    for r in graph.recommend(progress, k=3, recent=recent, transitions=model):
        state = graph.state(r.lesson_id, progress)
        assert state.can_start
        assert state.status in {LessonStatus.STARTABLE, LessonStatus.ATTEMPTED}


@SETTINGS
@given(cases())
def test_transitions_only_reorder_and_every_strategy_agrees(case):
    _, graph, progress, recent, model = case
    plain = graph.recommend(progress, k=len(graph), recent=recent)
    learned = graph.recommend(progress, k=len(graph), recent=recent, transitions=model)
    assert sorted(r.lesson_id for r in learned) == sorted(r.lesson_id for r in plain)
    for r in learned:  # the learned part only adds: weights and shares are >= 0
        assert r.score >= next(p.score for p in plain if p.lesson_id == r.lesson_id)
    by_strategy = [
        recommend(graph.index, progress, k=len(graph), recent=recent, strategy=s, transitions=model)
        for s in ("sparse", "dense")
    ]
    assert by_strategy == [learned, learned]


@SETTINGS
@given(cases())
def test_a_learned_reason_states_the_snapshot_counts_of_a_recent_completion(case):
    _, graph, progress, recent, model = case
    history = list(recent) if recent is not None else list(progress)
    known = [graph.resolve_id(x) for x in history if graph.index.position(x) is not None]
    if recent is None:  # from progress, only what is mastered seeds the recommender
        known = [x for x in known if graph.state(x, progress).status is LessonStatus.MASTERED]
    for r in graph.recommend(progress, k=len(graph), recent=recent, transitions=model):
        for reason in r.reasons:
            if reason.kind is not ReasonKind.LEARNED:
                continue
            (before,) = reason.lessons
            assert before in list(dict.fromkeys(reversed(known)))[:LEARNED_RECENT]
            learners = dict(model.successors(before))[r.lesson_id]
            assert (reason.count, reason.total) == (learners, model.finished(before))
            assert learners >= model.min_learners


def test_an_empty_model_changes_nothing():
    graph = example_graph()
    empty = TransitionModel.from_counts({})
    for progress in ([], ["demo/variables"], ["demo/variables", "demo/loops"]):
        assert graph.recommend(progress, k=5, transitions=empty) == graph.recommend(progress, k=5)


def test_what_learners_took_next_moves_a_lesson_up_and_says_why():
    graph = example_graph()
    before = graph.recommend(["demo/variables"], k=2)
    assert [r.lesson_id for r in before] == ["demo/loops", "demo/strings"]
    model = learn_transitions(
        [["demo/variables", "demo/strings"]] * 9 + [["demo/variables", "demo/loops"]] * 3
    )
    after = graph.recommend(["demo/variables"], k=2, transitions=model)
    assert [r.lesson_id for r in after] == ["demo/strings", "demo/loops"]
    learned = [reason for reason in after[0].reasons if reason.kind is ReasonKind.LEARNED]
    assert [(x.lessons, x.count, x.total) for x in learned] == [(("demo/variables",), 9, 12)]
    # 3 learners took For Loops next: below the default floor of 5, so no reason, no push.
    assert not [x for x in after[1].reasons if x.kind is ReasonKind.LEARNED]
    assert after[1].score == before[0].score


def test_a_recent_completion_further_back_still_counts_but_less():
    graph = example_graph()
    model = learn_transitions([["demo/variables", "demo/strings"]] * 6)
    history = ["demo/variables", "demo/loops"]
    plain = {r.lesson_id: r.score for r in graph.recommend(history, k=5)}
    learned = {r.lesson_id: r.score for r in graph.recommend(history, k=5, transitions=model)}
    gain = learned["demo/strings"] - plain["demo/strings"]
    assert round(gain, 6) == round(4.0 * 0.7, 6)  # weight 4.0, one step back: x 0.7
