"""Incremental reload: splicing changed files gives exactly what compiling them all gives."""

from __future__ import annotations

import logging
import mmap
from pathlib import Path

import numpy as np
import pytest
from course_files import course_text

from bench.generate_graph import write_graph
from knowledge_graph.compiled import compile_tables, spill_tables
from knowledge_graph.errors import GraphValidationError
from knowledge_graph.incremental import NotIncremental, apply_changes
from knowledge_graph.loader import serve_tables
from knowledge_graph.model import LessonGraph
from knowledge_graph.search import SEARCH_ARRAYS
from knowledge_graph.sources import RawDocument, read_local_documents
from knowledge_graph.tables import (
    ID_COLUMNS,
    TEXT_COLUMNS,
    LessonTables,
    MappedGraphIndex,
    TextColumn,
    check_tables,
)

ROOT = Path(__file__).resolve().parents[2]


def documents(files: dict[str, str]) -> list[RawDocument]:
    return [RawDocument.from_text(name, text) for name, text in sorted(files.items())]


def splice(before: dict[str, str], after: dict[str, str | None]) -> LessonTables:
    """Compile ``before``, then splice in ``after`` (None deletes a file)."""
    tables = compile_tables(documents(before))
    changed = {
        name: None if text is None else RawDocument.from_text(name, text)
        for name, text in after.items()
    }
    return apply_changes(tables, changed)[0]


def assert_same(spliced: LessonTables, full: LessonTables) -> None:
    """Same lessons, texts, links, index arrays and answers."""
    check_tables(spliced)
    assert spliced.n == full.n
    for column in (*ID_COLUMNS, *TEXT_COLUMNS):
        assert list(spliced.column(column)) == list(full.column(column)), column
    for name in ("course", "file", "difficulty", "minutes", "line"):
        assert np.array_equal(spliced.arrays[f"lesson.{name}"], full.arrays[f"lesson.{name}"])
    for i in range(full.n):
        assert spliced.texts_of("aliases", i) == full.texts_of("aliases", i)
        assert spliced.texts_of("tags", i) == full.texts_of("tags", i)
    mapped_spliced, mapped_full = MappedGraphIndex(spliced), MappedGraphIndex(full)
    for i in range(full.n):
        assert mapped_spliced.translations_of(i) == mapped_full.translations_of(i), i
    assert spliced.meta["course_ids"] == full.meta["course_ids"]
    assert spliced.meta["courses"] == full.meta["courses"]
    assert [(f["name"], f["sha256"], f["first"], f["count"]) for f in spliced.meta["files"]] == [
        (f["name"], f["sha256"], f["first"], f["count"]) for f in full.meta["files"]
    ]
    for name in ("names.key", "names.pos"):
        assert np.array_equal(spliced.arrays[name], full.arrays[name]), name
    for name in SEARCH_ARRAYS:
        if not name.startswith("gram_"):
            assert np.array_equal(
                spliced.arrays[f"search.{name}"], full.arrays[f"search.{name}"]
            ), name
    # the trigram table holds the same (trigram, token) rows, in trigram order
    for tables in (spliced, full):
        keys = tables.arrays["search.gram_key"]
        assert np.all(keys[1:] >= keys[:-1])
    assert sorted(_gram_rows(spliced)) == sorted(_gram_rows(full))
    assert list(TextColumn(spliced.text, spliced.arrays["search.name_text"])) == list(
        TextColumn(full.text, full.arrays["search.name_text"])
    )
    mine, theirs = spliced.index_arrays(), full.index_arrays()
    assert mine.keys() == theirs.keys()
    for name in theirs:
        assert np.array_equal(mine[name], theirs[name]), name
    assert spliced.meta["index_layout"] == full.meta["index_layout"]
    a, b = serve_tables(spliced), serve_tables(full)
    ids = list(b.index.ids)
    for progress in ({}, ids[: len(ids) // 2], {ids[0]: 0.3}):
        assert a.recommend(progress, k=5) == b.recommend(progress, k=5)
        assert a.path_to(ids[-1], progress) == b.path_to(ids[-1], progress)
    for query in ("loops", "funtcions", ids[-1], "hello wide world", "extra lesson", "one"):
        assert a.find(query) == b.find(query), query
        assert a.find(query, locale="es_US") == b.find(query, locale="es_US"), query
    assert a.localized("es_US").lessons() == b.localized("es_US").lessons()
    assert a.localized("es_US").modules() == b.localized("es_US").modules()
    assert a.modules() == b.modules() == LessonGraph.from_networkx(b.graph).modules()
    assert a.fingerprint == b.fingerprint


def _gram_rows(tables: LessonTables) -> list[tuple[int, int]]:
    vocab = tables.arrays["search.vocab"]
    keys, tokens = tables.arrays["search.gram_key"], tables.arrays["search.gram_token"]
    return list(zip(keys.tolist(), vocab[tokens].tolist(), strict=True))


def sample() -> dict[str, str]:
    folder = ROOT / "data" / "lessons"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))}


