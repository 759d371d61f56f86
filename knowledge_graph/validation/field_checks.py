"""Field checks: one course file's content against the schema of the authoring format.

:func:`check_file` parses a document (:mod:`~knowledge_graph.validation.documents`) and
validates its header and each lesson on its own against the pydantic models of
:mod:`knowledge_graph.file_format`, translating pydantic's errors into issues with stable
codes (``unknown-field``, ``missing-field``, ``invalid-value``, ...). A lesson with errors is
left out; the others go on to the whole-graph checks.

Example
-------
>>> from knowledge_graph.sources import RawDocument
>>> issues = []
>>> text = "course: {id: c, title: C}\\nlessons:\\n  - {id: a, title: A, minuts: 5}\\n"
>>> checked = check_file(RawDocument.from_text("c.yaml", text), issues)
>>> print(issues[0])
c.yaml:3: error [c/a] minuts: unknown field 'minuts' (did you mean 'minutes'?)
>>> [spec.id for _, spec in checked.sourced.iter_lessons()]
[]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from knowledge_graph.builder import DocPath, SourcedCourse
from knowledge_graph.course_schema import (
    TOP_LEVEL_FIELDS,
    TRANSLATION_FIELDS,
    WEIGHT_FIELDS,
    CourseFile,
    CourseHeader,
    CourseWeights,
    LessonSpec,
    Reference,
)
from knowledge_graph.file_format import MAX_LESSONS_PER_COURSE, SLUG_RE
from knowledge_graph.validation.documents import parse_document
from knowledge_graph.validation.issues import (
    FileContext,
    Severity,
    ValidationIssue,
    did_you_mean,
    excerpt,
)

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.sources import RawDocument

_PATTERN_HINTS = {
    "id": "must be a slug: 1-64 characters of a-z, 0-9, '-' and '_', starting with a-z or 0-9",
    "ref": "must be 'lesson' or 'course/lesson' where both parts are slugs (a-z, 0-9, '-', '_')",
    "url": "must be an http:// or https:// address without spaces",
}
_RANGE_ERRORS = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"}
)


def _dotted(loc: Sequence[str | int]) -> str:
    """Render a pydantic location as ``requires[1].weight``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _known_fields(loc: Sequence[str | int], level_fields: Sequence[str]) -> Sequence[str]:
    """Return the valid field names at the level of the last element of ``loc``."""
    parents = [p for p in loc[:-1] if isinstance(p, str)]
    if not parents:
        return level_fields
    if parents[-1] == "weights":
        return WEIGHT_FIELDS
    if len(parents) >= 2 and parents[-2] == "translations":
        return TRANSLATION_FIELDS
    return tuple(Reference.model_fields)


#: Pydantic error types of a value that is not text where text is expected.
_TEXT_ERRORS = frozenset({"string_type"})
#: ... not a whole number / not a number where one is expected.
_INTEGER_ERRORS = frozenset({"int_type", "int_parsing", "int_from_float"})
_NUMBER_ERRORS = frozenset({"float_type", "float_parsing"})
#: ... a mapping expected (a reference written as a mapping, the course block, weights).
_MAPPING_ERRORS = frozenset({"dict_type", "model_type", "model_attributes_type"})
#: The lesson fields holding references.
_REFERENCE_LISTS = frozenset({"requires", "recommends", "related", "next"})
_RANGE_WORDS = {
    "greater_than": "greater than {gt}",
    "greater_than_equal": "at least {ge}",
    "less_than": "less than {lt}",
    "less_than_equal": "at most {le}",
}


def _what_it_is(value: Any, source: str | None) -> str:
    """Describe a value an author wrote, as YAML read it (``the number 2024``).

    Example
    -------
    >>> _what_it_is(True, "Yes"), _what_it_is(2024, None), _what_it_is(None, "~")
    ('Yes, which YAML reads as the boolean true', 'the number 2024', 'an empty value')
    """
    written = source if source is not None else str(value)
    if isinstance(value, bool):
        return f"{written}, which YAML reads as the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {written}"
    if value is None:
        return "an empty value"
    if isinstance(value, str):
        return f"the text {excerpt(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping (key: value)"
    return excerpt(value)


