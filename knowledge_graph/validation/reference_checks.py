"""Reference and name checks: the links and titles of all lessons, across all files.

Run on the lessons that passed the field checks, before the graph is built:

* :func:`check_references`: every reference names a lesson (``dangling-reference``, with a
  suggestion), no lesson lists itself (``self-loop``) or a lesson twice in one field
  (``duplicate-reference``), and ``requires_any`` groups have two members or more
  (``small-group``);
* :func:`check_names`: titles have a letter or digit (``empty-title``), differ within a
  course, and aliases do not shadow other lessons' titles (an error: the title could no
  longer be found), ids or aliases (warnings) (``title-collision``, ``alias-collision``),
  compared with :func:`knowledge_graph.text.fold_text`.
* references into a course whose file is broken are reported once per pair of files
  (``broken-dependency``), not as unknown lessons.

Example
-------
>>> from knowledge_graph.sources import RawDocument
>>> from knowledge_graph.validation.field_checks import check_file
>>> issues = []
>>> text = "course: {id: c, title: C}\\nlessons:\\n  - {id: a, title: A, next: [a]}\\n"
>>> checked = check_file(RawDocument.from_text("c.yaml", text), issues)
>>> lessons = {
...     f"c/{spec.id}": LocatedLesson(checked.sourced, checked.ctx, i, spec)
...     for i, spec in checked.sourced.iter_lessons()
... }
>>> check_references(lessons, invalid=set(), courses={"c"})
>>> print(issues[0])
c.yaml:3: error [c/a] next: lesson lists itself in 'next'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Final

from knowledge_graph.builder import DocPath
from knowledge_graph.course_schema import LessonSpec, Reference
from knowledge_graph.file_format import EDGE_KINDS, EdgeKind, qualify
from knowledge_graph.text import fold_text
from knowledge_graph.validation.field_checks import LocatedLesson
from knowledge_graph.validation.issues import Severity, did_you_mean, excerpt

#: The lesson fields that hold a flat list of references (``requires_any`` holds groups).
_REFERENCE_FIELDS: Final[tuple[str, ...]] = tuple(
    kind.value for kind in EDGE_KINDS if kind is not EdgeKind.REQUIRES_ANY
)


def _iter_refs(spec: LessonSpec) -> Iterator[tuple[str, DocPath, Reference]]:
    """Yield ``(field, path inside the lesson, reference)`` for every reference."""
    for name in _REFERENCE_FIELDS:
        for j, ref in enumerate(getattr(spec, name)):
            yield name, (name, j), ref
    for g, group in enumerate(spec.requires_any):
        for j, ref in enumerate(group):
            yield "requires_any", ("requires_any", g, j), ref


def _suggest(reference: str, target: str, lessons: dict[str, LocatedLesson]) -> str:
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
    return did_you_mean(bare, ids)


def check_references(
    lessons: dict[str, LocatedLesson],
    invalid: set[str],
    courses: set[str],
    broken: Mapping[str, str] | None = None,
) -> None:
    """Report dangling references, self-loops, duplicates and small requires_any groups.

    ``broken`` maps the id of a course whose file has errors (or could not be parsed at
    all) to that file. A reference to an unknown lesson of such a course is not reported as
    dangling (the lesson may well be in the part of the file that could not be read): the
    references of one file into one broken file become a single ``broken-dependency`` error.
    """
    broken = broken or {}
    pending: dict[tuple[str, str], list[tuple[LocatedLesson, DocPath, str]]] = {}
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
                if ref_course in broken and broken[ref_course] != loc.ctx.file:
                    key = (loc.ctx.file, broken[ref_course])
                    pending.setdefault(key, []).append((loc, (*base, *path), ref.id))
                    continue
                if ref_course not in courses:
                    message = f"unknown course {ref_course!r} in {ref.id!r}" + did_you_mean(
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
    for (_, broken_file), references in pending.items():
        loc, path, _ = references[0]
        n = len(references)
        targets = list(dict.fromkeys(r for _, _, r in references))  # each lesson named once
        k = len(targets)
        shown = ", ".join(repr(r) for r in targets[:3]) + (", ..." if k > 3 else "")
        loc.ctx.add(
            Severity.ERROR,
            "broken-dependency",
            f"depends on broken file {broken_file}: {n} reference{'s' * (n != 1)} into it, "
            f"to {k} lesson{'s' * (k != 1)} ({shown}), cannot be checked until it is fixed",
            path,
            lesson=loc.spec.id,
            field=str(path[2]),
            hint=f"fix the errors reported for {broken_file} first",
        )


def check_names(lessons: dict[str, LocatedLesson]) -> None:
    """Report title collisions (error in a course, warning across) and alias collisions."""
    titles: dict[str, str] = {}
    course_titles: dict[tuple[str, str], str] = {}
    ids: dict[tuple[str, str], str] = {}
    for qid, loc in lessons.items():
        course = loc.course.course_id
        key = fold_text(loc.spec.title)
        ids.setdefault((course, fold_text(loc.spec.id)), qid)
        if not key:
            loc.ctx.add(
                Severity.ERROR,
                "empty-title",
                f"title {excerpt(loc.spec.title)} has no letter or digit: learners could not "
                "type it, and the bot could not find the lesson by its name",
                ("lessons", loc.index, "title"),
                lesson=loc.spec.id,
                field="title",
                hint="add words to the title (emoji may stay beside them)",
            )
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
            for owner, what, severity in (
                (course_titles, "the title", Severity.ERROR),
                (ids, "the id", Severity.WARNING),
                (aliases, "an alias", Severity.WARNING),
            ):
                other = owner.get(key)
                if other is not None and other != qid:
                    other_key = other.split("/", 1)[1]
                    message = f"alias {alias!r} is also {what} of lesson {other_key!r}"
                    if severity is Severity.ERROR:
                        message += (
                            f": a learner typing that title could not tell {other_key!r} "
                            f"from {loc.spec.id!r}"
                        )
                    loc.ctx.add(
                        severity,
                        "alias-collision",
                        message,
                        ("lessons", loc.index, "aliases", k),
                        lesson=loc.spec.id,
                        field="aliases",
                        hint=f"remove the alias {alias!r} or change it",
                    )
                    break
            aliases.setdefault(key, qid)
