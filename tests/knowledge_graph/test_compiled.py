"""The compiled index: same answers as validating, memory-mapped, and never trusted blindly."""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from knowledge_graph import GraphLoader, load_graph
from knowledge_graph.cli import main as cli_main
from knowledge_graph.compiled import (
    ARRAYS_NAME,
    INDEX_DIR,
    META_NAME,
    IndexWriter,
    content_digest,
    current_version,
    open_index,
    pack_arrays,
    write_compiled,
)
from knowledge_graph.errors import GraphValidationError
from knowledge_graph.loader import serve_tables
from knowledge_graph.tables import CompiledIndexError, LessonTables

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    shutil.copytree(ROOT / "data" / "lessons", folder)
    return folder


def answers(graph):  # type: ignore[no-untyped-def]
    """What the bot asks of a graph, for a few learners."""
    ids = graph.index.ids
    learners = [{}, dict.fromkeys(ids[:5], 1.0), {ids[0]: 0.4, ids[1]: 1.0}]
    out = []
    for progress in learners:
        out.append([(r.lesson_id, r.score, r.reasons) for r in graph.recommend(progress, k=5)])
        out.append(graph.path_to(ids[-1], progress).steps)
    out.append([graph.lesson(i) for i in ids])
    out.append([m.lesson_id for m in graph.find("loops").matches])
    out.append(graph.courses)
    out.append([graph.prerequisites(i) for i in ids])
    out.append(graph.modules())
    return out


def test_a_compiled_graph_answers_exactly_like_the_validated_one(course_dir: Path) -> None:
    validated = load_graph(course_dir)
    version = write_compiled(course_dir)
    assert version == current_version(course_dir)
    compiled = load_graph(course_dir)
    assert compiled._graph is None, "the compiled graph must not build networkx up front"
    base = compiled.index.difficulty
    while base is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap), "arrays are views of the memory-mapped index"
    assert answers(compiled) == answers(validated)
    assert compiled.fingerprint == validated.fingerprint  # builds the DiGraph on demand
    assert compiled.graph.number_of_edges() == validated.graph.number_of_edges()


def test_loading_a_compiled_graph_skips_validation_and_networkx(course_dir: Path) -> None:
    """Serving a compiled index builds neither networkx nor the course file schema (its
    pydantic models cost a cold start tens of milliseconds), nor imports validation."""
    write_compiled(course_dir)
    code = (
        "import sys; from knowledge_graph import load_graph; "
        f"g = load_graph({str(course_dir)!r}); g.recommend({{}}, k=3); "
        "print(*(m in sys.modules for m in ('networkx', 'knowledge_graph.course_schema', "
        "'knowledge_graph.validation')), len(g))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False", "False", str(len(load_graph(course_dir)))]


def test_an_edited_course_file_is_spliced_into_the_compiled_graph(course_dir: Path) -> None:
    write_compiled(course_dir)
    course = course_dir / "python-testing.yaml"
    course.write_text(course.read_text().replace("title: ", "title: New ", 1))
    graph = load_graph(course_dir)
    assert graph._graph is None, "only the changed file was checked and spliced in"
    assert any(c.title.startswith("New ") for c in graph.courses.values())
    shutil.rmtree(course_dir / INDEX_DIR)
    assert answers(graph) == answers(load_graph(course_dir))


def test_an_invalid_edit_is_not_hidden_by_the_compiled_graph(course_dir: Path) -> None:
    write_compiled(course_dir)
    course = course_dir / "python-testing.yaml"
    course.write_text(course.read_text() + "  - id: broken\n    requires: [nowhere]\n")
    with pytest.raises(GraphValidationError):
        load_graph(course_dir)


# ----------------------------------------------------------------------------- integrity


def _meta(version: Path) -> dict:
    return json.loads((version / META_NAME).read_text())


def _arrays(version: Path) -> dict[str, np.ndarray]:
    """Copies of every array of an index version (read without any check)."""
    packed = np.load(version / ARRAYS_NAME, allow_pickle=False)
    return {
        name: packed[spec["offset"] : spec["offset"] + spec["nbytes"]]
        .view(spec["dtype"])
        .reshape(spec["shape"])
        .copy()
        for name, spec in _meta(version)["arrays"].items()
    }


def _rewrite_array(version: Path, name: str, change: Callable[[np.ndarray], np.ndarray]) -> None:
    """Change one array and re-record every digest, as a tool that knows the format could."""
    arrays = _arrays(version)
    arrays[name] = change(arrays[name])
    packed, specs = pack_arrays(arrays)
    np.save(version / ARRAYS_NAME, packed, allow_pickle=False)
    meta = _meta(version)
    meta["arrays"] = specs
    meta["content_sha256"] = content_digest(meta)
    (version / META_NAME).write_text(json.dumps(meta))


def _poke(version: Path, name: str, index: int, value: int) -> None:
    """Overwrite one byte of array ``name`` in place (no digest updated)."""
    spec = _meta(version)["arrays"][name]
    packed = np.load(version / ARRAYS_NAME, mmap_mode="r+", allow_pickle=False)
    packed[spec["offset"] + index] = value
    packed.flush()