def _quoted(text: str) -> str:
    """``text`` as a YAML double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reference_text(value: Any) -> str | None:
    """The id a raw reference names (bare text or ``{id: ...}``), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _schema_issues(
    exc: ValidationError,
    ctx: FileContext,
    prefix: DocPath,
    level_fields: Sequence[str],
    lesson: str | None,
    raw: Any = None,
) -> None:
    """Translate pydantic errors into issues with stable codes, plain words and a fix.

    Messages never name internal classes; values are quoted as the author wrote them (from
    the YAML source) and cut to an :func:`~knowledge_graph.validation.issues.excerpt`.
    """
    grouped_fields: set[str] = set()
    for err in exc.errors(include_url=False):
        loc: tuple[str | int, ...] = tuple(err["loc"])
        kind = err["type"]
        field_name = str(loc[0]) if loc else None
        where = _dotted(loc)
        value = err.get("input")
        source = ctx.scalars.get((*prefix, *loc))
        key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")
        in_list = bool(loc) and isinstance(loc[-1], int)
        hint: str | None = None
        if field_name == "requires_any" and kind == "list_type" and len(loc) == 2:
            if field_name in grouped_fields:
                continue  # one issue for the whole field
            grouped_fields.add(field_name)
            items = raw.get("requires_any") if isinstance(raw, dict) else None
            names = [_reference_text(v) for v in items] if isinstance(items, list) else []
            group = ", ".join(n for n in names if n) or "a, b"
            code = "invalid-value"
            message = (
                "requires_any holds groups of lessons, each group a list of which one lesson "
                "must be completed; a plain list of lessons is not a group"
            )
            hint = (
                f"write requires_any: [[{group}]] for 'one of {group}' "
                "(or requires: [...] if every one is needed)"
            )
            where = ""
        elif kind == "extra_forbidden":
            name = str(loc[-1])
            code = "unknown-field"
            message = f"unknown field {where!r}" + did_you_mean(
                name, _known_fields(loc, level_fields)
            )
        elif kind == "missing":
            code, message = "missing-field", f"required field {where!r} is missing"
            hint = f"add '{key}: ...'"
        elif loc and loc[-1] == "title" and kind == "string_too_short":
            code, message = "empty-title", "title must not be empty"
        elif kind in _RANGE_ERRORS and any(p in ("weight", "weights") for p in loc):
            code = "weight-range"
            bound = _RANGE_WORDS.get(kind, "a finite number").format(**err.get("ctx", {}))
            message = f"{where} must be {bound}, got {source or excerpt(value)}"
        elif kind in _RANGE_WORDS:
            code = "invalid-value"
            bound = _RANGE_WORDS[kind].format(**err.get("ctx", {}))
            message = f"must be {bound}, got {source or excerpt(value)}"
        elif kind == "string_pattern_mismatch":
            code = "invalid-value"
            hint_key = "ref" if len(loc) > 1 and loc[-1] == "id" else str(loc[-1]) if loc else ""
            if field_name in _REFERENCE_LISTS | {"requires_any"} and in_list:
                hint_key = "ref"
            what = _PATTERN_HINTS.get(hint_key, "has an invalid format")
            message = f"{what}, got {excerpt(value)}"
        elif kind == "string_too_long":
            code = "invalid-value"
            limit = err.get("ctx", {}).get("max_length")
            size = len(value) if isinstance(value, str) else "?"
            message = f"is {size:,} characters long; the limit is {limit:,}"
            hint = f"shorten it to at most {limit:,} characters (limits: FORMAT.md)"
        elif kind == "too_long":
            code = "invalid-value"
            limit = err.get("ctx", {}).get("max_length")
            size = len(value) if isinstance(value, list) else "?"
            message = f"has {size:,} items; the limit is {limit:,}"
            hint = f"keep at most {limit:,} (limits: FORMAT.md)"
        elif kind in _MAPPING_ERRORS and field_name in _REFERENCE_LISTS | {"requires_any"}:
            code = "invalid-value"
            message = (
                "a reference is a lesson id ('loops' or 'course/loops') or "
                f"{{id: loops, weight: 0.5}}, but this is {_what_it_is(value, source)}"
            )
            if isinstance(value, int | float) and not isinstance(value, bool):
                hint = f"quote the id: {_quoted(source or str(value))}"
            elif isinstance(value, list):
                hint = "'one of' groups go in requires_any: [[a, b]]"
        elif kind in _MAPPING_ERRORS:
            code = "invalid-value"
            message = (
                f"must be a mapping (indented 'key: value' lines), not {_what_it_is(value, source)}"
            )
        elif kind in _TEXT_ERRORS:
            code = "invalid-value"
            message = f"must be text, but this is {_what_it_is(value, source)}"
            if isinstance(value, bool | int | float) or value is None:  # a scalar: quote it
                written = _quoted(source if source is not None else str(value))
                hint = f"quote it: {written}" if in_list else f"quote it: {key}: {written}"
            else:  # a text starting with [ or { is read as a list or mapping
                hint = f"quote a text that starts with '[' or '{{': {key}: \"[...] ...\""
        elif kind in _INTEGER_ERRORS | _NUMBER_ERRORS:
            code = "invalid-value"
            noun = "a whole number" if kind in _INTEGER_ERRORS else "a number"
            message = f"must be {noun}, but this is {_what_it_is(value, source)}"
            if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
                hint = f"remove the quotes: {key}: {value.strip()}"
        elif kind == "list_type":
            code = "invalid-value"
            message = f"must be a list, but this is {_what_it_is(value, source)}"
            if isinstance(value, str):
                hint = f"write {key}: [{value}]"
        elif kind == "literal_error":
            code = "invalid-value"
            expected = str(err.get("ctx", {}).get("expected", ""))
            choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
            message = f"{excerpt(value)} is not one of {expected}" + did_you_mean(
                str(value), [c for c in choices if c]
            )
        else:
            code = "invalid-value"
            words = str(err["msg"]).replace("Input should be", "must be")
            message = f"{words}, got {_what_it_is(value, source)}"
        if len(loc) > 1 and where:
            message = f"{where}: {message}"
        ctx.add(
            Severity.ERROR,
            code,
            message,
            (*prefix, *loc),
            lesson=lesson,
            field=field_name,
            hint=hint,
        )


