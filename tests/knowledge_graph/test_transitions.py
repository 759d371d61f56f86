"""Learned transitions: counts of distinct learners, the privacy floor, the snapshot file.

Each property is checked against a direct count written over the histories (sets of
learners per pair), not against the module's own counting.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from clocks import ManualClock
from hypothesis import given, settings
from hypothesis import strategies as st

import knowledge_graph as kg
from knowledge_graph.errors import TransitionsSnapshotError
from knowledge_graph.transitions import (
    MAX_SNAPSHOT_BYTES,
    SNAPSHOT_FORMAT,
    Successor,
    TransitionModel,
    learn_transitions,
    load_transitions,
)

LESSONS = [f"c/l{i}" for i in range(6)]
histories = st.lists(st.lists(st.sampled_from(LESSONS), max_size=10), max_size=40)
floors = st.integers(min_value=1, max_value=6)


def reference_learners(sequences: list[list[str]]) -> dict[tuple[str, str], set[int]]:
    """Learner numbers per (X, Y): Y was the learner's next lesson not seen before after X's
    first completion. Written with explicit sets so a learner cannot count twice."""
    learners: dict[tuple[str, str], set[int]] = defaultdict(set)
    for learner, sequence in enumerate(sequences):
        seen: set[str] = set()
        previous = None
        for lesson in sequence:
            if lesson in seen:
                continue
            seen.add(lesson)
            if previous is not None:
                learners[previous, lesson].add(learner)
            previous = lesson
    return learners


@settings(max_examples=200, deadline=None)
@given(histories, floors)
def test_counts_are_distinct_learners_and_the_floor_hides_every_rarer_pair(sequences, floor):
    model = learn_transitions(sequences, min_learners=floor, top=len(LESSONS))
    expected = {
        pair: len(who) for pair, who in reference_learners(sequences).items() if len(who) >= floor
    }
    got = {(x, s.lesson_id): s.learners for x in LESSONS for s in model.successors(x)}
    assert got == expected
    for x in LESSONS:
        learners = [s.learners for s in model.successors(x)]
        assert all(n >= floor for n in learners)
        assert model.finished(x) == 0 or model.finished(x) >= floor
        assert model.stopped(x) == 0 or model.stopped(x) >= floor
        assert sum(learners) + model.stopped(x) <= model.finished(x)


@settings(max_examples=100, deadline=None)
@given(histories, floors)
def test_repeating_a_learner_history_inside_it_changes_nothing(sequences, floor):
    doubled = [sequence + sequence for sequence in sequences]
    assert learn_transitions(doubled, floor) == learn_transitions(sequences, floor)


@settings(max_examples=100, deadline=None)
@given(histories, floors)
def test_finished_counts_every_learner_of_a_lesson_once(sequences, floor):
    model = learn_transitions(sequences, min_learners=1)
    for x in LESSONS:
        completed = sum(1 for s in sequences if x in s)
        assert model.finished(x) == completed
        went_on = sum(s.learners for s in model.successors(x))
        assert went_on + model.stopped(x) == completed
    floored = learn_transitions(sequences, min_learners=floor)
    for x in LESSONS:
        assert floored.finished(x) == (model.finished(x) if model.finished(x) >= floor else 0)


@settings(max_examples=100, deadline=None)
@given(histories, floors)
def test_the_snapshot_round_trips(sequences, floor):
    model = learn_transitions(sequences, floor, generated_at="2026-11-30T01:00:00+00:00")
    assert TransitionModel.from_json(model.to_json()) == model


def test_successors_rank_most_learners_first_ties_by_id_and_keep_the_top():
    counts = {("c/a", "c/z"): 7, ("c/a", "c/b"): 7, ("c/a", "c/m"): 9, ("c/a", "c/q"): 6}
    model = TransitionModel.from_counts(counts, min_learners=5, top=3)
    assert model.successors("c/a") == (
        Successor("c/m", 9),
        Successor("c/b", 7),
        Successor("c/z", 7),
    )
    assert model.finished("c/a") == 29  # the cut successor's learners still finished c/a
    assert model.successors("c/unknown") == ()


def test_the_floor_hides_rare_successors_with_the_default_of_five():
    sequences = [["c/a", "c/b"]] * 5 + [["c/a", "c/c"]] * 4
    model = learn_transitions(sequences)
    assert model.min_learners == 5
    assert model.successors("c/a") == (Successor("c/b", 5),)
    assert model.stopped("c/c") == 0  # 4 learners stopped there: below the floor


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_learners": 0}, "min_learners"),
        ({"top": 0}, "top"),
        ({"generated_at": "yesterday"}, "ISO-8601"),
        ({"finished": {"c/a": 3}}, "finished"),
        ({"finished": {"c/a": 6}, "stopped": {"c/a": 1}}, "finished"),
    ],
)
def test_from_counts_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TransitionModel.from_counts({("c/a", "c/b"): 6}, **kwargs)


def test_a_lesson_cannot_follow_itself():
    with pytest.raises(ValueError, match="follow itself"):
        TransitionModel.from_counts({("c/a", "c/a"): 6})


def _snapshot(**changes) -> str:
    document = {
        "format": SNAPSHOT_FORMAT,
        "min_learners": 5,
        "generated_at": None,
        "successors": {"c/a": [["c/b", 6], ["c/c", 5]]},
        "finished": {"c/a": 11, "c/b": 6},
        "stopped": {"c/b": 5},
    }
    document.update(changes)
    return json.dumps(document)


def test_a_valid_snapshot_reads():
    model = TransitionModel.from_json(_snapshot())
    assert model.successors("c/a") == (Successor("c/b", 6), Successor("c/c", 5))
    assert (model.finished("c/a"), model.stopped("c/b"), model.lessons) == (11, 5, ("c/a", "c/b"))


@pytest.mark.reliability(
    area="Hostile input",
    tried="a learned-transitions snapshot that is not JSON, nested 100,000 deep, has duplicate "
    "or unknown keys, NaN, counts that are strings, floats or booleans, counts below its own "
    "privacy floor or above its lessons' finished counts, unsorted or repeated successors, a "
    "lesson following itself, ids that are paths or unqualified",
    scale="24 malformed snapshots",
    outcome="each is refused with a TransitionsSnapshotError naming the first problem; "
    "nothing is evaluated or unpickled",
)
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "top level"),
        ("{not json", "not valid JSON"),
        ('{"format": "x", "format": "y"}', "duplicate key"),
        (_snapshot(format="lessonbot-transitions/2"), "format"),
        (_snapshot(min_learners=0), "below"),
        (_snapshot(min_learners=True), "not an integer"),
        (_snapshot(generated_at="soon"), "ISO-8601"),
        (_snapshot(extra=1), "unknown key"),
        (_snapshot(successors={"c/a": [["c/b", 4]]}), "below min_learners 5"),
        (_snapshot(successors={"c/a": [["c/b", 6.0]]}), "not an integer"),
        (_snapshot(successors={"c/a": [["c/b", float("nan")]]}), "not valid JSON"),
        (_snapshot(successors={"c/a": [["c/c", 5], ["c/b", 6]]}), "sorted"),
        (_snapshot(successors={"c/a": [["c/b", 6], ["c/b", 5]]}), "unique"),
        (_snapshot(successors={"c/a": [["c/a", 6]]}), "follow itself"),
        (_snapshot(successors={"c/a": [["../etc/passwd", 6]]}), "qualified lesson id"),
        (_snapshot(successors={"a": [["c/b", 6]]}), "qualified lesson id"),
        (_snapshot(successors={"c/a": []}), "non-empty list"),
        (_snapshot(successors={"c/a": [["c/b"]]}), "pair"),
        (_snapshot(successors={"c/a": [["c/b", 12]]}), "finished"),
        (_snapshot(successors={"c/a": [["c/b", 6], ["c/c", 6]]}), "finished"),
        (_snapshot(stopped={"c/a": 6}), "finished"),
        (_snapshot(stopped={"c/b": 7}), "stopped count"),
        (_snapshot(finished={"c/a": 3}), "below min_learners"),
        (_snapshot(stopped=[]), "object"),
        (_snapshot(successors={"c/a": [["c/b", 6]]}, finished={}), "finished"),
        ('{"format": "lessonbot-transitions/1"}', "missing"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ],
)
def test_malformed_snapshots_raise_a_clear_error(text, message):
    with pytest.raises(TransitionsSnapshotError, match=message):
        TransitionModel.from_json(text)


def test_an_oversized_snapshot_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "transitions.json"
    path.write_text(_snapshot() + " " * 64, encoding="utf-8")
    monkeypatch.setattr("knowledge_graph.transitions.MAX_SNAPSHOT_BYTES", 64)
    with pytest.raises(TransitionsSnapshotError, match="over the 64-byte limit"):
        load_transitions(path)
    with pytest.raises(TransitionsSnapshotError, match="over the 64-byte limit"):
        TransitionModel.from_json(_snapshot())
    assert MAX_SNAPSHOT_BYTES > 64


def test_load_transitions_names_the_file(tmp_path):
    path = tmp_path / "transitions.json"
    with pytest.raises(TransitionsSnapshotError, match=f"{path}: cannot read"):
        load_transitions(path)
    path.write_text(_snapshot(min_learners="5"), encoding="utf-8")
    with pytest.raises(TransitionsSnapshotError, match=f"{path}: snapshot: min_learners"):
        load_transitions(path)
    path.write_text(_snapshot(), encoding="utf-8")
    assert load_transitions(path) == TransitionModel.from_json(_snapshot())


def test_the_package_exports_the_public_api():
    assert kg.learn_transitions is learn_transitions
    assert kg.TransitionModel is TransitionModel
    assert kg.load_transitions is load_transitions
    assert issubclass(kg.TransitionsSnapshotError, kg.GraphError)


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="the transitions snapshot the bot serves is replaced by a broken file, then "
    "deleted, then replaced by a good one",
    scale="one file, every state in turn",
    outcome="the last good snapshot keeps serving, one warning per bad state names the "
    "problem, the good replacement is taken at the next check; the file is looked at no "
    "more often than TRANSITIONS_CHECK_SECONDS",
)
def test_the_loader_rereads_only_after_the_interval_and_keeps_the_last_good_model(tmp_path, caplog):
    from knowledge_graph.transitions import TransitionsLoader

    path = tmp_path / "transitions.json"
    clock = ManualClock()
    loader = TransitionsLoader(path, check_seconds=300, clock=clock)
    assert loader.get() is None and "cannot read" in (loader.problem or "")
    first = learn_transitions([["c/a", "c/b"]] * 5)
    path.write_text(first.to_json(), encoding="utf-8")
    assert loader.get() is None  # not looked at again before the interval
    clock.now = 300
    assert loader.get() == first
    path.write_text("{broken", encoding="utf-8")
    clock.now = 600
    with caplog.at_level("WARNING", logger="knowledge_graph.transitions"):
        assert loader.get() == first  # a bad file never takes the good model away
        clock.now = 900
        assert loader.get() == first
    bad = [r for r in caplog.records if "not valid JSON" in getattr(r, "problem", "")]
    assert len(bad) == 1 and bad[0].getMessage().startswith("transitions snapshot not used")
    path.unlink()
    clock.now = 1200
    assert loader.get() == first
    second = learn_transitions([["c/a", "c/c"]] * 6)
    path.write_text(second.to_json(), encoding="utf-8")
    clock.now = 1500
    assert loader.get() == second and loader.problem is None


def test_the_loader_comes_from_the_environment():
    from knowledge_graph.transitions import DEFAULT_CHECK_SECONDS, loader_from_env

    assert loader_from_env({"TRANSITIONS_SNAPSHOT": " "}) is None
    for raw, seconds in (("60", 60.0), ("soon", DEFAULT_CHECK_SECONDS), ("-1", 300.0)):
        env = {"TRANSITIONS_SNAPSHOT": "/x/t.json", "TRANSITIONS_CHECK_SECONDS": raw}
        loader = loader_from_env(env)
        assert loader is not None and loader.check_seconds == seconds
