"""Validation of course files: parsing, schema checks and whole-graph checks.

:func:`validate_path` and :func:`validate_documents` never raise for content problems;
they return a :class:`ValidationReport` listing every :class:`ValidationIssue` with its
file, line, course, lesson and field. The issue codes are documented in ``FORMAT.md``.

Example
-------
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

import difflib
import json
import os
import re
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from knowledge_graph.builder import DocPath, SourcedCourse, build_graph
from knowledge_graph.errors import GraphSourceError
from knowledge_graph.file_format import (
    HARD_KINDS,
    MAX_COURSE_FILES,
    MAX_FILE_BYTES,
    MAX_LESSONS_PER_COURSE,
    MAX_TOTAL_LESSONS,
    PREREQUISITE_KINDS,
    SLUG_RE,
    TOP_LEVEL_FIELDS,
    WEIGHT_FIELDS,
    CourseFile,
    CourseHeader,
    CourseWeights,
    EdgeKind,
    LessonSpec,
    Reference,
    is_course_file_name,
    qualify,
)

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

#: Upper bound of YAML nodes visited (aliases expanded) before a file is rejected.
MAX_YAML_NODES = 1_000_000

#: Error codes that do not remove lessons or links from the checked graph.
_GRAPH_CODES = frozenset({"cycle", "title-collision", "small-group", "duplicate-key"})
_PATTERN_HINTS = {
    "id": "must be a slug: 1-64 characters of a-z, 0-9, '-' and '_', starting with a-z or 0-9",
    "ref": "must be 'lesson' or 'course/lesson' where both parts are slugs (a-z, 0-9, '-', '_')",
    "url": "must be an http:// or https:// address without spaces",
}
_REFERENCE_FIELDS = ("requires", "recommends", "related", "next")
_RANGE_ERRORS = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"}
)


class Severity(StrEnum):
    """How bad an issue is: errors block loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class ValidationIssue:
    """One problem found in a course file.

    Parameters
    ----------
    severity : Severity
        ``error`` blocks loading; ``warning`` is advice.
    code : str
        Stable machine-readable code, e.g. ``"dangling-reference"`` (see FORMAT.md).
    message : str
        Human-readable explanation, including a suggestion when one is known.
    file : str
        File path or ``s3://`` URL.
    line : int or None
        1-based line (None when unknown, e.g. some JSON issues).
    course, lesson, field : str or None
        Course id, bare lesson id and top-level field name the issue is about.
    """

    severity: Severity
    code: str
    message: str
    file: str
    line: int | None = None
    course: str | None = None
    lesson: str | None = None
    field: str | None = None

    def format(self) -> str:
        """Return the issue as one line, e.g. ``f.yaml:4: error [c/b] requires: ...``."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        subject = ""
        if self.course and self.lesson:
            subject = f" [{self.course}/{self.lesson}]"
        elif self.course or self.lesson:
            subject = f" [{self.course or self.lesson}]"
        prefix = f"{self.field}: " if self.field else ""
        return f"{where}: {self.severity.value}{subject} {prefix}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (for structured logs and CLI output)."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "course": self.course,
            "lesson": self.lesson,
            "field": self.field,
        }

    def __str__(self) -> str:
        return self.format()


@dataclass
class ValidationReport:
    """Result of validating a set of course files.

    Attributes
    ----------
    issues : list of ValidationIssue
        Sorted by file order, then line.
    files : list of str
        The files that were checked, in load order.
    graph : networkx.DiGraph or None
        The built graph when there are no errors, else None.
    """

    issues: list[ValidationIssue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    graph: nx.DiGraph | None = None

    @property
    def errors(self) -> list[ValidationIssue]:
        """The issues of severity ``error``."""
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[ValidationIssue]:
        """The issues of severity ``warning``."""
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def codes(self) -> set[str]:
        """Return the set of issue codes (handy in tests)."""
        return {i.code for i in self.issues}

    def format(self) -> str:
        """Return one human-readable line per issue ("" when there is none)."""
        return "\n".join(issue.format() for issue in self.issues)

    def summary(self) -> str:
        """Return e.g. ``"2 errors, 1 warning in 3 files"``."""
        e, w, f = len(self.errors), len(self.warnings), len(self.files)
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)} in {f} file{'s' * (f != 1)}"


@dataclass(frozen=True)
class RawDocument:
    """The bytes of one course file, as read from disk or S3.

    Parameters
    ----------
    name : str
        Path or URL used in messages; a ``.json`` suffix selects JSON, anything else YAML.
    content : bytes
        The file content (may be empty when ``size`` exceeds the limit).
    size : int or None
        The full size in bytes; defaults to ``len(content)``.
    """

    name: str
    content: bytes
    size: int | None = None

    @classmethod
    def from_text(cls, name: str, text: str) -> RawDocument:
        """Build a document from text (tests, CLI stdin).

        Example
        -------
        >>> RawDocument.from_text("a.yaml", "x: 1").byte_size
        4
        """
        return cls(name, text.encode("utf-8"))

    @property
    def byte_size(self) -> int:
        """The size in bytes (``size`` or the content length)."""
        return len(self.content) if self.size is None else self.size


# --------------------------------------------------------------------------- helpers


def fold_text(text: str) -> str:
    """Normalise text for collision checks: diacritics, case and punctuation folded.

    Example
    -------
    >>> fold_text("  Café: Déjà-vu! ")
    'cafe deja vu'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", stripped.casefold()).strip()


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""``."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _dotted(loc: Sequence[str | int]) -> str:
    """Render a pydantic location as ``requires[1].weight``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class _Context:
    """Where issues of one file go: file name, line index, course id."""

    file: str
    lines: dict[DocPath, int]
    issues: list[ValidationIssue]
    course: str | None = None

    def line(self, path: DocPath) -> int | None:
        """Return the line of the deepest known prefix of ``path``."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: DocPath = (),
        *,
        lesson: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        """Record one issue located at document ``path`` (or an explicit ``line``)."""
        self.issues.append(
            ValidationIssue(
                severity=severity,
                code=code,
                message=message,
                file=self.file,
                line=line if line is not None else self.line(path),
                course=self.course,
                lesson=lesson,
                field=field,
            )
        )


