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

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from knowledge_graph.builder import DocPath, SourcedCourse
from knowledge_graph.file_format import (
    MAX_LESSONS_PER_COURSE,
    SLUG_RE,
    TOP_LEVEL_FIELDS,
    WEIGHT_FIELDS,
    CourseFile,
    CourseHeader,
    CourseWeights,
    LessonSpec,
    Reference,
)
from knowledge_graph.validation.documents import parse_document
from knowledge_graph.validation.issues import (
    FileContext,
    Severity,
    ValidationIssue,
    did_you_mean,
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
    return tuple(Reference.model_fields)


def _schema_issues(
    exc: ValidationError,
    ctx: FileContext,
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
            message = f"unknown field {where!r}" + did_you_mean(
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
    ctx: FileContext,
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


def check_file(doc: RawDocument, issues: list[ValidationIssue]) -> CheckedFile:
    """Parse one document and check it against the schema, lesson by lesson."""
    ctx = FileContext(doc.name, {}, issues)
    checked = CheckedFile(ctx)
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


@dataclass(frozen=True)
class LocatedLesson:
    """A lesson that passed the schema checks, and where it is written."""

    course: SourcedCourse
    ctx: FileContext
    index: int
    spec: LessonSpec