def _validate_model(
    model: type[BaseModel],
    raw: Any,
    ctx: FileContext,
    prefix: DocPath,
    lesson: str | None = None,
) -> Any:
    """Validate ``raw`` against ``model``; report errors and return the model or None."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = tuple(model.model_fields)
        _schema_issues(exc, ctx, prefix, fields, lesson, raw)
        return None


@dataclass
class CheckedFile:
    """A parsed and schema-checked file: the valid part plus bookkeeping.

    ``sourced`` holds the header and the lessons that passed the schema (None when the
    header or the ``lessons`` list is unusable); ``raw_course_id`` and ``raw_lesson_ids``
    are the ids as written, so that references to an invalid lesson are not reported as
    dangling too.
    """

    ctx: FileContext
    sourced: SourcedCourse | None = None
    raw_course_id: str | None = None
    raw_lesson_ids: list[str] = field(default_factory=list)
    guessed_course_ids: tuple[str, ...] = ()


def check_file(doc: RawDocument, issues: list[ValidationIssue]) -> CheckedFile:
    """Parse one document and check it against the schema, lesson by lesson."""
    ctx = FileContext(doc.name, {}, issues)
    checked = CheckedFile(ctx)
    data = parse_document(doc, ctx)
    if data is None and not any(i.file == doc.name for i in issues):
        ctx.add(Severity.ERROR, "parse-error", "file holds no document", line=1)
    if data is None:
        checked.guessed_course_ids = guess_course_ids(doc)
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
                f"unknown top-level field {key!r}" + did_you_mean(str(key), TOP_LEVEL_FIELDS),
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
    data: dict[str, Any], ctx: FileContext, checked: CheckedFile
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


_COURSE_ID_PATTERNS = (
    # course:\n  title: ...\n  id: x  (block style; id among the first lines of the block)
    re.compile(r"^course:[ \t]*\n(?:[ \t]+.*\n){0,20}?[ \t]+id:[ \t]*[\"']?([a-z0-9][\w-]*)", re.M),
    # course: {id: x, ...}
    re.compile(r"^course:[ \t]*\{[^}\n]*?\bid:[ \t]*[\"']?([a-z0-9][a-z0-9_-]*)", re.M),
    # "course": {"id": "x", ...}
    re.compile(r'"course"\s*:\s*\{[^{}]*?"id"\s*:\s*"([a-z0-9][a-z0-9_-]*)"'),
)


def guess_course_ids(doc: RawDocument) -> tuple[str, ...]:
    r"""The course ids a file that failed to parse was probably meant to have.

    The ``course: id:`` found by a text search of the file (if any), and the file name
    without its suffix (if it is a slug): references to either are then reported as
    "depends on broken file" rather than as unknown courses.

    Example
    -------
    >>> from knowledge_graph.sources import RawDocument
    >>> guess_course_ids(RawDocument.from_text("d/py.yaml", "course:\n  id: python-intro\n\t-"))
    ('python-intro', 'py')
    """
    text = doc.content[:200_000].decode("utf-8", errors="replace")
    found = [m.group(1) for pattern in _COURSE_ID_PATTERNS if (m := pattern.search(text))]
    stem = doc.name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if SLUG_RE.match(stem):
        found.append(stem)
    return tuple(dict.fromkeys(i for i in found if SLUG_RE.match(i)))


@dataclass(frozen=True)
class LocatedLesson:
    """A lesson that passed the schema checks, and where it is written."""

    course: SourcedCourse
    ctx: FileContext
    index: int
    spec: LessonSpec