# --------------------------------------------------------------------------- parsing


def _index_yaml(root: Any, ctx: _Context) -> None:
    """Record the line of every mapping key and sequence item; flag duplicate keys.

    Raises ValueError when the document expands to more than :data:`MAX_YAML_NODES`.
    """
    import yaml

    stack: list[tuple[Any, DocPath]] = [(root, ())]
    visited = 0
    while stack:
        node, path = stack.pop()
        visited += 1
        if visited > MAX_YAML_NODES:
            raise ValueError("document too large or too deeply aliased")
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = key_node.value
                line = key_node.start_mark.line + 1
                if key in seen and key != "<<":
                    ctx.add(
                        Severity.ERROR,
                        "duplicate-key",
                        f"key {key!r} appears twice in the same mapping; the last one wins",
                        line=line,
                        field=key if len(path) in (0, 1, 2) else None,
                    )
                seen.add(key)
                ctx.lines.setdefault((*path, key), line)
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                ctx.lines.setdefault((*path, index), item.start_mark.line + 1)
                stack.append((item, (*path, index)))


def _parse_yaml(text: str, ctx: _Context, *, index_only: bool = False) -> Any:
    """Parse YAML safely (SafeLoader only) and index its lines; raise on syntax errors."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _index_yaml(node, ctx)
        return None if index_only else loader.construct_document(node)
    finally:
        loader.dispose()


class _JsonLines(dict):  # type: ignore[type-arg]
    """The line index of a JSON file, built on the first lookup only.

    JSON is (nearly) YAML, so YAML's marks give line numbers; that costs a second parse of
    the file, which only a file with something to report needs. ``deferred`` tells the
    graph builder not to force it just to annotate nodes.
    """

    deferred = True

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text: str | None = text

    def _build(self) -> None:
        import yaml

        text, self._text = self._text, None
        if text is None:
            return
        scratch = _Context(file="", lines={}, issues=[])
        try:
            _parse_yaml(text, scratch, index_only=True)
        except (yaml.YAMLError, ValueError, RecursionError):
            return
        self.update(scratch.lines)

    def get(self, key: Any, default: Any = None) -> Any:
        self._build()
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._build()
        return super().__getitem__(key)


def parse_document(doc: RawDocument, ctx: _Context) -> Any:
    """Decode and parse one document; report problems in ``ctx`` and return the data.

    Returns None (after recording a ``parse-error`` or ``too-large`` issue) when the
    document cannot be parsed. Never raises for bad content.
    """
    import yaml

    if doc.byte_size > MAX_FILE_BYTES:
        ctx.add(
            Severity.ERROR,
            "too-large",
            f"file is {doc.byte_size} bytes; the limit is {MAX_FILE_BYTES}",
        )
        return None
    try:
        text = doc.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = doc.content[: exc.start].count(b"\n") + 1
        ctx.add(Severity.ERROR, "parse-error", f"not valid UTF-8: {exc.reason}", line=line)
        return None
    if not text.strip():
        ctx.add(Severity.ERROR, "parse-error", "file is empty", line=1)
        return None
    try:
        if doc.name.lower().endswith(".json"):
            data = json.loads(text)
            ctx.lines = _JsonLines(text)
            return data
        return _parse_yaml(text, ctx)
    except json.JSONDecodeError as exc:
        ctx.add(Severity.ERROR, "parse-error", f"invalid JSON: {exc.msg}", line=exc.lineno)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        ctx.add(
            Severity.ERROR,
            "parse-error",
            f"invalid YAML: {problem or exc}",
            line=mark.line + 1 if mark else None,
        )
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        ctx.add(Severity.ERROR, "parse-error", f"cannot parse: {exc or type(exc).__name__}")
    return None


# --------------------------------------------------------------------------- schema


def _known_fields(loc: Sequence[str | int], level_fields: Sequence[str]) -> Sequence[str]:
    """Return the valid field names at the level of the last element of ``loc``."""
    parents = [p for p in loc[:-1] if isinstance(p, str)]
    if not parents:
        return level_fields
    if parents[-1] == "weights":
        return WEIGHT_FIELDS
    return tuple(Reference.model_fields)


def _schema_issues(
    exc: ValidationError,
    ctx: _Context,
    prefix: DocPath,
    level_fields: Sequence[str],
    lesson: str | None,
) -> None:
    """Translate pydantic errors into issues with stable codes."""
    for err in exc.errors(include_url=False):
        loc: tuple[str | int, ...] = tuple(err["loc"])
        kind = err["type"]
        field_name = str(loc[0]) if loc else None
        where = _dotted(loc)
        if kind == "extra_forbidden":
            name = str(loc[-1])
            code = "unknown-field"
            message = f"unknown field {where!r}" + _did_you_mean(
                name, _known_fields(loc, level_fields)
            )
        elif kind == "missing":
            code, message = "missing-field", f"required field {where!r} is missing"
        elif loc and loc[-1] == "title" and kind == "string_too_short":
            code, message = "empty-title", "title must not be empty"
        elif kind in _RANGE_ERRORS and any(p in ("weight", "weights") for p in loc):
            code = "weight-range"
            message = f"{where}: {err['msg']}, got {err['input']!r}"
        elif kind == "string_pattern_mismatch":
            code = "invalid-value"
            hint = "ref" if len(loc) > 1 and loc[-1] == "id" else str(loc[-1]) if loc else ""
            what = _PATTERN_HINTS.get(hint, "has an invalid format")
            got = f"{what}, got {err['input']!r}"
            message = f"{where}: {got}" if len(loc) > 1 else got
        else:
            shown = err["input"]
            got = f", got {shown!r}" if isinstance(shown, str | int | float | bool) else ""
            code = "invalid-value"
            message = f"{where}: {err['msg']}{got}" if len(loc) > 1 else f"{err['msg']}{got}"
        ctx.add(Severity.ERROR, code, message, (*prefix, *loc), lesson=lesson, field=field_name)


def _validate_model(
    model: type[BaseModel],
    raw: Any,
    ctx: _Context,
    prefix: DocPath,
    lesson: str | None = None,
) -> Any:
    """Validate ``raw`` against ``model``; report errors and return the model or None."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = tuple(model.model_fields)
        _schema_issues(exc, ctx, prefix, fields, lesson)
        return None


