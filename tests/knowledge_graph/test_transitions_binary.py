"""The binary transitions snapshot: a memory-mapped folder written by ``TransitionModel.write``.

Round trips against the JSON form, damage of every kind refused with its reason (and the
loader keeping the last good model), and opening without building an object per lesson,
checked by counting allocations (never by timing).
"""

from __future__ import annotations

import json
import mmap
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from clocks import ManualClock
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_graph.errors import TransitionsSnapshotError
from knowledge_graph.mapped_arrays import (
    ARRAYS_NAME,
    CURRENT_NAME,
    META_NAME,
    content_digest,
    pack_arrays,
    read_current,
)
from knowledge_graph.transitions import (
    ARRAY_NAMES,
    TransitionModel,
    TransitionsLoader,
    learn_transitions,
    load_transitions,
)

LESSONS = [f"c/l{i}" for i in range(7)]
histories = st.lists(st.lists(st.sampled_from(LESSONS), max_size=12), max_size=50)
floors = st.integers(min_value=1, max_value=4)


def _model(more: int = 0) -> TransitionModel:
    """Ids c/a c/b c/c; c/a -> (c/b 6 + more, c/c 5), c/b -> (c/a 5, c/c 6 + more)."""
    return learn_transitions(
        [["c/a", "c/b", "c/c"]] * (6 + more) + [["c/a", "c/c"]] * 5 + [["c/b", "c/a"]] * 5,
        min_learners=5,
        generated_at="2026-11-30T01:00:00+00:00",
    )


@settings(max_examples=60, deadline=None)
@given(histories, floors)
def test_json_and_binary_round_trips_give_equal_models(tmp_path_factory, sequences, floor):
    model = learn_transitions(sequences, floor, top=3, generated_at="2026-11-30T00:00:00Z")
    folder = tmp_path_factory.mktemp("snapshot") / "transitions"
    model.write(folder)
    mapped = load_transitions(folder)
    from_json = TransitionModel.from_json(model.to_json())
    assert mapped == model == from_json
    assert mapped.to_json() == model.to_json()
    for lesson in [*LESSONS, "c/unknown", "not an id"]:
        assert mapped.successors(lesson) == from_json.successors(lesson)
        assert mapped.finished(lesson) == from_json.finished(lesson)
        assert mapped.stopped(lesson) == from_json.stopped(lesson)
    assert (mapped.lessons, len(mapped)) == (from_json.lessons, len(from_json))


def test_a_snapshot_folder_holds_versions_and_current_and_rewrites_nothing_unchanged(tmp_path):
    folder = tmp_path / "transitions"
    model = _model()
    assert model.write(folder) is True
    version = read_current(folder, TransitionsSnapshotError)
    assert version is not None and {p.name for p in version.iterdir()} == {
        ARRAYS_NAME,
        META_NAME,
    }
    meta = json.loads((version / META_NAME).read_text())
    assert (meta["format"], meta["version"], meta["min_learners"]) == (
        "lessonbot-transitions-arrays",
        1,
        5,
    )
    again = TransitionModel(model.min_learners, "2026-12-01T00:00:00+00:00", model.arrays)
    assert again.write(folder) is False  # same counts, a new time: nothing new to read
    assert read_current(folder, TransitionsSnapshotError) == version
    other = learn_transitions([["c/a", "c/d"]] * 7)
    assert other.write(folder) is True and load_transitions(folder) == other
    assert model.write(folder) is True and load_transitions(folder) == model  # back to v1


def test_a_model_the_reader_would_refuse_is_never_published(tmp_path):
    folder = tmp_path / "transitions"
    bad = TransitionModel.from_counts({("a", "b"): 9})  # not qualified course/lesson ids
    with pytest.raises(TransitionsSnapshotError, match="not a qualified lesson id"):
        bad.write(folder)
    assert not (folder / CURRENT_NAME).exists()
    with pytest.raises(TransitionsSnapshotError, match=f"{folder}: no CURRENT file"):
        load_transitions(folder)


# --------------------------------------------------------------------- damage


def _arrays(version: Path) -> dict[str, np.ndarray]:
    meta = json.loads((version / META_NAME).read_text())
    packed = np.load(version / ARRAYS_NAME)
    return {
        name: packed[s["offset"] : s["offset"] + s["nbytes"]].view(s["dtype"]).reshape(s["shape"])
        for name, s in meta["arrays"].items()
    }


