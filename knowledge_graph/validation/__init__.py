"""Validation of course files: parsing, field checks and whole-graph checks.

:func:`validate_path` and :func:`validate_documents` never raise for content problems;
they return a :class:`ValidationReport` listing every :class:`ValidationIssue` with its
file, line, course, lesson and field. The issue codes are documented in ``FORMAT.md``.

The work is split along the stages a set of files goes through:

* :mod:`~knowledge_graph.validation.issues`: the report, its issues and their locations;
* :mod:`~knowledge_graph.validation.documents`: YAML/JSON text into data with line numbers;
* :mod:`~knowledge_graph.validation.field_checks`: each file against the schema;
* :mod:`~knowledge_graph.validation.reference_checks`: references and names across files;
* :mod:`~knowledge_graph.validation.graph_checks`: cycles and reachability of the graph.

Reading the files is :mod:`knowledge_graph.sources`.

Example
-------
>>> from knowledge_graph.sources import RawDocument
>>> report = validate_documents([RawDocument.from_text("c.yaml", '''
... course: {id: c, title: C}
... lessons:
...   - {id: a, title: A, next: [b]}
...   - {id: b, title: B, requires: [aa]}
... ''')])
>>> print(report.format())
c.yaml:5: error [c/b] requires: unknown lesson 'aa' (did you mean 'a'?)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from knowledge_graph.builder import build_graph
from knowledge_graph.file_format import (
    MAX_COURSE_FILES,
    MAX_TOTAL_LESSONS,
    WARNING_CODES,
    qualify,
)
from knowledge_graph.sources import RawDocument, read_local_documents
from knowledge_graph.validation.field_checks import CheckedFile, LocatedLesson, check_file
from knowledge_graph.validation.graph_checks import check_cycles, check_reachability
from knowledge_graph.validation.issues import Severity, ValidationIssue, ValidationReport
from knowledge_graph.validation.reference_checks import check_names, check_references
from knowledge_graph.validation.translation_checks import check_locale_ids, check_translations

__all__ = [
    "Severity",
    "ValidationIssue",
    "ValidationReport",
    "validate_documents",
    "validate_path",
]

#: Error codes that do not remove lessons or links from the checked graph.
_GRAPH_CODES = frozenset({"cycle", "title-collision", "small-group", "duplicate-key"})


def validate_documents(
    documents: Sequence[RawDocument],
    *,
    silence: Iterable[str] = (),
    locales: Sequence[str] | None = None,
) -> ValidationReport:
    """Validate course documents together (cross-course references resolve among them).

    Parameters
    ----------
    documents : sequence of RawDocument
        The course files; they are processed in order of ``name``.
    silence : iterable of str, optional
        Warning codes (:data:`~knowledge_graph.file_format.WARNING_CODES`) to leave out of
        the report for every course, on top of each course's own ``silence_warnings``; they
        are counted in ``report.silenced``.

    Returns
    -------
    ValidationReport
        With ``graph`` set when there is no error; ``draft_graph`` is set whenever the
        lessons that passed the field checks could be built into a graph.

    Raises
    ------
    ValueError
        When ``silence`` names a code that is not a warning code, or ``locales`` an id that
        is not a Lex locale id.

    Example
    -------
    >>> doc = RawDocument.from_text("c.json", '{"course": {"id": "c", "title": "C"},'
    ...                             ' "lessons": [{"id": "a", "title": "A"}]}')
    >>> report = validate_documents([doc])
    >>> report.ok, sorted(report.graph.nodes)
    (True, ['c/a'])
    """
    quiet = frozenset(silence)
    unknown = sorted(quiet - set(WARNING_CODES))
    if unknown:
        raise ValueError(
            f"not warning codes: {', '.join(unknown)}; the warning codes are "
            f"{', '.join(WARNING_CODES)}"
        )
    if locales is not None and check_locale_ids(locales):
        raise ValueError(f"not Lex locale ids: {', '.join(check_locale_ids(locales))}")
    issues: list[ValidationIssue] = []
    ordered = sorted(documents, key=lambda d: d.name)
    report = ValidationReport(issues=issues, files=[d.name for d in ordered])
    if not ordered:
        issues.append(
            ValidationIssue(
                Severity.ERROR,
                "no-courses",
                "no course files (*.yaml, *.yml, *.json) found",
                "<none>",
            )
        )
        return report
    if len(ordered) > MAX_COURSE_FILES:
        issues.append(
            ValidationIssue(
                Severity.ERROR,
                "too-large",
                f"{len(ordered)} files; the limit is {MAX_COURSE_FILES}",
                ordered[0].name,
            )
        )
        return report
    checked = [check_file(doc, issues) for doc in ordered]
    with_errors = {i.file for i in issues if i.severity is Severity.ERROR}
    broken: dict[str, str] = {}
    for item in checked:
        if item.ctx.file in with_errors:
            for cid in (item.raw_course_id, *item.guessed_course_ids):
                if cid is not None:
                    broken.setdefault(cid, item.ctx.file)
    courses: dict[str, CheckedFile] = {}
    invalid: set[str] = set()
    for item in checked:
        cid = item.raw_course_id
        if cid is None:
            continue
        if cid in courses:
            item.ctx.add(
                Severity.ERROR,
                "duplicate-course",
                f"course id {cid!r} is already used by {courses[cid].ctx.file}",
                ("course", "id"),
                field="id",
            )
            item.sourced = None
            continue
        courses[cid] = item
        invalid |= {qualify(lid, cid) for lid in item.raw_lesson_ids}
    lessons: dict[str, LocatedLesson] = {}
    for item in checked:
        if item.sourced is None:
            continue
        for index, spec in item.sourced.iter_lessons():
            lessons[qualify(spec.id, item.sourced.course_id)] = LocatedLesson(
                item.sourced, item.ctx, index, spec
            )
    invalid -= lessons.keys()
    if len(lessons) > MAX_TOTAL_LESSONS:
        issues.append(
            ValidationIssue(
                Severity.ERROR,
                "too-large",
                f"{len(lessons)} lessons; the limit is {MAX_TOTAL_LESSONS}",
                ordered[0].name,
            )
        )
        return report
    check_references(lessons, invalid, set(courses), broken)
    check_names(lessons)
    check_translations(checked, lessons, locales)
    graph = build_graph(
        [c.sourced for c in checked if c.sourced is not None],
        strict=False,
        declarations=report.declarations,
    )
    in_hard_cycle = check_cycles(graph, lessons)
    complete = not any(i.severity is Severity.ERROR and i.code not in _GRAPH_CODES for i in issues)
    check_reachability(graph, lessons, in_hard_cycle, complete=complete)
    _silence(report, quiet, checked)
    position = {name: i for i, name in enumerate(report.files)}
    issues.sort(key=lambda i: (position.get(i.file, -1), i.line or 0))
    report.graph = graph if report.ok else None
    report.draft_graph = graph
    if not report.ok:
        report.declarations = []
    return report


def _silence(report: ValidationReport, quiet: frozenset[str], checked: list[CheckedFile]) -> None:
    """Drop the silenced warnings from ``report.issues`` and count them in ``silenced``."""
    per_course: dict[str, frozenset[str]] = {}
    for item in checked:
        if item.sourced is not None:
            header = item.sourced.document.course
            per_course[header.id] = frozenset(getattr(header, "silence_warnings", ()) or ())
    if not quiet and not any(per_course.values()):
        return
    kept: list[ValidationIssue] = []
    for issue in report.issues:
        silenced = issue.severity is Severity.WARNING and (
            issue.code in quiet or issue.code in per_course.get(issue.course or "", ())
        )
        if silenced:
            report.silenced[issue.code] = report.silenced.get(issue.code, 0) + 1
        else:
            kept.append(issue)
    report.issues[:] = kept


def validate_path(
    path: str | os.PathLike[str],
    *,
    silence: Iterable[str] = (),
    locales: Sequence[str] | None = None,
) -> ValidationReport:
    """Validate a course file or a directory of course files.

    Parameters
    ----------
    path : str or path-like
        A ``.yaml``/``.yml``/``.json`` file, or a directory holding such files.
    silence : iterable of str, optional
        Warning codes to leave out (see :func:`validate_documents`).
    locales : sequence of str, optional
        The locales the bot serves (see :func:`validate_documents`).

    Returns
    -------
    ValidationReport
        Never raises for content problems.

    Raises
    ------
    GraphSourceError
        When the path does not exist or cannot be read.

    Example
    -------
    >>> report = validate_path("data/lessons")
    >>> report.ok, report.files
    (True, ['data/lessons/python-intro.yaml', 'data/lessons/python-testing.yaml'])
    """
    return validate_documents(read_local_documents(path), silence=silence, locales=locales)