@dataclass
class _CheckedFile:
    """A parsed and schema-checked file: the valid part plus bookkeeping."""

    ctx: _Context
    sourced: SourcedCourse | None = None
    raw_course_id: str | None = None
    raw_lesson_ids: list[str] = field(default_factory=list)


def _check_file(doc: RawDocument, issues: list[ValidationIssue]) -> _CheckedFile:
    """Parse one document and check it against the schema, lesson by lesson."""
    ctx = _Context(doc.name, {}, issues)
    checked = _CheckedFile(ctx)
    data = parse_document(doc, ctx)
    if data is None and not any(i.file == doc.name for i in issues):
        ctx.add(Severity.ERROR, "parse-error", "file holds no document", line=1)
    if data is None:
        return checked
    if not isinstance(data, dict):
        ctx.add(
            Severity.ERROR,
            "invalid-value",
            "the top level must be a mapping with the keys 'course' and 'lessons'",
            line=1,
        )
        return checked
    for key in data:
        if key not in TOP_LEVEL_FIELDS:
            ctx.add(
                Severity.ERROR,
                "unknown-field",
                f"unknown top-level field {key!r}" + _did_you_mean(str(key), TOP_LEVEL_FIELDS),
                (str(key),),
                field=str(key),
            )
    raw_course = data.get("course")
    if isinstance(raw_course, dict) and isinstance(raw_course.get("id"), str):
        checked.raw_course_id = raw_course["id"]
        ctx.course = raw_course["id"] if SLUG_RE.match(raw_course["id"]) else None
        for position, issue in enumerate(issues):  # parse issues were recorded before
            if issue.file == doc.name and issue.course is None:
                issues[position] = replace(issue, course=ctx.course)
    if "course" not in data:
        ctx.add(
            Severity.ERROR,
            "missing-field",
            "required field 'course' is missing",
            field="course",
            line=1,
        )
        header = None
    else:
        header = _validate_model(CourseHeader, raw_course, ctx, ("course",))
        if header is None and ctx.course is not None:
            # Keep checking the lessons: stand in a header with the valid id and defaults.
            header = CourseHeader.model_construct(
                id=ctx.course, title=ctx.course, description="", weights=CourseWeights()
            )
    lessons = _check_lessons(data, ctx, checked)
    if header is not None and lessons is not None:
        specs = tuple(spec for _, spec in lessons)
        document = CourseFile.model_construct(course=header, lessons=list(specs))
        checked.sourced = SourcedCourse(
            document, doc.name, ctx.lines, specs, tuple(i for i, _ in lessons)
        )
    return checked


