"""Both recommenders of the benchmark give sensible answers on generated 100-lesson graphs.

Neither ours (``LessonGraph.recommend``) nor the naive baseline may ever offer a lesson that
is completed or whose hard prerequisites are not all completed.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.generate_graph import generate_courses, write_graph
from bench.learners import learners
from bench.naive_baseline import NaiveRecommender
from knowledge_graph import MASTERY_THRESHOLD, LessonGraph, load_graph, validate_path

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module", params=SEEDS)
def graphs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = write_graph(100, seed=request.param, cache_dir=tmp_path_factory.mktemp("graphs"))
    return folder, load_graph(folder), NaiveRecommender.from_path(folder)


def _progress_samples(ids: list[str], seed: int) -> list[dict[str, float]]:
    """Valid prefixes (the benchmark learners) and random, partly failed, progress."""
    rng = random.Random(seed)
    samples = [dict(learner.mastery) for learner in learners(ids)]
    for _ in range(15):
        chosen = rng.sample(ids, rng.randrange(len(ids)))
        samples.append({lesson: rng.choice((0.2, 0.5, 0.6, 0.9, 1.0)) for lesson in chosen})
    return samples


def _allowed(ours: LessonGraph, mastery: dict[str, float]) -> set[str]:
    """Lessons not completed whose hard prerequisites are all completed."""
    done = {lesson for lesson, m in mastery.items() if m >= MASTERY_THRESHOLD}
    return {
        lesson.id
        for lesson in ours.lessons()
        if lesson.id not in done and all(p in done for p in ours.prerequisites(lesson.id).requires)
    }


def test_generated_graph_is_deterministic_and_valid(tmp_path: Path) -> None:
    assert generate_courses(100, seed=5) == generate_courses(100, seed=5)
    assert generate_courses(100, seed=5) != generate_courses(100, seed=6)
    report = validate_path(write_graph(100, seed=5, cache_dir=tmp_path))
    assert report.ok, report.format()
    assert not report.warnings, report.format()


def test_generated_graph_has_every_link_kind(graphs) -> None:
    _, ours, _ = graphs
    kinds = {kind for _, _, d in ours.graph.edges(data="kinds") for kind in d}
    assert {"requires", "recommends", "related", "next"} <= kinds
    assert len(ours.modules()) > 1
    assert any(lesson.aliases for lesson in ours.lessons())


def test_both_load_the_same_lessons_in_the_same_order(graphs) -> None:
    _, ours, naive = graphs
    assert list(ours.index.ids) == list(naive.graph.nodes)


def test_neither_recommends_locked_or_completed_lessons(graphs) -> None:
    _, ours, naive = graphs
    ids = list(ours.index.ids)
    for number, mastery in enumerate(_progress_samples(ids, seed=len(ids))):
        allowed = _allowed(ours, mastery)
        ours_ids = [r.lesson_id for r in ours.recommend(mastery, k=5)]
        naive_ids = naive.recommend(mastery, k=5)
        assert set(ours_ids) <= allowed, number
        assert set(naive_ids) <= allowed, number
        assert bool(ours_ids) == bool(allowed) == bool(naive_ids), number


def test_a_new_learner_gets_the_start_lesson_from_both(graphs) -> None:
    _, ours, naive = graphs
    first = ours.index.ids[0]
    assert [r.lesson_id for r in ours.recommend({}, k=3)] == [first]
    assert naive.recommend({}, k=3) == [first]


def test_naive_path_ends_at_the_goal_in_prerequisite_order(graphs) -> None:
    _, ours, naive = graphs
    for learner in learners(list(ours.index.ids)):
        path = naive.path_to(learner.goal, learner.mastery)
        assert path[-1] == learner.goal
        seen = set(learner.mastery)
        for lesson in path:
            assert set(ours.prerequisites(lesson).requires) <= seen
            seen.add(lesson)
