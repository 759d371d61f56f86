"""The recommenders of the benchmark give sensible answers on generated 100-lesson graphs.

Neither ours (``LessonGraph.recommend``) nor a peer (the plain-Python neighbourhood walk, the
networkx + SciPy PageRank) may ever offer a lesson that is completed or whose hard
prerequisites are not all completed.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.generate_graph import generate_courses, write_graph
from bench.learners import learners
from bench.naive_baseline import PEERS, PageRankRecommender, WalkRecommender
from knowledge_graph import MASTERY_THRESHOLD, LessonGraph, load_graph, validate_path

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module", params=SEEDS)
def graphs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = write_graph(100, seed=request.param, cache_dir=tmp_path_factory.mktemp("graphs"))
    walk = WalkRecommender.from_path(folder)
    return folder, load_graph(folder), {"walk": walk, "pagerank": PageRankRecommender(walk.graph)}


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


def test_all_load_the_same_lessons_in_the_same_order(graphs) -> None:
    _, ours, peers = graphs
    assert sorted(peers) == sorted(PEERS)
    for peer in peers.values():
        assert list(ours.index.ids) == list(peer.graph.nodes)


def test_none_recommends_locked_or_completed_lessons(graphs) -> None:
    _, ours, peers = graphs
    ids = list(ours.index.ids)
    for number, mastery in enumerate(_progress_samples(ids, seed=len(ids))):
        allowed = _allowed(ours, mastery)
        ours_ids = [r.lesson_id for r in ours.recommend(mastery, k=5)]
        assert set(ours_ids) <= allowed, number
        assert bool(ours_ids) == bool(allowed), number
        for name, peer in peers.items():
            peer_ids = peer.recommend(mastery, k=5)
            assert set(peer_ids) <= allowed, (name, number)
            assert bool(peer_ids) == bool(allowed), (name, number)


def test_a_new_learner_gets_the_start_lesson_from_all(graphs) -> None:
    _, ours, peers = graphs
    first = ours.index.ids[0]
    assert [r.lesson_id for r in ours.recommend({}, k=3)] == [first]
    for peer in peers.values():
        assert peer.recommend({}, k=3) == [first]


def test_the_walk_ranks_the_neighbourhood_of_recent_work(graphs) -> None:
    _, ours, peers = graphs
    ids = list(ours.index.ids)
    done = dict.fromkeys(ids[:10], 1.0)
    best = peers["walk"].recommend(done, k=1)[0]
    assert best in peers["walk"].walk(set(done))  # reached by the walk, not a fallback


def test_naive_path_ends_at_the_goal_in_prerequisite_order(graphs) -> None:
    _, ours, peers = graphs
    for learner in learners(list(ours.index.ids)):
        path = peers["walk"].path_to(learner.goal, learner.mastery)
        assert path[-1] == learner.goal
        seen = set(learner.mastery)
        for lesson in path:
            assert set(ours.prerequisites(lesson).requires) <= seen
            seen.add(lesson)