def _check_lessons(
    data: dict[str, Any], ctx: _Context, checked: _CheckedFile
) -> list[tuple[int, LessonSpec]] | None:
    """Validate each lesson on its own; return the valid ones with their indices."""
    if "lessons" not in data:
        ctx.add(
            Severity.ERROR,
            "missing-field",
            "required field 'lessons' is missing",
            field="lessons",
            line=1,
        )
        return None
    raw_lessons = data["lessons"]
    if raw_lessons is None:
        raw_lessons = []
    if not isinstance(raw_lessons, list):
        ctx.add(
            Severity.ERROR,
            "invalid-value",
            "'lessons' must be a list",
            ("lessons",),
            field="lessons",
        )
        return None
    if len(raw_lessons) > MAX_LESSONS_PER_COURSE:
        ctx.add(
            Severity.ERROR,
            "too-large",
            f"{len(raw_lessons)} lessons; the limit is {MAX_LESSONS_PER_COURSE} per course",
            ("lessons",),
            field="lessons",
        )
        return None
    if not raw_lessons:
        ctx.add(
            Severity.WARNING,
            "empty-course",
            "the course has no lessons",
            ("lessons",),
            field="lessons",
        )
    valid: list[tuple[int, LessonSpec]] = []
    first_line: dict[str, int | None] = {}
    for index, raw in enumerate(raw_lessons):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        lesson_id = raw_id if isinstance(raw_id, str) and SLUG_RE.match(raw_id) else None
        if lesson_id is not None:
            if lesson_id in first_line:
                ctx.add(
                    Severity.ERROR,
                    "duplicate-id",
                    f"lesson id {lesson_id!r} is already used on line "
                    f"{ctx.line(('lessons', first_line[lesson_id]))}",
                    ("lessons", index, "id"),
                    lesson=lesson_id,
                    field="id",
                )
                continue
            first_line[lesson_id] = index
            checked.raw_lesson_ids.append(lesson_id)
        if not isinstance(raw, dict):
            ctx.add(
                Severity.ERROR, "invalid-value", "a lesson must be a mapping", ("lessons", index)
            )
            continue
        spec = _validate_model(LessonSpec, raw, ctx, ("lessons", index), lesson_id)
        if spec is not None:
            valid.append((index, spec))
    return valid


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class _Located:
    """A valid lesson and where it is written."""

    course: SourcedCourse
    ctx: _Context
    index: int
    spec: LessonSpec