def _rewrite(version: Path, change: Callable[[dict[str, np.ndarray]], None]) -> None:
    """Change the arrays and record their new digests: only the structural checks can
    catch what ``change`` did."""
    arrays = {k: v.copy() for k, v in _arrays(version).items()}
    change(arrays)
    packed, specs = pack_arrays(arrays)
    np.save(version / ARRAYS_NAME, packed)
    meta = json.loads((version / META_NAME).read_text())
    meta["arrays"] = specs
    meta["content_sha256"] = content_digest(meta)
    (version / META_NAME).write_text(json.dumps(meta))


def _truncate(version: Path) -> None:
    data = (version / ARRAYS_NAME).read_bytes()
    (version / ARRAYS_NAME).write_bytes(data[: len(data) // 2])


def _flip_a_byte(version: Path) -> None:
    data = bytearray((version / ARRAYS_NAME).read_bytes())
    data[-1] ^= 0x01  # the last array's last byte
    (version / ARRAYS_NAME).write_bytes(bytes(data))


def _edit_meta(version: Path) -> None:
    meta = json.loads((version / META_NAME).read_text())
    meta["min_learners"] = 1  # without updating content_sha256
    (version / META_NAME).write_text(json.dumps(meta))


def _set(name: str, at: int, value: int) -> Callable[[Path], None]:
    def change(version: Path) -> None:
        _rewrite(version, lambda a: a[name].__setitem__(at, value))

    return change


def _swap_ids(version: Path) -> None:
    _rewrite(version, lambda a: a.__setitem__("lesson.id", a["lesson.id"][::-1].copy()))


def _bad_id(version: Path) -> None:
    def change(a: dict[str, np.ndarray]) -> None:
        a["lesson.id"][-1] = b"cc/"  # no lesson after the slash, still sorted last

    _rewrite(version, change)


def _extra_array(version: Path) -> None:
    _rewrite(version, lambda a: a.__setitem__("evil", np.zeros(3)))


def _pickled(version: Path) -> None:
    np.save(version / ARRAYS_NAME, np.array([{"evil": 1}], dtype=object), allow_pickle=True)


# The model of _model(): ids c/a c/b c/c; c/a -> (c/b 6, c/c 5), c/b -> (c/a 5, c/c 6).
DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "arrays.npy cut short": (_truncate, "arrays.npy"),
    "a byte of the counts flipped": (_flip_a_byte, "digest mismatch"),
    "meta.json edited without its digest": (_edit_meta, "content digest"),
    "a lesson's offsets past the end": (_set("successors.indptr", 2, 9), "indptr"),
    "offsets running backwards": (_set("successors.indptr", 2, 1), "indptr"),
    "a successor outside the id table": (_set("successors.lesson", 0, 7), "outside the id"),
    "a lesson following itself": (_set("successors.lesson", 0, 0), "follows itself"),
    "a successor listed twice": (_set("successors.lesson", 1, 1), "distinct and in id order"),
    "a count below the floor": (_set("successors.learners", 0, 2), "below min_learners"),
    "finished below its successors": (_set("lesson.finished", 0, 10), "finished"),
    "stopped above finished": (_set("lesson.stopped", 2, 99), "stopped"),
    "ids out of order": (_swap_ids, "sorted and distinct"),
    "an id that is no lesson id": (_bad_id, "not a qualified lesson id"),
    "an array the format does not have": (_extra_array, "arrays"),
    "a pickled object array": (_pickled, "not a plain array"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_binary_snapshot_is_refused_with_its_reason(tmp_path, damage):
    folder = tmp_path / "transitions"
    _model().write(folder)
    version = read_current(folder, TransitionsSnapshotError)
    assert version is not None
    change, reason = DAMAGE[damage]
    change(version)
    with pytest.raises(TransitionsSnapshotError, match=reason) as caught:
        load_transitions(folder)
    assert str(caught.value).startswith(f"{folder}: ")


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="the binary transitions snapshot is replaced by a damaged version: arrays cut "
    "short, a flipped byte, meta.json edited, offsets out of range or backwards, a "
    "successor outside the id table, twice or the lesson itself, counts below the floor, "
    "ids out of order or malformed, an unknown or pickled array",
    scale="15 kinds of damage",
    outcome="the damaged version is refused with a log line naming why; the last good "
    "snapshot keeps serving and the next good version is taken at the next check",
)
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_the_loader_keeps_the_last_good_binary_snapshot(tmp_path, caplog, damage):
    folder = tmp_path / "transitions"
    clock = ManualClock()
    loader = TransitionsLoader(folder, check_seconds=60, clock=clock)
    first = _model()
    first.write(folder)
    assert loader.get() == first
    second = _model(more=2)  # the same lessons, other counts
    assert second.write(folder)
    change, reason = DAMAGE[damage]
    version = read_current(folder, TransitionsSnapshotError)
    assert version is not None
    change(version)
    clock.now = 60
    with caplog.at_level("WARNING", logger="knowledge_graph.transitions"):
        assert loader.get() == first
    assert reason.split()[0] in (loader.problem or "")
    assert any(r.getMessage().startswith("transitions snapshot not used") for r in caplog.records)
    third = learn_transitions([["c/b", "c/c"]] * 9)
    third.write(folder)
    clock.now = 120
    assert loader.get() == third and loader.problem is None


def test_the_loader_reads_a_snapshot_folder_only_when_current_names_another_version(tmp_path):
    folder = tmp_path / "transitions"
    clock = ManualClock()
    loader = TransitionsLoader(folder, check_seconds=0, clock=clock)
    model = _model()
    model.write(folder)
    served = loader.get()
    assert served == model
    TransitionModel(5, "2027-01-01T00:00:00+00:00", model.arrays).write(folder)
    assert loader.get() is served  # the same version: not opened again


# ------------------------------------------------------- no object per lesson


def _wide_model(lessons: int, successors: int = 20) -> TransitionModel:
    """``lessons`` lessons with ``successors`` successors each, made with numpy."""
    ids = np.array([f"c/l{i:06d}".encode() for i in range(lessons)])
    step = np.arange(1, successors + 1)
    after = np.sort((np.arange(lessons)[:, None] + step) % lessons, axis=1).ravel()
    learners = np.random.default_rng(0).integers(5, 400, size=after.size).astype(np.uint32)
    finished = learners.reshape(lessons, successors).sum(axis=1, dtype=np.int64) + 5
    arrays = {
        "lesson.id": ids,
        "lesson.finished": finished.astype(np.uint32),
        "lesson.stopped": np.full(lessons, 5, dtype=np.uint32),
        "successors.indptr": np.arange(lessons + 1, dtype=np.int64) * successors,
        "successors.lesson": after.astype(np.uint32),
        "successors.learners": learners,
    }
    assert set(arrays) == set(ARRAY_NAMES)
    return TransitionModel(5, None, arrays)


def _opening(folder: Path) -> tuple[TransitionModel, int, int]:
    """Open ``folder``; return the model, the peak bytes allocated while opening it and the
    number of memory blocks it left allocated (Python objects and numpy buffers alike)."""
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        model = load_transitions(folder)
        _, peak = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    blocks = sum(s.count_diff for s in after.compare_to(before, "filename") if s.count_diff > 0)
    return model, peak, blocks


def test_opening_a_snapshot_builds_nothing_per_lesson(tmp_path):
    small, large = tmp_path / "small", tmp_path / "large"
    _wide_model(2_000).write(small)
    _wide_model(60_000).write(large)
    small_model, small_peak, small_blocks = _opening(small)
    model, peak, blocks = _opening(large)
    size = sum(a.nbytes for a in model.arrays.values())
    assert size > 9_000_000  # 1.2 million successors, mapped from the file
    # No object per lesson: what stays allocated is the same handful of objects at 2,000
    # and 60,000 lessons, and the checks' temporaries are bounded by their step size, not
    # by the snapshot (30 times more lessons; the arrays are in the map, not the heap).
    assert blocks < 1_000 and abs(blocks - small_blocks) < 200
    assert peak < 2 * small_peak and peak < 3_500_000 < size / 2
    # Every array is a view of the one memory map of the file.
    bases = {id(_root(a)) for a in model.arrays.values()}
    assert len(bases) == 1 and isinstance(_root(model.arrays["lesson.id"]), mmap.mmap)
    # A query decodes only what it returns, and remembers one position.
    assert len(model.successors("c/l000007")) == 20
    assert model._positions == {"c/l000007": 7}
    assert model.finished("c/l059999") > 5 and small_model.finished("c/l059999") == 0


def _root(array: np.ndarray) -> object:
    while isinstance(array, np.ndarray) and array.base is not None:
        array = array.base  # type: ignore[assignment]
    return array