EDITS = {
    "a title": lambda t: t.replace("title: Hello, World!", "title: Hello, Wide World!", 1),
    "a new lesson at the end": lambda t: (
        t + "\n  - id: extra-lesson\n    title: Extra Lesson\n"
        "    requires: [hello-world]\n    related: [variables]\n"
    ),
    "a prerequisite removed": lambda t: t.replace("requires: [hello-world]", "requires: []", 1),
    "course weights": lambda t: t.replace("    goal: 2.0", "    goal: 2.0\n    unlock: 2.5", 1),
    # the names of the other lessons of the file are reused from the served tables; these
    # change only a name of a translation, an alias, or no name at all
    "a translated title": lambda t: t.replace('title: "¿Qué es programar?"', "title: Programar", 1),
    "an alias": lambda t: t.replace("aliases: [install python,", "aliases: [python install,", 1),
    "a summary only": lambda t: t.replace("Write and run your first", "Write your first", 1),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_file_splices_like_a_full_compile(edit: str) -> None:
    files = sample()
    edited = dict(files)
    edited["python-intro.yaml"] = EDITS[edit](files["python-intro.yaml"])
    assert edited != files
    spliced = splice(files, {"python-intro.yaml": edited["python-intro.yaml"]})
    assert_same(spliced, compile_tables(documents(edited)))


def test_added_and_deleted_files_splice_like_a_full_compile() -> None:
    files = sample()
    extra = course_text("aaa-first", ["A one", "A two"])  # sorts first: every position moves
    spliced = splice(files, {"aaa-first.yaml": extra})
    assert_same(spliced, compile_tables(documents({**files, "aaa-first.yaml": extra})))
    with_extra = {**files, "zzz.yaml": course_text("zzz", ["Z"])}
    spliced = splice(with_extra, {"zzz.yaml": None})
    assert_same(spliced, compile_tables(documents(files)))


def test_removing_a_lesson_another_course_needs_is_an_error() -> None:
    files = {
        "a.yaml": course_text("a", ["One", "Two"]),
        "b.yaml": "course: {id: b, title: B}\nlessons:\n  - {id: x, title: X, requires: [a/l1]}\n",
    }
    with pytest.raises(GraphValidationError) as caught:
        splice(files, {"a.yaml": course_text("a", ["One"])})
    message = caught.value.report.format()
    assert (
        "b.yaml" in message
        and "a/l1" in message
        and "dangling-reference" in str(caught.value.report.codes())
    )


def test_a_broken_changed_file_reports_its_own_errors() -> None:
    files = sample()
    broken = files["python-intro.yaml"].replace("requires: [hello-world]", "requires: [nowhere]")
    with pytest.raises(GraphValidationError) as caught:
        splice(files, {"python-intro.yaml": broken})
    assert caught.value.report.codes() == {"dangling-reference"}
    assert "python-intro.yaml:" in caught.value.report.format()


def test_a_new_cycle_is_left_to_the_full_validation() -> None:
    files = {"a.yaml": course_text("a", ["One", "Two"])}
    cyclic = (
        course_text("a", ["One", "Two"])
        .replace("  - id: l0\n    title: One\n", "  - id: l0\n    title: One\n    requires: [l1]\n")
        .replace("    title: Two\n", "    title: Two\n    requires: [l0]\n")
    )
    with pytest.raises(NotIncremental):
        splice(files, {"a.yaml": cyclic})


def test_a_changed_course_on_generated_graphs_splices_like_a_full_compile(
    tmp_path: Path,
) -> None:
    folder = write_graph(4_500, seed=3, cache_dir=tmp_path)
    docs = read_local_documents(folder)
    tables = compile_tables(docs)
    middle = docs[1]
    text = middle.content.decode()
    edited = text.replace('"title":"', '"title":"Edited ', 3).replace(
        '"difficulty":1', '"difficulty":2', 5
    )
    new = RawDocument(middle.name, edited.encode())
    spliced = apply_changes(tables, {Path(middle.name).name: new})[0]
    assert_same(spliced, compile_tables([docs[0], new, *docs[2:]]))


def test_a_valid_change_that_needs_another_order_is_left_to_the_full_validation(
    tmp_path: Path,
) -> None:
    from knowledge_graph.compiled import write_compiled
    from knowledge_graph.loader import GraphLoader

    a = "course: {id: a, title: A}\nlessons:\n  - {id: x, title: X}\n"
    b = (
        "course: {id: b, title: B}\nlessons:\n  - {id: y, title: Y, requires: [a/x]}\n"
        "  - {id: w, title: W}\n  - {id: z, title: Z, requires: [w]}\n"
    )
    # a/x now needs b/z, which came after b/y in the old order; b/y still needs a/x
    a_after = "course: {id: a, title: A}\nlessons:\n  - {id: x, title: X, requires: [b/z]}\n"
    with pytest.raises(NotIncremental, match="another order"):
        splice({"a.yaml": a, "b.yaml": b}, {"a.yaml": a_after})
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "a.yaml").write_text(a)
    (folder / "b.yaml").write_text(b)
    write_compiled(folder)
    loader = GraphLoader(folder, settle_seconds=0, check_interval=0)
    loader.get()
    (folder / "a.yaml").write_text(a_after)
    graph = loader.get()
    assert loader.status().via == "validated"
    assert graph.prerequisites("a/x").requires == ("b/z",)
    assert_same(loader._tables, compile_tables(documents({"a.yaml": a_after, "b.yaml": b})))