def _iter_refs(spec: LessonSpec) -> Iterator[tuple[str, DocPath, Reference]]:
    """Yield ``(field, path inside the lesson, reference)`` for every reference."""
    for name in _REFERENCE_FIELDS:
        for j, ref in enumerate(getattr(spec, name)):
            yield name, (name, j), ref
    for g, group in enumerate(spec.requires_any):
        for j, ref in enumerate(group):
            yield "requires_any", ("requires_any", g, j), ref


def _suggest(reference: str, target: str, lessons: dict[str, _Located]) -> str:
    """Return a did-you-mean suffix for an unknown ``course/lesson`` target.

    The suggestion is written the way the reference was (bare or qualified).
    """
    course, bare = target.split("/", 1)
    if "/" in reference:
        matches = difflib.get_close_matches(target, list(lessons), n=1, cutoff=0.6)
        return f" (did you mean {matches[0]!r}?)" if matches else ""
    ids = [q.split("/", 1)[1] for q in lessons if q.startswith(f"{course}/")]
    folded = fold_text(bare)
    for qid, loc in lessons.items():
        if not qid.startswith(f"{course}/"):
            continue
        names = [loc.spec.title, *loc.spec.aliases]
        if folded and any(fold_text(n) == folded for n in names):
            return f" (did you mean {loc.spec.id!r}?)"
    return _did_you_mean(bare, ids)


def _check_references(lessons: dict[str, _Located], invalid: set[str], courses: set[str]) -> None:
    """Report dangling references, self-loops, duplicates and small requires_any groups."""
    for qid, loc in lessons.items():
        course_id = loc.course.course_id
        base: DocPath = ("lessons", loc.index)
        seen: set[tuple[str, str]] = set()
        for name, path, ref in _iter_refs(loc.spec):
            target = qualify(ref.id, course_id)
            add = loc.ctx.add
            if target == qid:
                add(
                    Severity.ERROR,
                    "self-loop",
                    f"lesson lists itself in {name!r}",
                    (*base, *path),
                    lesson=loc.spec.id,
                    field=name,
                )
            elif target not in lessons and target not in invalid:
                ref_course = target.split("/", 1)[0]
                if ref_course not in courses:
                    message = f"unknown course {ref_course!r} in {ref.id!r}" + _did_you_mean(
                        ref_course, courses
                    )
                else:
                    message = f"unknown lesson {ref.id!r}" + _suggest(ref.id, target, lessons)
                add(
                    Severity.ERROR,
                    "dangling-reference",
                    message,
                    (*base, *path),
                    lesson=loc.spec.id,
                    field=name,
                )
            elif (name, target) in seen and name != "requires_any":
                add(
                    Severity.WARNING,
                    "duplicate-reference",
                    f"{ref.id!r} is listed twice",
                    (*base, *path),
                    lesson=loc.spec.id,
                    field=name,
                )
            seen.add((name, target))
        for g, group in enumerate(loc.spec.requires_any):
            if len(group) == 0:
                add = loc.ctx.add
                add(
                    Severity.ERROR,
                    "small-group",
                    "an empty requires_any group can never be satisfied; remove it",
                    (*base, "requires_any", g),
                    lesson=loc.spec.id,
                    field="requires_any",
                )
            elif len({qualify(r.id, course_id) for r in group}) == 1:
                loc.ctx.add(
                    Severity.WARNING,
                    "small-group",
                    "a requires_any group with one member; use 'requires' instead",
                    (*base, "requires_any", g),
                    lesson=loc.spec.id,
                    field="requires_any",
                )