def _edit_title_in_place(version: Path) -> None:
    arrays = _arrays(version)
    title = int(arrays["lesson.title"][0])
    _poke(version, "text.blob", int(arrays["text.offsets"][title]), ord("X"))


def _edit_title_and_its_digest(version: Path) -> None:
    _edit_title_in_place(version)
    meta = _meta(version)
    spec = meta["arrays"]["text.blob"]
    packed = np.load(version / ARRAYS_NAME, allow_pickle=False)
    raw = packed[spec["offset"] : spec["offset"] + spec["nbytes"]].tobytes()
    spec["sha256"] = hashlib.sha256(raw).hexdigest()
    (version / META_NAME).write_text(json.dumps(meta))  # content digest now stale


def _drop_a_prerequisite_in_place(version: Path) -> None:
    # the first lesson with a prerequisite now requires another (little-endian int64)
    first = int(_arrays(version)["index.in_edges.requires.indices"][0])
    _poke(version, "index.in_edges.requires.indices", 0, first ^ 1)


def _claim_other_sources(version: Path) -> None:
    meta = _meta(version)
    meta["files"][0]["sha256"] = "0" * 64  # claims other course files
    (version / META_NAME).write_text(json.dumps(meta))


def _control_character_in_an_id(version: Path) -> None:
    def change(ids: np.ndarray) -> np.ndarray:
        ids[3] = b"python-intro/\x07hello"
        return ids

    _rewrite_array(version, "lesson.id", change)


def _minutes_as_floats(version: Path) -> None:
    _rewrite_array(version, "lesson.minutes", lambda a: a.astype(np.float64) + 0.5)


def _difficulty_out_of_range(version: Path) -> None:
    _rewrite_array(version, "lesson.difficulty", lambda a: a * 9)


def _rows_out_of_order(version: Path) -> None:
    _rewrite_array(version, "index.hard_out.indptr", lambda a: a[::-1].copy())


def _pickled_array(version: Path) -> None:
    np.save(version / ARRAYS_NAME, np.array([{"evil": 1}] * 3, dtype=object), allow_pickle=True)


