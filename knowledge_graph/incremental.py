"""Incremental reload: splice changed course files into compiled tables.

:func:`apply_changes` re-parses and re-checks only the course files that changed (their
content hash differs), checks every reference across courses against the compiled tables
(both ways: the changed files' references, and the unchanged files' references into the
changed ones), re-derives the edge arrays with numpy and verifies that every lesson can
still be started, using the compiled completion ranks: the unchanged lessons keep their
rank, the changed ones are ranked by a small worklist over their own prerequisites, and one
vectorised pass checks that every hard prerequisite of every lesson ranks before it.

What it cannot decide cheaply raises :class:`NotIncremental` (a changed lesson that cannot
be started, prerequisites that would need another global order); the caller then validates
every file in full, which also gives the precise report. Checks that only produce warnings
across courses (titles shared by two courses, unreachable and isolated lessons, soft
cycles) are left to the full validation at publish time.

Example
-------
>>> from knowledge_graph.compiled import compile_tables
>>> from knowledge_graph.examples import EXAMPLE_COURSE
>>> from knowledge_graph.sources import RawDocument
>>> tables = compile_tables([RawDocument.from_text("demo.yaml", EXAMPLE_COURSE)])
>>> edited = EXAMPLE_COURSE.replace("title: Recursion", "title: Recursion Basics")
>>> new, report = apply_changes(tables, {"demo.yaml": RawDocument.from_text("demo.yaml", edited)})
>>> new.column("title")[4], report.ok
('Recursion Basics', True)
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from knowledge_graph.builder import SourcedCourse
from knowledge_graph.course_schema import module_translations, node_translations
from knowledge_graph.errors import GraphValidationError
from knowledge_graph.file_format import (
    DEFAULT_EDGE_WEIGHTS,
    EDGE_KINDS,
    MAX_COURSE_FILES,
    MAX_TOTAL_LESSONS,
    EdgeKind,
    qualify,
)
from knowledge_graph.search import SearchNames, locale_key, translated_names
from knowledge_graph.sources import RawDocument
from knowledge_graph.tables import (
    ID_COLUMNS,
    LIST_COLUMNS,
    TEXT_COLUMNS,
    CompiledIndexError,
    LessonTables,
    MappedGraphIndex,
    _fixed,
    course_locales,
    derive_index,
    translation_arrays,
    translation_rows,
    with_index_arrays,
)
from knowledge_graph.validation.field_checks import LocatedLesson, check_file
from knowledge_graph.validation.issues import Severity, ValidationIssue, ValidationReport
from knowledge_graph.validation.reference_checks import check_names, check_references
from knowledge_graph.validation.translation_checks import check_translations

_I8 = np.int64
_KIND = {kind: k for k, kind in enumerate(EDGE_KINDS)}


class NotIncremental(Exception):
    """The change needs a full validation (the message says why)."""


class _KnownIds:
    """Qualified ids of the unchanged files, looked up in the compiled tables."""

    def __init__(self, index: MappedGraphIndex, kept_file: np.ndarray) -> None:
        self._index = index
        self._kept_file = kept_file

    def __contains__(self, qid: object) -> bool:
        if not isinstance(qid, str) or "/" not in qid:
            return False
        found = int(self._index.positions_of([qid])[0])
        return found >= 0 and bool(self._kept_file[found])


def _base(name: str) -> str:
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def apply_changes(
    tables: LessonTables,
    changed: Mapping[str, RawDocument | None],
    spill: Callable[[Mapping[str, np.ndarray]], dict[str, np.ndarray]] | None = None,
) -> tuple[LessonTables, ValidationReport]:
    """Return ``tables`` with the ``changed`` course files replaced, added or removed.

    Parameters
    ----------
    tables : LessonTables
        The tables of the graph being served (compiled or spliced before).
    changed : mapping of file base name to RawDocument, or None for a deleted file
        Only the files whose content changed; the others are taken from ``tables``.
    spill : callable, optional
        Called with the finished search arrays, then with the lesson, text, name and
        declaration arrays, before the edge arrays are derived; it takes over the dict it
        is given and returns the arrays as it keeps them (e.g.
        :meth:`knowledge_graph.compiled.IndexWriter.add` writes them to local disk and
        returns memory-mapped views), so that a reload does not hold all of them in memory
        while it derives the rest. Without it they stay in memory.

    Returns
    -------
    (LessonTables, ValidationReport)
        The new tables (arrays in memory, ``index.*`` re-derived) and the report of the
        changed files (warnings only).

    Raises
    ------
    GraphValidationError
        When a changed file has errors, or the change breaks a reference of another file.
    NotIncremental
        When deciding needs a full validation.
    """
    for part in ("decl", "search"):
        try:
            tables.require(part)
        except CompiledIndexError as exc:
            raise NotIncremental(f"the compiled {part} arrays are not usable: {exc}") from None
    meta = tables.meta
    old_files = meta["files"]
    old_number = {f["name"]: k for k, f in enumerate(old_files)}
    changed = {_base(name): doc for name, doc in changed.items()}
    names = sorted(
        (set(old_number) - {k for k, d in changed.items() if d is None})
        | {k for k, d in changed.items() if d is not None}
    )
    issues: list[ValidationIssue] = []
    report = ValidationReport(issues=issues, files=names)
    if not names:
        raise NotIncremental("no course files left")
    if len(names) > MAX_COURSE_FILES:
        raise NotIncremental("too many files")
    old_index = MappedGraphIndex(tables)
    a = tables.arrays
    n_old = tables.n
    old_file = np.asarray(a["lesson.file"], dtype=_I8)
    kept_files = np.zeros(len(old_files), dtype=bool)
    for name in names:
        if name in old_number and name not in changed:
            kept_files[old_number[name]] = True
    kept = kept_files[old_file] if n_old else np.zeros(0, dtype=bool)

    # 1. parse and check the changed files on their own
    checked = {}
    for name in names:
        doc = changed.get(name)
        if doc is not None:
            checked[name] = check_file(doc, issues)
    if any(i.severity is Severity.ERROR for i in issues):
        raise GraphValidationError(report)
    course_of_name: dict[str, str | None] = {}
    for name in names:
        if name in checked:
            sourced = checked[name].sourced
            course_of_name[name] = None if sourced is None else sourced.course_id
        else:
            course_of_name[name] = old_files[old_number[name]].get("course")
    seen_courses: dict[str, str] = {}
    for name in names:
        cid = course_of_name[name]
        if cid is None:
            continue
        if cid in seen_courses:
            if name in checked:
                checked[name].ctx.add(
                    Severity.ERROR,
                    "duplicate-course",
                    f"course id {cid!r} is already used by {seen_courses[cid]}",
                    ("course", "id"),
                    field="id",
                )
            else:
                raise NotIncremental(f"course {cid!r} now in two files")
        seen_courses.setdefault(cid, name)
    if any(i.severity is Severity.ERROR for i in issues):
        raise GraphValidationError(report)

    # 2. new positions: the files in name order, each file's lessons in order
    old_course_ids = meta["course_ids"]
    new_lessons: dict[str, LocatedLesson] = {}
    layout: list[tuple[str, int, int]] = []  # (name, first new position, count)
    position = 0
    for name in names:
        if name in checked:
            item = checked[name]
            count = 0
            if item.sourced is not None:
                for index, spec in item.sourced.iter_lessons():
                    new_lessons[qualify(spec.id, item.sourced.course_id)] = LocatedLesson(
                        item.sourced, item.ctx, index, spec
                    )
                    count += 1
        else:
            count = int(old_files[old_number[name]]["count"])
        layout.append((name, position, count))
        position += count
    n = position
    if n > MAX_TOTAL_LESSONS:
        raise NotIncremental("too many lessons")
    old_to_new = np.full(n_old, -1, dtype=_I8)
    for name, first, count in layout:
        if name in old_number and name not in changed:
            old_first = int(old_files[old_number[name]]["first"])
            old_to_new[old_first : old_first + count] = np.arange(first, first + count)
    changed_pos: dict[str, int] = {}
    for name, first, count in layout:
        if name in checked and count:
            sourced = checked[name].sourced
            assert sourced is not None
            for k, (_, spec) in enumerate(sourced.iter_lessons()):
                changed_pos[qualify(spec.id, sourced.course_id)] = first + k

    # 3. references of the changed files, against themselves and the unchanged files
    known = _KnownIds(old_index, kept)
    check_references(new_lessons, known, set(seen_courses))  # type: ignore[arg-type]
    check_names(new_lessons)
    check_translations(list(checked.values()), new_lessons)
    # ... and the unchanged files' references into changed or deleted files
    lesson, kind, target = a["decl.lesson"], a["decl.kind"], a["decl.target"]
    weight, group = a["decl.weight"], a["decl.group"]
    from_kept = kept[lesson] if lesson.size else np.zeros(0, dtype=bool)
    into_changed = from_kept & ~kept[target] if lesson.size else from_kept
    remapped_target = old_to_new[target] if target.size else target.astype(_I8)
    for j in np.flatnonzero(into_changed).tolist():
        qid = old_index.ids[int(target[j])]
        found = changed_pos.get(qid)
        if found is not None:
            remapped_target[j] = found
            continue
        i = int(lesson[j])
        line = int(a["lesson.line"][i])
        source = old_files[int(old_file[i])]["name"]
        course, _, key = old_index.ids[i].partition("/")
        issues.append(
            ValidationIssue(
                Severity.ERROR,
                "dangling-reference",
                f"unknown lesson {qid!r} (no longer in the changed files)",
                source,
                None if line < 0 else line,
                course,
                key,
                EDGE_KINDS[int(kind[j])].value,
            )
        )
    if any(i.severity is Severity.ERROR for i in issues):
        raise GraphValidationError(report)

    # 4. the new lesson columns
    intern: dict[str, int] = {}
    base_strings = len(tables.text)

    def text_number(value: str | None) -> int:
        if value is None:
            return -1
        number = intern.get(value)
        if number is None:
            number = intern[value] = base_strings + len(intern)
        return number

    columns: dict[str, list[np.ndarray]] = {
        c: []
        for c in (
            *TEXT_COLUMNS,
            *ID_COLUMNS,
            "course",
            "file",
            "difficulty",
            "minutes",
            "line",
            "rank",
        )
    }
    list_lengths: dict[str, list[np.ndarray]] = {c: [] for c in LIST_COLUMNS}
    list_items: dict[str, list[np.ndarray]] = {c: [] for c in LIST_COLUMNS}
    translation_parts: list[dict[str, np.ndarray]] = []
    decl_parts: list[tuple[np.ndarray, ...]] = []
    course_ids = [c for c in (course_of_name[name] for name in names) if c is not None]
    course_number = {cid: k for k, cid in enumerate(course_ids)}
    old_course_number = np.array(
        [course_number.get(cid, -1) for cid in old_course_ids] or [0], dtype=_I8
    )
    courses: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    rank = np.zeros(n, dtype=float)
    changed_specs: list[tuple[int, SourcedCourse, Any]] = []
    for file_number, (name, first, count) in enumerate(layout):
        cid = course_of_name[name]
        if name in checked:
            doc = changed[name]
            assert doc is not None
            files.append(
                {
                    "name": name,
                    "sha256": hashlib.sha256(doc.content).hexdigest(),
                    "size": len(doc.content),
                    "course": cid,
                    "first": first,
                    "count": count,
                }
            )
            sourced = checked[name].sourced
            if sourced is None:
                continue
            header = sourced.document.course
            courses[header.id] = {
                "id": header.id,
                "title": header.title,
                "description": header.description,
                "weights": header.weights.resolved(),
                "source": name,
                **course_locales(
                    {
                        "locale": header.locale,
                        "locales": header.locales,
                        "translations": {k: v.model_dump() for k, v in header.translations.items()},
                    }
                ),
            }
            rows = list(sourced.iter_lessons())
            modules = module_translations(s for _, s in rows)
            translation_parts.append(
                translation_arrays(
                    [translation_rows(node_translations(s, modules), text_number) for _, s in rows]
                )
            )
            columns["id"].append(_fixed([qualify(s.id, header.id) for _, s in rows]))
            columns["key"].append(_fixed([s.id for _, s in rows]))
            for column, values in (
                ("title", [s.title for _, s in rows]),
                ("summary", [s.summary for _, s in rows]),
                ("module", [s.module for _, s in rows]),
                ("url", [s.url for _, s in rows]),
            ):
                columns[column].append(np.array([text_number(v) for v in values], dtype=_I8))
            for column in LIST_COLUMNS:
                lists = [list(getattr(s, column)) for _, s in rows]
                list_lengths[column].append(np.array([len(v) for v in lists], dtype=_I8))
                list_items[column].append(
                    np.array([text_number(v) for vs in lists for v in vs], dtype=_I8)
                )
            columns["course"].append(np.full(len(rows), course_number[header.id], dtype=_I8))
            columns["difficulty"].append(np.array([s.difficulty for _, s in rows], dtype=_I8))
            columns["minutes"].append(np.array([s.minutes for _, s in rows], dtype=_I8))
            columns["line"].append(
                np.array(
                    [-1 if (ln := sourced.line_of("lessons", k)) is None else ln for k, _ in rows],
                    dtype=_I8,
                )
            )
            columns["rank"].append(np.zeros(len(rows), dtype=_I8))
            for k, (_, spec) in enumerate(rows):
                changed_specs.append((first + k, sourced, spec))
        else:
            old = old_files[old_number[name]]
            files.append({**old, "first": first})
            if cid is not None and cid in meta["courses"]:
                courses[cid] = meta["courses"][cid]
            old_first = int(old["first"])
            rows_slice = slice(old_first, old_first + count)
            for column in TEXT_COLUMNS:
                columns[column].append(np.asarray(a[f"lesson.{column}"][rows_slice], dtype=_I8))
            for column in ID_COLUMNS:
                columns[column].append(np.asarray(a[f"lesson.{column}"][rows_slice]))
            for column in LIST_COLUMNS:
                indptr = a[f"lesson.{column}.indptr"]
                start, stop = int(indptr[old_first]), int(indptr[old_first + count])
                list_lengths[column].append(np.diff(indptr[old_first : old_first + count + 1]))
                list_items[column].append(np.asarray(a[f"lesson.{column}.items"][start:stop]))
            indptr = a["lesson.translations.indptr"]
            start, stop = int(indptr[old_first]), int(indptr[old_first + count])
            translation_parts.append(
                {
                    "lesson.translations.indptr": np.asarray(
                        indptr[old_first : old_first + count + 1] - start
                    ),
                    **{
                        f"lesson.translations.{c}": np.asarray(
                            a[f"lesson.translations.{c}"][start:stop]
                        )
                        for c in ("locale", "field", "text")
                    },
                }
            )
            columns["course"].append(old_course_number[np.asarray(a["lesson.course"][rows_slice])])
            for column in ("difficulty", "minutes", "line", "rank"):
                columns[column].append(np.asarray(a[f"lesson.{column}"][rows_slice], dtype=_I8))
            rank[first : first + count] = np.asarray(a["lesson.rank"][rows_slice], dtype=float)
        columns["file"].append(np.full(count, file_number, dtype=_I8))

    # 5. declarations: the unchanged files' (remapped), then the changed files'
    keep = from_kept
    decl_parts.append(
        (
            old_to_new[lesson[keep]] if keep.any() else np.zeros(0, _I8),
            np.asarray(kind[keep], dtype=np.int8),
            remapped_target[keep],
            np.asarray(weight[keep], dtype=float),
            np.asarray(group[keep], dtype=_I8),
        )
    )
    resolve = dict(changed_pos)
    new_decl: list[tuple[int, int, int, float, int]] = []
    for i, sourced, spec in changed_specs:
        cid = sourced.course_id
        for edge_kind, ref in spec.references():
            if edge_kind is EdgeKind.REQUIRES_ANY:
                continue
            j = _resolve(qualify(ref.id, cid), resolve, old_index, old_to_new, kept)
            if j is None or j == i:
                continue
            w = DEFAULT_EDGE_WEIGHTS[edge_kind] if ref.weight is None else float(ref.weight)
            new_decl.append((i, _KIND[edge_kind], j, w, -1))
        number = 0
        for refs in spec.requires_any:
            members = []
            for ref in refs:
                j = _resolve(qualify(ref.id, cid), resolve, old_index, old_to_new, kept)
                if j is None or j == i:
                    continue
                w = (
                    DEFAULT_EDGE_WEIGHTS[EdgeKind.REQUIRES_ANY]
                    if ref.weight is None
                    else float(ref.weight)
                )
                members.append((i, _KIND[EdgeKind.REQUIRES_ANY], j, w, number))
            if members:
                new_decl.extend(members)
                number += 1
    if new_decl:
        cols = list(zip(*new_decl, strict=True))
        decl_parts.append(
            (
                np.array(cols[0], dtype=_I8),
                np.array(cols[1], dtype=np.int8),
                np.array(cols[2], dtype=_I8),
                np.array(cols[3], dtype=float),
                np.array(cols[4], dtype=_I8),
            )
        )
    d_lesson, d_kind, d_target, d_weight, d_group = (
        np.concatenate([p[k] for p in decl_parts]) for k in range(5)
    )
    order = np.argsort(d_lesson, kind="stable")

    # 6. the name search tables: the unchanged lessons' names kept, the changed ones' added
    search = _splice_search(
        a, kept, old_to_new, changed_specs, text_number, old_index.ids, tables.text.get
    )
    if spill is not None:
        search = spill(search)
    tables.release_pages()  # the served index's pages this read: the turns read them back

    # 7. assemble the tables
    extra = [s.encode("utf-8") for s in intern]
    blob = np.concatenate(
        [np.asarray(tables.text.blob), np.frombuffer(b"".join(extra), dtype=np.uint8)]
    )
    offsets = np.concatenate(
        [
            np.asarray(tables.text.offsets),
            tables.text.offsets[-1] + np.cumsum([len(b) for b in extra], dtype=_I8),
        ]
    )
    arrays: dict[str, np.ndarray] = {"text.blob": blob, "text.offsets": offsets.astype(_I8)}
    for column in TEXT_COLUMNS:
        arrays[f"lesson.{column}"] = _cat(columns[column], np.int32)
    for column in ID_COLUMNS:
        parts = columns[column]
        arrays[f"lesson.{column}"] = np.concatenate(parts) if parts else _fixed([])
    for column in LIST_COLUMNS:
        lengths = _cat(list_lengths[column], _I8)
        indptr = np.zeros(n + 1, dtype=_I8)
        np.cumsum(lengths, out=indptr[1:])
        arrays[f"lesson.{column}.indptr"] = indptr
        arrays[f"lesson.{column}.items"] = _cat(list_items[column], np.int32)
    arrays.update(_cat_translations(translation_parts, n))
    arrays["lesson.course"] = _cat(columns["course"], np.int32)
    arrays["lesson.file"] = _cat(columns["file"], np.int32)
    for column in ("difficulty", "minutes", "line"):
        arrays[f"lesson.{column}"] = _cat(columns[column], _I8)
    arrays["decl.lesson"] = d_lesson[order].astype(np.int32)
    arrays["decl.kind"] = d_kind[order].astype(np.int8)
    arrays["decl.target"] = d_target[order].astype(np.int32)
    arrays["decl.weight"] = d_weight[order]
    arrays["decl.group"] = d_group[order].astype(np.int8)
    arrays.update(search)
    new_meta = {
        k: v for k, v in meta.items() if k not in ("arrays", "content_sha256", "format", "version")
    }
    new_meta.update(lessons=n, course_ids=course_ids, courses=courses, files=files)
    draft = LessonTables(arrays, new_meta)
    if all(
        np.array_equal(np.asarray(a[f"lesson.{c}"]), arrays[f"lesson.{c}"]) for c in ID_COLUMNS
    ):  # the same ids in the same places: the same sorted names
        arrays["names.key"], arrays["names.pos"] = a["names.key"], a["names.pos"]
    else:
        arrays.update(_name_arrays(draft))
    if spill is not None:  # hold no second reference to what goes to disk
        del blob, offsets, search, columns, list_items, list_lengths, decl_parts
        del d_lesson, d_kind, d_target, d_weight, d_group, order, draft
        arrays = spill(arrays)
        tables.release_pages()
        draft = LessonTables(arrays, new_meta)
    if _same_links(tables, draft):
        # derive_index would give the served index's arrays again, and the served ranks
        # still hold: an edit of texts only (a title, a summary) re-derives nothing
        arrays["lesson.rank"] = np.asarray(a["lesson.rank"], dtype=_I8)
        served = {k: v for k, v in a.items() if k.startswith("index.")}
        return LessonTables(
            {**arrays, **served}, {**draft.meta, "index_layout": meta["index_layout"]}
        ), report
    arrays["lesson.rank"] = np.zeros(n, dtype=_I8)
    index = derive_index(draft)
    arrays["lesson.rank"] = _ranks(index, rank, [i for i, _, _ in changed_specs])
    return with_index_arrays(draft, index), report


#: The lesson columns :func:`~knowledge_graph.tables.derive_index` reads, with the links.
_DERIVED_FROM = (
    "lesson.difficulty",
    "lesson.minutes",
    "lesson.course",
    "decl.lesson",
    "decl.kind",
    "decl.target",
    "decl.weight",
    "decl.group",
)


def _same_links(old: LessonTables, new: LessonTables) -> bool:
    """Would :func:`~knowledge_graph.tables.derive_index` of ``new`` give ``old``'s index?

    It reads the lesson count, each lesson's difficulty, minutes and course, the courses'
    ids and weights, and the link declarations: when all of those are equal, so are the
    index arrays (an edit of a title, a summary or an alias). Compared element by element
    (about 10 ms for 485,000 links).
    """
    if old.n != new.n or old.meta["course_ids"] != new.meta["course_ids"]:
        return False
    weights = [
        [(courses.get(cid) or {}).get("weights") for cid in table.meta["course_ids"]]
        for table, courses in ((old, old.meta["courses"]), (new, new.meta["courses"]))
    ]
    if weights[0] != weights[1]:
        return False
    return all(
        np.array_equal(np.asarray(old.arrays[name]), np.asarray(new.arrays[name]))
        for name in _DERIVED_FROM
    )


def _splice_search(
    a: Mapping[str, np.ndarray],
    kept: np.ndarray,
    old_to_new: np.ndarray,
    changed_specs: list[tuple[int, SourcedCourse, Any]],
    text_number: Any,
    old_ids: Sequence[str],
    old_text: Callable[[int], str],
) -> dict[str, np.ndarray]:
    """The ``search.*`` arrays after the change: the unchanged lessons' names filtered and
    renumbered, the changed lessons' names added, tables re-sorted; trigrams of tokens no
    name has any more are dropped, those of new tokens merged in (no full rebuild).

    A lesson of a changed file whose names are exactly those it had (same qualified id,
    title, aliases and translations: an edit elsewhere in the file, or in another lesson)
    keeps its rows as an unchanged lesson does, so that editing one title re-indexes that
    lesson's names, not the whole file's (normalising and hashing the names of a 2,000-lesson
    file was a third of such a reload at 100,000 lessons).
    """
    old_lesson = np.asarray(a["search.name_lesson"], dtype=_I8)
    reused_old, reused_new, changed_specs = _same_names(
        old_lesson, a, kept, changed_specs, old_ids, old_text
    )
    if reused_old.size:
        kept = kept.copy()
        kept[reused_old] = True
        old_to_new = old_to_new.copy()
        old_to_new[reused_old] = reused_new
    names = SearchNames()
    for i, sourced, spec in changed_specs:
        names.add(i, qualify(spec.id, sourced.course_id))
        names.add(i, spec.id)
        for _, text, _ in translated_names(i, spec.title, spec.aliases, None):
            names.add(i, text)
        for locale, translation in spec.translations.items():
            for _, text, _ in translated_names(i, translation.title, translation.aliases, locale):
                names.add(i, text, locale)
    fresh = names.columns()
    kept_names = np.flatnonzero(kept[old_lesson]) if old_lesson.size else old_lesson
    count = kept_names.size + len(names.lesson)
    lesson = np.concatenate([old_to_new[old_lesson[kept_names]], fresh["name_lesson"]])
    order = np.argsort(lesson, kind="stable")  # lesson order; each lesson's names in order
    renumber = np.empty(count, dtype=np.int32)  # name numbers fit in 32 bits
    renumber[order] = np.arange(count, dtype=np.int32)
    old_number = np.full(old_lesson.size, -1, dtype=np.int32)
    old_number[kept_names] = renumber[: kept_names.size]
    fresh_number = renumber[kept_names.size :]

    exact_name = old_number[np.asarray(a["search.exact_name"])]
    keep = exact_name >= 0
    old_vocab = np.asarray(a["search.vocab"])
    post_name = old_number[np.asarray(a["search.post_name"])]
    keep_post = post_name >= 0
    # each kept posting's token, without first spelling out every posting's token
    starts = np.asarray(a["search.vocab_start"])
    kept_per_token = (
        np.add.reduceat(keep_post, starts[:-1]) if old_vocab.size else np.zeros(0, dtype=_I8)
    )
    kept_per_token[np.diff(starts) == 0] = 0
    post_token = np.repeat(old_vocab, kept_per_token)
    post_name = post_name[keep_post]
    # (temporaries are dropped as soon as they are used: at 100,000 lessons these tables
    # hold 1.6 million rows, and a reload's peak memory is what they add up to)
    del keep_post, kept_per_token
    # still sorted by (key, name) after filtering and renumbering: merge the new rows in
    out: dict[str, np.ndarray] = {}
    out["exact_key"], exact = _merge_sorted(
        np.asarray(a["search.exact_key"])[keep],
        exact_name[keep],
        fresh["key_hash"],
        fresh_number[fresh["key_name"]],
    )
    out["exact_name"] = exact.astype(np.int32)
    del exact, exact_name, keep
    tokens_sorted, names_sorted = _merge_sorted(
        post_token,
        post_name,
        fresh["pair_token"],
        fresh_number[fresh["pair_name"]],
    )
    first = np.ones(tokens_sorted.size, dtype=bool)
    first[1:] = tokens_sorted[1:] != tokens_sorted[:-1]
    starts = np.flatnonzero(first)
    vocab = out["vocab"] = tokens_sorted[starts]
    out["vocab_start"] = np.append(starts, tokens_sorted.size).astype(_I8)
    out["post_name"] = names_sorted.astype(np.int32)
    del post_token, post_name, tokens_sorted, names_sorted, first, starts
    # trigram counts: the old ones for tokens still used, the new tokens' from their text
    if old_vocab.size:
        at = np.minimum(np.searchsorted(old_vocab, vocab), old_vocab.size - 1)
        known = old_vocab[at] == vocab
    else:
        at, known = np.zeros(vocab.size, dtype=_I8), np.zeros(vocab.size, dtype=bool)
    grams_count = np.zeros(vocab.size, dtype=np.int32)
    grams_count[known] = np.asarray(a["search.vocab_grams"])[at[known]]
    new_tokens = [int(t) for t in vocab[~known].tolist()]
    grams_count[~known] = [len(names.grams[t]) for t in new_tokens]
    out["vocab_grams"] = grams_count
    # the trigram table: old rows renumbered (rows of vanished tokens dropped), new merged
    new_index = np.full(old_vocab.size, -1, dtype=_I8)
    new_index[at[known]] = np.flatnonzero(known)
    gram_token = new_index[np.asarray(a["search.gram_token"], dtype=_I8)]
    keep_gram = gram_token >= 0
    gram_key = np.asarray(a["search.gram_key"])[keep_gram]
    gram_token = gram_token[keep_gram]
    del keep_gram, new_index
    token_keys, added_keys = names.gram_pairs(new_tokens)
    added_token = np.searchsorted(vocab, token_keys)
    added = np.lexsort((added_token, added_keys))
    added_keys, added_token = added_keys[added], added_token[added]
    where = np.searchsorted(gram_key, added_keys, side="right")
    out["gram_key"] = np.insert(gram_key, where, added_keys)
    del gram_key
    out["gram_token"] = np.insert(gram_token.astype(np.int32), where, added_token)
    del gram_token

    old_tokens = np.asarray(a["search.name_tokens"])[kept_names]
    tokens = np.concatenate([old_tokens, fresh["name_tokens"]])
    locales = np.concatenate(
        [np.asarray(a["search.name_locale"])[kept_names], fresh["name_locale"]]
    )
    strings = np.concatenate(
        [
            np.asarray(a["search.name_text"], dtype=_I8)[kept_names],
            np.array([text_number(t) for t in names.text], dtype=_I8),
        ]
    )
    out["name_lesson"] = lesson[order].astype(np.int32)
    out["name_tokens"] = tokens[order].astype(np.int32)
    out["name_locale"] = locales[order].astype(np.uint64)
    result = {f"search.{k}": v for k, v in out.items()}
    result["search.name_text"] = strings[order].astype(np.int32)
    return result


def _same_names(
    old_lesson: np.ndarray,
    a: Mapping[str, np.ndarray],
    kept: np.ndarray,
    changed_specs: list[tuple[int, SourcedCourse, Any]],
    old_ids: Sequence[str],
    old_text: Callable[[int], str],
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, SourcedCourse, Any]]]:
    """The lessons of the changed files whose searchable names did not change.

    A lesson's rows in the search tables are its names in the order
    :class:`~knowledge_graph.search.SearchNames` adds them (qualified id, id, title,
    aliases, then each translation's title and aliases), those that normalise to nothing
    left out. When the rows a lesson had are exactly the (text, locale) names its new
    specification gives, none left out, adding them again would give the same rows.

    Returns
    -------
    (old positions, new positions, specs still to add)
    """
    rows = np.flatnonzero(~kept[old_lesson]) if old_lesson.size else old_lesson
    if rows.size == 0 or not changed_specs:
        return np.zeros(0, dtype=_I8), np.zeros(0, dtype=_I8), changed_specs
    rows = rows[np.argsort(old_lesson[rows], kind="stable")]  # by lesson, in row order
    row_lesson = old_lesson[rows]
    starts = np.flatnonzero(np.r_[True, row_lesson[1:] != row_lesson[:-1]])
    stops = np.r_[starts[1:], rows.size]
    texts = np.asarray(a["search.name_text"])[rows].tolist()
    locales = np.asarray(a["search.name_locale"])[rows].tolist()
    had: dict[str, tuple[int, list[tuple[str, int]]]] = {}
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        j = int(row_lesson[start])
        names = [(old_text(texts[r]), locales[r]) for r in range(start, stop)]
        had[old_ids[j]] = (j, names)
    keys: dict[str, int] = {}

    def key(locale: str) -> int:
        if locale not in keys:
            keys[locale] = locale_key(locale)
        return keys[locale]

    reused_old, reused_new, rest = [], [], []
    for item in changed_specs:
        i, sourced, spec = item
        qid = qualify(spec.id, sourced.course_id)
        old = had.get(qid)
        if old is not None:
            names = [(qid, 0), (spec.id, 0)]
            names.extend((t, 0) for _, t, _ in translated_names(i, spec.title, spec.aliases, None))
            for locale, translation in spec.translations.items():
                names.extend(
                    (t, key(locale))
                    for _, t, _ in translated_names(
                        i, translation.title, translation.aliases, locale
                    )
                )
            if names == old[1]:
                reused_old.append(old[0])
                reused_new.append(i)
                continue
        rest.append(item)
    return np.array(reused_old, dtype=_I8), np.array(reused_new, dtype=_I8), rest


def _merge_sorted(
    keys: np.ndarray, names: np.ndarray, new_keys: np.ndarray, new_names: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Insert rows into ``(keys, names)`` sorted by (key, name), keeping that order.

    One pass of copying plus a binary search per new row (the new rows are the changed
    files' names: their count follows the change, not the graph).
    """
    order = np.lexsort((new_names, new_keys))
    new_keys, new_names = new_keys[order], new_names[order]
    lo = np.searchsorted(keys, new_keys, side="left")
    hi = np.searchsorted(keys, new_keys, side="right")
    where = lo.copy()
    for j in np.flatnonzero(hi > lo).tolist():  # rows whose key is already there: by name
        where[j] = lo[j] + np.searchsorted(names[lo[j] : hi[j]], new_names[j])
    return np.insert(keys, where, new_keys), np.insert(names, where, new_names)


def _resolve(
    qid: str,
    changed_pos: Mapping[str, int],
    old_index: MappedGraphIndex,
    old_to_new: np.ndarray,
    kept: np.ndarray,
) -> int | None:
    """New position of ``qid``: a changed file's lesson, or an unchanged file's."""
    found = changed_pos.get(qid)
    if found is not None:
        return found
    old = int(old_index.positions_of([qid])[0]) if "/" in qid else -1
    if old < 0 or not kept[old]:
        return None
    return int(old_to_new[old])


def _cat_translations(parts: list[dict[str, np.ndarray]], n: int) -> dict[str, np.ndarray]:
    """The ``lesson.translations.*`` arrays of the files' parts, in file order (each part's
    ``indptr`` starts at 0)."""
    lengths = [np.diff(p["lesson.translations.indptr"]) for p in parts]
    indptr = np.zeros(n + 1, dtype=_I8)
    np.cumsum(_cat(lengths, _I8), out=indptr[1:])
    out = {"lesson.translations.indptr": indptr}
    for column, dtype in (("locale", np.int32), ("field", np.int8), ("text", np.int32)):
        out[f"lesson.translations.{column}"] = _cat(
            [p[f"lesson.translations.{column}"] for p in parts], dtype
        )
    return out


def _cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _name_arrays(tables: LessonTables) -> dict[str, np.ndarray]:
    """``names.key`` / ``names.pos``: qualified ids and unique bare ids, sorted.

    Sorted as big-endian 8-byte words with ``np.lexsort`` (the byte order of the
    fixed-width keys), several times faster than sorting bytes strings.
    """
    n = tables.n
    ids, keys = tables.arrays["lesson.id"], tables.arrays["lesson.key"]
    width = -(-max(ids.dtype.itemsize, keys.dtype.itemsize) // 8) * 8
    both = np.concatenate([ids, keys]).astype(f"S{width}")
    rows = np.frombuffer(both.tobytes(), dtype=np.uint8).reshape(2 * n, width)
    qualified = np.arange(2 * n) < n
    pos = np.concatenate([np.arange(n, dtype=_I8), np.arange(n, dtype=_I8)])
    words = rows.view(">u8").reshape(2 * n, width // 8)
    order = np.lexsort(words.T[::-1]) if n else np.zeros(0, dtype=_I8)
    words, qualified, pos = words[order], qualified[order], pos[order]
    new = np.ones(2 * n, dtype=bool)
    if n:
        new[1:] = np.any(words[1:] != words[:-1], axis=1)
    group = np.cumsum(new) - 1
    size = np.bincount(group)
    has_qualified = np.bincount(group, weights=qualified).astype(bool)
    # a qualified id always wins; a bare id only when no other lesson has it
    keep = (qualified | (size[group] == 1)) & ~(~qualified & has_qualified[group])
    longest = max(ids.dtype.itemsize, keys.dtype.itemsize)
    return {"names.key": both[order][keep].astype(f"S{longest}"), "names.pos": pos[keep]}


def _ranks(index: Any, rank: np.ndarray, changed: list[int]) -> np.ndarray:
    """Integer completion ranks of the new graph; raise NotIncremental when unsure.

    ``rank`` holds the unchanged lessons' old ranks; the changed lessons (``changed``) are
    ranked by a worklist over their hard prerequisites (Dijkstra-like: a lesson's time is
    the latest of its ``requires`` and of each group's earliest member).
    """
    n = index.n
    is_changed = np.zeros(n, dtype=bool)
    is_changed[changed] = True
    rank = rank.astype(float)
    rank[is_changed] = np.inf
    requires_in = index.in_edges[EdgeKind.REQUIRES]
    requires_out = index.out_edges[EdgeKind.REQUIRES]
    step = 0.5 / (len(changed) + 1)
    waiting: dict[int, int] = {}
    latest: dict[int, float] = {}
    group_best: dict[int, list[float]] = {}
    heap: list[tuple[float, int]] = []

    def ready_time(v: int) -> float | None:
        if waiting[v]:
            return None
        times = [latest[v], *group_best[v]]
        return max(times) if times else -1.0

    groups_of = {v: [g for g in index.owner_groups.row(v).tolist()] for v in changed}
    for v in changed:
        prerequisites = requires_in.row(v)
        internal = is_changed[prerequisites]
        waiting[v] = int(internal.sum())
        external = rank[prerequisites[~internal]]
        latest[v] = float(external.max()) if external.size else -1.0
        group_best[v] = [
            float(
                rank[index.group_members[index.group_indptr[g] : index.group_indptr[g + 1]]].min()
            )
            for g in groups_of[v]
        ]
        t = ready_time(v)
        if t is not None and np.isfinite(t):
            heapq.heappush(heap, (t, v))
    member_of: dict[int, list[tuple[int, int]]] = {}
    for v in changed:
        for k, g in enumerate(groups_of[v]):
            for m in index.group_members[
                index.group_indptr[g] : index.group_indptr[g + 1]
            ].tolist():
                if is_changed[m]:
                    member_of.setdefault(m, []).append((v, k))
    assigned = 0
    while heap:
        t, v = heapq.heappop(heap)
        if np.isfinite(rank[v]) or ready_time(v) != t:
            continue
        assigned += 1
        rank[v] = np.floor(t) + step * assigned
        for w in requires_out.row(v).tolist():
            if is_changed[w]:
                waiting[w] -= 1
                latest[w] = max(latest[w], rank[v])
                tw = ready_time(w)
                if tw is not None and np.isfinite(tw) and not np.isfinite(rank[w]):
                    heapq.heappush(heap, (tw, w))
        for w, k in member_of.get(v, ()):
            if rank[v] < group_best[w][k]:
                group_best[w][k] = float(rank[v])
                tw = ready_time(w)
                if tw is not None and np.isfinite(tw) and not np.isfinite(rank[w]):
                    heapq.heappush(heap, (tw, w))
    if not np.all(np.isfinite(rank)):
        raise NotIncremental("a changed lesson can never be started (cycle or blocked)")
    req = index.in_edges[EdgeKind.REQUIRES]
    rows = np.repeat(np.arange(n), np.diff(req.indptr))
    if rows.size and not np.all(rank[req.indices] < rank[rows]):
        raise NotIncremental("the new prerequisites need another order of the lessons")
    if index.group_owner.size:
        earliest = np.minimum.reduceat(rank[index.group_members], index.group_indptr[:-1])
        if not np.all(earliest < rank[index.group_owner]):
            raise NotIncremental("the new prerequisites need another order of the lessons")
    order = np.argsort(rank, kind="stable")
    out = np.empty(n, dtype=_I8)
    out[order] = np.arange(n, dtype=_I8)
    return out