def _check_names(lessons: dict[str, _Located]) -> None:
    """Report title collisions (error in a course, warning across) and alias collisions."""
    titles: dict[str, str] = {}
    course_titles: dict[tuple[str, str], str] = {}
    ids: dict[tuple[str, str], str] = {}
    for qid, loc in lessons.items():
        course = loc.course.course_id
        key = fold_text(loc.spec.title)
        ids.setdefault((course, fold_text(loc.spec.id)), qid)
        if not key:
            continue
        other = course_titles.get((course, key))
        if other is not None:
            loc.ctx.add(
                Severity.ERROR,
                "title-collision",
                f"title {loc.spec.title!r} is the same as lesson {other.split('/', 1)[1]!r}'s "
                f"(compared ignoring case, accents and punctuation)",
                ("lessons", loc.index, "title"),
                lesson=loc.spec.id,
                field="title",
            )
        elif key in titles:
            loc.ctx.add(
                Severity.WARNING,
                "title-collision",
                f"title {loc.spec.title!r} is also the title of {titles[key]!r}",
                ("lessons", loc.index, "title"),
                lesson=loc.spec.id,
                field="title",
            )
        course_titles.setdefault((course, key), qid)
        titles.setdefault(key, qid)
    aliases: dict[tuple[str, str], str] = {}
    for qid, loc in lessons.items():
        course = loc.course.course_id
        for k, alias in enumerate(loc.spec.aliases):
            key = (course, fold_text(alias))
            if not key[1]:
                continue
            for owner, what in (
                (course_titles, "the title"),
                (ids, "the id"),
                (aliases, "an alias"),
            ):
                other = owner.get(key)
                if other is not None and other != qid:
                    loc.ctx.add(
                        Severity.WARNING,
                        "alias-collision",
                        f"alias {alias!r} is also {what} of lesson {other.split('/', 1)[1]!r}",
                        ("lessons", loc.index, "aliases", k),
                        lesson=loc.spec.id,
                        field="aliases",
                    )
                    break
            aliases.setdefault(key, qid)


# --------------------------------------------------------------------------- graph checks


def _subgraph(graph: nx.DiGraph, kinds: frozenset[EdgeKind]) -> nx.DiGraph:
    """Return a copy of ``graph``'s edges that have one of ``kinds`` (edge data kept).

    A plain graph, not an ``edge_subgraph`` view: the cycle search walks it many times and
    views filter every step (4x slower at 10,000 lessons).
    """
    import networkx as nx

    names = {k.value for k in kinds}
    kept = nx.DiGraph()
    kept.add_edges_from(
        (u, v, {"kinds": d}) for u, v, d in graph.edges(data="kinds") if names & d.keys()
    )
    return kept


def _show(qid: str, course: str) -> str:
    """Show ``qid`` bare when it belongs to ``course``."""
    return qid.split("/", 1)[1] if qid.startswith(f"{course}/") else qid


def _report_cycle(
    graph: nx.DiGraph,
    cycle: list[str],
    lessons: dict[str, _Located],
    severity: Severity,
    code: str,
) -> None:
    """Report a cycle given in "requires" order (each node lists the next as prerequisite)."""
    rotate = min(range(len(cycle)), key=lambda i: graph.nodes[cycle[i]]["order"])
    cycle = cycle[rotate:] + cycle[:rotate]
    first, second = cycle[0], cycle[1 % len(cycle)]
    loc = lessons[first]
    course = loc.course.course_id
    kinds = graph.edges[second, first]["kinds"]
    field_name = next(
        (
            k.value
            for k in (EdgeKind.REQUIRES, EdgeKind.REQUIRES_ANY, EdgeKind.RECOMMENDS)
            if k.value in kinds
        ),
        None,
    )
    text = " -> ".join(_show(q, course) for q in [*cycle, cycle[0]])
    what = "prerequisite cycle" if severity is Severity.ERROR else "cycle through 'recommends'"
    loc.ctx.add(
        severity,
        code,
        f"{what}: {text} (each lesson lists the next one)",
        ("lessons", loc.index, field_name or "id"),
        lesson=loc.spec.id,
        field=field_name,
    )