def _is_mapped(array: np.ndarray) -> bool:
    """True when ``array`` is a view of a memory-mapped file."""
    base: object = array
    while base is not None:
        if isinstance(base, (np.memmap, mmap.mmap)):
            return True
        base = getattr(base, "base", None)
    return False


def test_a_reload_written_to_local_disk_is_the_same_and_memory_mapped(tmp_path: Path) -> None:
    files = sample()
    edited = EDITS["a new lesson at the end"](files["python-intro.yaml"])
    tables = compile_tables(documents(files))
    changed = {"python-intro.yaml": RawDocument.from_text("python-intro.yaml", edited)}
    handed: list[list[str]] = []

    def build(spill):  # type: ignore[no-untyped-def]
        def watched(arrays):  # type: ignore[no-untyped-def]
            handed.append(sorted(arrays))
            return spill(arrays)

        return apply_changes(tables, changed, None if spill is None else watched)

    spliced, report = spill_tables(build, root=tmp_path)
    assert report.ok
    assert_same(spliced, compile_tables(documents({**files, "python-intro.yaml": edited})))
    # the search arrays, then the lesson columns went to disk before the edges were derived
    assert [name.split(".")[0] for name in handed[0]] == ["search"] * len(handed[0])
    assert "decl.lesson" in handed[1] and not any(n.startswith("index.") for n in handed[1])
    assert all(_is_mapped(array) for array in spliced.arrays.values() if array.size)
    assert list(tmp_path.iterdir()) == []  # removed once mapped; the mapping keeps the data
    again = apply_changes(spliced, {"python-intro.yaml": changed["python-intro.yaml"]})[0]
    assert again.n == spliced.n  # the mapped tables serve the next reload (deferred checks)


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="an incremental reload when the local disk (the temporary directory, /tmp on "
    "Lambda) cannot be written",
    scale="1 reload",
    outcome="the new index is kept in memory instead of being written to local disk and "
    "memory-mapped, a warning says why, and it answers exactly like a full compile",
)
def test_without_a_writable_local_disk_the_reload_stays_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = sample()
    edited = EDITS["a title"](files["python-intro.yaml"])
    tables = compile_tables(documents(files))
    changed = {"python-intro.yaml": RawDocument.from_text("python-intro.yaml", edited)}
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with caplog.at_level(logging.WARNING, logger="knowledge_graph.compiled"):
        spliced, _ = spill_tables(
            lambda spill: apply_changes(tables, changed, spill), root=not_a_folder
        )
    assert "index kept in memory" in caplog.text
    assert not any(_is_mapped(array) for array in spliced.arrays.values())
    assert_same(spliced, compile_tables(documents({**files, "python-intro.yaml": edited})))