def _truncated_meta(version: Path) -> None:
    text = (version / META_NAME).read_text()
    (version / META_NAME).write_text(text[: len(text) // 2])


DAMAGE = {
    "a title changed in the text table": (_edit_title_in_place, "digest mismatch"),
    "a title changed with its array digest": (_edit_title_and_its_digest, "content digest"),
    "a prerequisite changed in the index": (_drop_a_prerequisite_in_place, "digest mismatch"),
    "the recorded course-file digests changed": (_claim_other_sources, "content digest"),
    "a control character in a lesson id": (_control_character_in_an_id, "character"),
    "minutes stored as fractions": (_minutes_as_floats, "dtype"),
    "difficulty 9 and more": (_difficulty_out_of_range, "lesson.difficulty"),
    "CSR rows out of order": (_rows_out_of_order, "hard_out"),
    "a pickled object array": (_pickled_array, "not a plain array"),
    "meta.json cut short": (_truncated_meta, "unreadable"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_index_is_refused_with_its_reason(course_dir: Path, damage: str) -> None:
    version = write_compiled(course_dir)
    change, reason = DAMAGE[damage]
    change(version)
    with pytest.raises(CompiledIndexError, match=reason):
        open_index(version)


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="a compiled index damaged or edited after compiling: a title, a prerequisite or the "
    "course-file digests changed, a control character in a lesson id, minutes as fractions, "
    "difficulty out of range, CSR rows out of order, a pickled array, meta.json cut short",
    scale="10 kinds of damage",
    outcome="the index is not used and a log line names why; the course files are "
    "validated and served instead, answering exactly as before",
)
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_index_is_ignored_logged_and_the_files_are_served(
    course_dir: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    expected = answers(load_graph(course_dir))
    version = write_compiled(course_dir)
    DAMAGE[damage][0](version)
    loader = GraphLoader(course_dir, settle_seconds=0)
    with caplog.at_level(logging.WARNING):
        graph = loader.get()
    assert loader.status().via == "validated"
    assert answers(graph) == expected
    ignored = [r for r in caplog.records if r.getMessage().startswith("compiled index not used")]
    assert len(ignored) == 1 and DAMAGE[damage][1] in ignored[0].getMessage()


def test_compile_refuses_an_invalid_folder(course_dir: Path) -> None:
    (course_dir / "python-testing.yaml").write_text("course: {id: x}\nlessons: 3\n")
    with pytest.raises(GraphValidationError):
        write_compiled(course_dir)
    assert not (course_dir / INDEX_DIR).exists()


def test_the_hot_reloading_loader_uses_it(
    course_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_compiled(course_dir)
    loader = GraphLoader(str(course_dir), check_interval=0)
    with caplog.at_level(logging.INFO):
        assert loader.get()._graph is None and loader.status().via == "compiled index"
        assert loader.get() is loader.get() and loader.status().reloads == 1
    assert "differ from the compiled index" not in caplog.text


def test_recompiling_the_same_files_keeps_the_version(course_dir: Path) -> None:
    first = write_compiled(course_dir)
    assert write_compiled(course_dir) == first
    (course_dir / ".lessonbot-compiled.json").write_text("{}")  # an older format: removed
    write_compiled(course_dir)
    assert not (course_dir / ".lessonbot-compiled.json").exists()


def test_compile_command(course_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["compile", str(course_dir)]) == 0
    assert INDEX_DIR in capsys.readouterr().out
    (course_dir / "python-testing.yaml").write_text("lessons: []\n")
    assert cli_main(["compile", str(course_dir)]) == 1
    assert "FAILED" in capsys.readouterr().out


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="the search or link-declaration arrays of a compiled index changed after "
    "compiling (checked before their first use, not at load)",
    scale="2 arrays",
    outcome="the damaged part is not used and a log line says why: the lesson search is "
    "built from the lessons instead and finds the same; an edit is validated in full "
    "instead of spliced; the rest of the index keeps serving",
)
def test_damaged_search_or_declaration_arrays_are_not_used_and_logged(
    course_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = answers(load_graph(course_dir))
    version = write_compiled(course_dir)
    _poke(version, "search.exact_key", 0, 0xFF)
    _poke(version, "decl.weight", 0, 0x01)
    loader = GraphLoader(course_dir, settle_seconds=0, check_interval=0)
    with caplog.at_level(logging.WARNING):
        graph = loader.get()
        assert loader.status().via == "compiled index"  # the rest of the index is fine
        assert answers(graph) == expected  # find() included: built from the lessons
    assert "compiled search tables not used: array search.exact_key: digest mismatch" in (
        caplog.text
    )
    course = course_dir / "python-testing.yaml"
    course.write_text(course.read_text().replace("title: ", "title: New ", 1))
    with caplog.at_level(logging.INFO):
        graph = loader.get()
    assert loader.status().via == "validated"
    assert "the compiled decl arrays are not usable" in caplog.text
    assert any(c.title.startswith("New ") for c in graph.courses.values())


@pytest.mark.parametrize("digests", [True, False])
def test_an_index_written_array_by_array_opens_like_a_compiled_one(
    course_dir: Path, tmp_path: Path, digests: bool
) -> None:
    compiled = open_index(write_compiled(course_dir))
    writer = IndexWriter(tmp_path / "spilled", digests=digests)
    first = {k: v for k, v in compiled.arrays.items() if k.startswith(("search.", "text."))}
    mapped = writer.add(first)
    assert all(np.array_equal(mapped[k], first[k]) for k in first)
    version = writer.finish(LessonTables({**compiled.arrays, **mapped}, compiled.meta))
    assert np.load(version / ARRAYS_NAME, mmap_mode="r").dtype == np.uint8
    opened = open_index(version, trusted=True)
    assert opened.arrays.keys() == compiled.arrays.keys()
    assert all(np.array_equal(opened.arrays[k], v) for k, v in compiled.arrays.items())
    assert answers(serve_tables(opened)) == answers(serve_tables(compiled))
    if digests:
        open_index(version)
    else:  # without digests only the process that wrote it may open it
        with pytest.raises(CompiledIndexError, match="digest mismatch"):
            open_index(version)


def test_an_edited_file_is_served_memory_mapped_from_local_disk(course_dir: Path) -> None:
    write_compiled(course_dir)
    loader = GraphLoader(course_dir, check_interval=0, settle_seconds=0)
    before = answers(loader.get())
    path = course_dir / "python-intro.yaml"
    path.write_text(path.read_text().replace("title: Hello, World!", "title: Hello, Wide World!"))
    graph = loader.get()
    assert loader.status().via == "incremental"
    assert graph.lesson("python-intro/hello-world").title == "Hello, Wide World!"
    arrays = loader._tables.arrays  # type: ignore[union-attr]
    assert _mapped(arrays["index.weights"]) and _mapped(arrays["text.blob"])
    assert answers(graph) != before


def _mapped(array: np.ndarray) -> bool:
    """True when ``array`` is a view of a memory-mapped file."""
    base: object = array
    while base is not None:
        if isinstance(base, (np.memmap, mmap.mmap)):
            return True
        base = getattr(base, "base", None)
    return False


def test_pages_released_after_the_checks_are_read_back_unchanged(course_dir: Path) -> None:
    tables = open_index(write_compiled(course_dir))
    served = serve_tables(tables)
    before = answers(served)
    copies = {name: np.array(array) for name, array in tables.arrays.items()}
    tables.release_pages()  # drops the mapping's resident pages; the page cache keeps them
    tables.require("search")  # a deferred part: checked, then released too
    assert answers(served) == before
    assert all(np.array_equal(tables.arrays[name], copy) for name, copy in copies.items())