def _check_cycles(graph: nx.DiGraph, lessons: dict[str, _Located]) -> set[str]:
    """Report hard (error) and soft (warning) prerequisite cycles; return hard members."""
    import networkx as nx

    hard = _subgraph(graph, HARD_KINDS)
    in_hard_cycle: set[str] = set()
    for component in sorted(nx.strongly_connected_components(hard), key=min):
        if len(component) < 2:
            continue
        in_hard_cycle |= component
        edges = nx.find_cycle(hard.subgraph(component))
        cycle = [u for u, _ in edges][::-1]  # prerequisite edges reversed: "requires" order
        _report_cycle(graph, cycle, lessons, Severity.ERROR, "cycle")
    soft = _subgraph(graph, PREREQUISITE_KINDS)
    for component in sorted(nx.strongly_connected_components(soft), key=min):
        if len(component) < 2:
            continue
        sub = soft.subgraph(component)
        rec = next(
            (
                (u, v)
                for u, v, d in sorted(sub.edges(data="kinds"))
                if EdgeKind.RECOMMENDS.value in d
            ),
            None,
        )
        if rec is None:
            continue
        u, v = rec
        path = nx.shortest_path(sub, v, u)  # v ... u, then u -> v closes the cycle
        _report_cycle(graph, path[::-1], lessons, Severity.WARNING, "soft-cycle")
    return in_hard_cycle


def _satisfiable(graph: nx.DiGraph) -> set[str]:
    """Return the lessons whose hard prerequisites can all be completed (worklist)."""
    need: dict[str, int] = {}
    group_open: dict[str, list[bool]] = {}
    req_dependents: dict[str, list[str]] = {n: [] for n in graph}
    group_members: dict[str, list[tuple[str, int]]] = {n: [] for n in graph}
    for node, groups in graph.nodes(data="requires_any"):
        preds = [
            u
            for u in graph.predecessors(node)
            if EdgeKind.REQUIRES.value in graph.edges[u, node]["kinds"]
        ]
        for u in preds:
            req_dependents[u].append(node)
        for g, group in enumerate(groups):
            for member in group:
                group_members[member].append((node, g))
        group_open[node] = [True] * len(groups)
        need[node] = len(preds) + len(groups)
    done = {n for n, k in need.items() if k == 0}
    queue = deque(sorted(done, key=lambda n: graph.nodes[n]["order"]))
    while queue:
        u = queue.popleft()
        unlocked = list(req_dependents[u])
        for v, g in group_members[u]:
            if group_open[v][g]:
                group_open[v][g] = False
                unlocked.append(v)
        for v in unlocked:
            need[v] -= 1
            if need[v] == 0 and v not in done:
                done.add(v)
                queue.append(v)
    return done


def _check_reachability(
    graph: nx.DiGraph, lessons: dict[str, _Located], in_hard_cycle: set[str], *, complete: bool
) -> None:
    """Report unsatisfiable (error), unreachable (warning) and isolated (warning) lessons.

    ``complete`` is False when some lesson or link was dropped because of an error; the
    two warnings would then be unreliable and are skipped.
    """
    ok = _satisfiable(graph)
    for node in graph:
        if node in ok or node in in_hard_cycle:
            continue
        loc = lessons[node]
        course = loc.course.course_id
        blocked = [
            u
            for u in graph.predecessors(node)
            if u not in ok and EdgeKind.REQUIRES.value in graph.edges[u, node]["kinds"]
        ]
        if blocked:
            field_name = "requires"
            why = f"prerequisite {_show(blocked[0], course)!r} can never be completed"
        else:
            field_name = "requires_any"
            group = next(g for g in graph.nodes[node]["requires_any"] if not set(g) & ok)
            why = (
                "no lesson of the requires_any group "
                f"[{', '.join(_show(q, course) for q in group)}] can ever be completed"
            )
        loc.ctx.add(
            Severity.ERROR,
            "unsatisfiable",
            f"lesson can never be started: {why}",
            ("lessons", loc.index, field_name),
            lesson=loc.spec.id,
            field=field_name,
        )
    if not complete:
        return
    leading = {k.value for k in (*PREREQUISITE_KINDS, EdgeKind.NEXT)}
    starts = [
        n
        for n in graph
        if not any(leading & graph.edges[u, n]["kinds"].keys() for u in graph.predecessors(n))
    ]
    reached: set[str] = set(starts)
    queue = deque(starts)
    while queue:
        for v in graph.successors(queue.popleft()):
            if v not in reached:
                reached.add(v)
                queue.append(v)
    per_course: dict[str, int] = {}
    for node in graph:
        per_course[graph.nodes[node]["course"]] = per_course.get(graph.nodes[node]["course"], 0) + 1
    for node in graph:
        loc = lessons[node]
        if node in ok and node not in reached:
            loc.ctx.add(
                Severity.WARNING,
                "unreachable",
                "no start lesson leads here (a start lesson has no prerequisites and is "
                "nobody's 'next'); it sits on a loop of 'next'/'recommends' links",
                ("lessons", loc.index),
                lesson=loc.spec.id,
            )
        elif graph.degree(node) == 0 and per_course[graph.nodes[node]["course"]] > 1:
            loc.ctx.add(
                Severity.WARNING,
                "isolated",
                "lesson has no links to or from any other lesson",
                ("lessons", loc.index),
                lesson=loc.spec.id,
            )


# --------------------------------------------------------------------------- entry points


def validate_documents(documents: Sequence[RawDocument]) -> ValidationReport:
    """Validate course documents together (cross-course references resolve among them).

    Parameters
    ----------
    documents : sequence of RawDocument
        The course files; they are processed in order of ``name``.

    Returns
    -------
    ValidationReport
        With ``graph`` set when there is no error.

    Example
    -------
    >>> doc = RawDocument.from_text("c.json", '{"course": {"id": "c", "title": "C"},'
    ...                             ' "lessons": [{"id": "a", "title": "A"}]}')
    >>> report = validate_documents([doc])
    >>> report.ok, sorted(report.graph.nodes)
    (True, ['c/a'])
    """
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
    checked = [_check_file(doc, issues) for doc in ordered]
    courses: dict[str, _CheckedFile] = {}
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
    lessons: dict[str, _Located] = {}
    for item in checked:
        if item.sourced is None:
            continue
        for index, spec in item.sourced.iter_lessons():
            lessons[qualify(spec.id, item.sourced.course_id)] = _Located(
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
    _check_references(lessons, invalid, set(courses))
    _check_names(lessons)
    graph = build_graph([c.sourced for c in checked if c.sourced is not None], strict=False)
    in_hard_cycle = _check_cycles(graph, lessons)
    complete = not any(i.severity is Severity.ERROR and i.code not in _GRAPH_CODES for i in issues)
    _check_reachability(graph, lessons, in_hard_cycle, complete=complete)
    position = {name: i for i, name in enumerate(report.files)}
    issues.sort(key=lambda i: (position.get(i.file, -1), i.line or 0))
    report.graph = graph if report.ok else None
    return report


def list_course_files(path: str | os.PathLike[str]) -> list[Path]:
    """Return the course files at ``path``: the file itself, or a directory's course files.

    Directories are scanned non-recursively; hidden files and editor backups are skipped.
    Files come back sorted by name.

    Raises
    ------
    GraphSourceError
        When ``path`` does not exist or cannot be listed.

    Example
    -------
    >>> list_course_files("/nonexistent")
    Traceback (most recent call last):
    ...
    knowledge_graph.errors.GraphSourceError: /nonexistent: no such file or directory
    """
    where = Path(path)
    try:
        if where.is_dir():
            return sorted(
                (p for p in where.iterdir() if p.is_file() and is_course_file_name(p.name)),
                key=lambda p: p.name,
            )
        if where.is_file():
            return [where]
    except OSError as exc:
        raise GraphSourceError(f"{where}: cannot list: {exc.strerror or exc}") from exc
    raise GraphSourceError(f"{where}: no such file or directory")


def read_local_documents(path: str | os.PathLike[str]) -> list[RawDocument]:
    """Read every course file at ``path`` (see :func:`list_course_files`).

    Files larger than the size limit are not read; their ``size`` reports the real size.

    Raises
    ------
    GraphSourceError
        When the path is missing or a file cannot be read.
    """
    documents = []
    for file in list_course_files(path):
        try:
            with file.open("rb") as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise GraphSourceError(f"{file}: cannot read: {exc.strerror or exc}") from exc
        size = len(content)
        documents.append(RawDocument(str(file), b"" if size > MAX_FILE_BYTES else content, size))
    return documents


def validate_path(path: str | os.PathLike[str]) -> ValidationReport:
    """Validate a course file or a directory of course files.

    Parameters
    ----------
    path : str or path-like
        A ``.yaml``/``.yml``/``.json`` file, or a directory holding such files.

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
    >>> validate_path("data/lessons").ok  # doctest: +SKIP
    True
    """
    return validate_documents(read_local_documents(path))
