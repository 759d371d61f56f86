"""Turn validated course files into the networkx graph consumed by ``LessonGraph``.

Graph schema (contract with :mod:`knowledge_graph.model`):

* node key: qualified id ``"course/lesson"``; attributes ``key`` (bare id), ``course``,
  ``title``, ``summary``, ``module``, ``difficulty``, ``minutes``, ``aliases`` (tuple),
  ``tags`` (tuple), ``url`` (str or None), ``requires_any`` (tuple of tuples of qualified
  ids), ``order`` (global load order), ``source`` (file), ``line`` (int or None),
  ``translations`` (locale -> ``{"title", "summary", "module", "aliases"}``, see
  :func:`~knowledge_graph.course_schema.node_translations`).
* edge ``u -> v`` with ``kinds`` (dict kind -> weight) and ``weight`` (max of kinds).
  ``requires``/``requires_any``/``recommends``: u is the prerequisite, v the lesson that
  lists it. ``next``: u lists v. ``related``: both directions.
* ``G.graph["courses"]``: course id -> ``{"id", "title", "description", "weights", "source",
  "locale", "locales", "translations"}`` (``translations``: locale -> ``{"title",
  "description"}``, None where not translated).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from knowledge_graph.course_schema import (
    CourseFile,
    LessonSpec,
    module_translations,
    node_translations,
)
from knowledge_graph.file_format import DEFAULT_EDGE_WEIGHTS, EdgeKind, qualify

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

#: A path inside a parsed document, e.g. ``("lessons", 3, "requires", 0)``.
DocPath = tuple[str | int, ...]


@dataclass(frozen=True)
class SourcedCourse:
    """A validated course file together with where it came from.

    Parameters
    ----------
    document : CourseFile
        The validated content.
    source : str
        File path or ``s3://`` URL, used in node attributes and messages.
    lines : mapping of document path to 1-based line, optional
        Line numbers of the parsed document (empty for JSON without marks).
    lessons : tuple of LessonSpec, optional
        The lessons to include; defaults to ``document.lessons``. Validation passes only
        the lessons that validated individually.
    lesson_indices : tuple of int, optional
        Position of each entry of ``lessons`` in the file's ``lessons`` list (for lines).
    """

    document: CourseFile
    source: str = "<memory>"
    lines: Mapping[DocPath, int] = field(default_factory=dict)
    lessons: tuple[LessonSpec, ...] | None = None
    lesson_indices: tuple[int, ...] | None = None

    @property
    def course_id(self) -> str:
        """The course's id."""
        return self.document.course.id

    def iter_lessons(self) -> Iterable[tuple[int, LessonSpec]]:
        """Yield ``(index in file, lesson)`` for every included lesson."""
        lessons = self.document.lessons if self.lessons is None else self.lessons
        indices = self.lesson_indices or tuple(range(len(lessons)))
        return zip(indices, lessons, strict=True)

    def line_of(self, *path: str | int) -> int | None:
        """Return the line of the deepest known prefix of ``path`` (None when unknown)."""
        if getattr(self.lines, "deferred", False):
            return None  # a JSON file's line index is only built when an issue needs it
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class UnresolvedReferenceError(ValueError):
    """A reference names no lesson, or a lesson references itself (strict mode only)."""


def _add_edge(graph: nx.DiGraph, u: str, v: str, kind: EdgeKind, weight: float) -> None:
    """Add or merge one ``kind`` between ``u`` and ``v`` (keeping the larger weight)."""
    if graph.has_edge(u, v):
        kinds: dict[str, float] = graph.edges[u, v]["kinds"]
        kinds[kind.value] = max(weight, kinds.get(kind.value, 0.0))
        graph.edges[u, v]["weight"] = max(kinds.values())
    else:
        graph.add_edge(u, v, kinds={kind.value: weight}, weight=weight)


def _lesson_attributes(
    course: SourcedCourse,
    index: int,
    lesson: LessonSpec,
    order: int,
    modules: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, object]:
    """Return the node attributes of one lesson (``requires_any`` filled in later);
    ``modules``: the course's :func:`~knowledge_graph.course_schema.module_translations`."""
    return {
        "key": lesson.id,
        "course": course.course_id,
        "title": lesson.title,
        "summary": lesson.summary,
        "module": lesson.module,
        "difficulty": lesson.difficulty,
        "minutes": lesson.minutes,
        "aliases": tuple(lesson.aliases),
        "tags": tuple(lesson.tags),
        "url": lesson.url,
        "requires_any": (),
        "order": order,
        "source": course.source,
        "line": course.line_of("lessons", index),
        "translations": node_translations(lesson, modules or {}),
    }


#: One declared link: (lesson that lists it, kind, target, weight, requires_any group
#: number or -1), lessons as qualified ids. Several declarations can make one edge.
Declaration = tuple[str, str, str, float, int]


def build_graph(
    courses: Iterable[SourcedCourse | CourseFile],
    *,
    strict: bool = True,
    declarations: list[Declaration] | None = None,
) -> nx.DiGraph:
    """Build the lesson DiGraph from validated course files.

    Parameters
    ----------
    courses : iterable of SourcedCourse or CourseFile
        In load order (files sorted by name); lessons keep their file order.
    strict : bool, default True
        When True, a reference to an unknown lesson, a self-reference or a duplicate
        id raises :class:`UnresolvedReferenceError`. When False they are skipped
        (validation reports them separately).
    declarations : list, optional
        When given, every resolved link is appended as a :data:`Declaration`, in file
        order (what the compiled index keeps to re-derive edges when one file changes).

    Returns
    -------
    networkx.DiGraph
        See the module docstring for the schema.

    Example
    -------
    >>> doc = CourseFile.model_validate({"course": {"id": "c", "title": "C"}, "lessons": [
    ...     {"id": "a", "title": "A"}, {"id": "b", "title": "B", "requires": ["a"]}]})
    >>> G = build_graph([doc])
    >>> G.edges["c/a", "c/b"]["kinds"]
    {'requires': 1.0}
    """
    import networkx as nx

    graph = nx.DiGraph(courses={})
    sourced = [c if isinstance(c, SourcedCourse) else SourcedCourse(c) for c in courses]
    order = 0
    for course in sourced:
        header = course.document.course
        if header.id in graph.graph["courses"]:
            if strict:
                raise UnresolvedReferenceError(f"duplicate course id {header.id!r}")
            continue
        graph.graph["courses"][header.id] = {
            "id": header.id,
            "title": header.title,
            "description": header.description,
            "weights": header.weights.resolved(),
            "source": course.source,
            "locale": header.locale,
            "locales": tuple(header.locales),
            "translations": {k: v.model_dump() for k, v in header.translations.items()},
        }
        modules = module_translations(spec for _, spec in course.iter_lessons())
        for index, lesson in course.iter_lessons():
            node = qualify(lesson.id, header.id)
            if node in graph:
                if strict:
                    raise UnresolvedReferenceError(f"duplicate lesson id {node!r}")
                continue
            graph.add_node(node, **_lesson_attributes(course, index, lesson, order, modules))
            order += 1
    for course in sourced:
        _add_course_edges(graph, course, strict=strict, declarations=declarations)
    return graph


def _add_course_edges(
    graph: nx.DiGraph,
    course: SourcedCourse,
    *,
    strict: bool,
    declarations: list[Declaration] | None = None,
) -> None:
    """Add the edges and ``requires_any`` groups of every lesson of one course."""
    course_id = course.course_id
    if graph.graph["courses"].get(course_id, {}).get("source") != course.source:
        return  # a skipped duplicate course
    for _, lesson in course.iter_lessons():
        node = qualify(lesson.id, course_id)
        if graph.nodes[node].get("source") != course.source:
            continue  # a skipped duplicate lesson
        for kind, ref in lesson.references():
            target = qualify(ref.id, course_id)
            if target not in graph or target == node:
                if strict:
                    problem = "references itself" if target == node else f"unknown {target!r}"
                    raise UnresolvedReferenceError(f"{node}: {kind.value} {problem}")
                continue
            weight = DEFAULT_EDGE_WEIGHTS[kind] if ref.weight is None else float(ref.weight)
            if declarations is not None and kind is not EdgeKind.REQUIRES_ANY:
                declarations.append((node, kind.value, target, weight, -1))
            if kind is EdgeKind.NEXT:
                _add_edge(graph, node, target, kind, weight)
            elif kind is EdgeKind.RELATED:
                _add_edge(graph, node, target, kind, weight)
                _add_edge(graph, target, node, kind, weight)
            else:
                _add_edge(graph, target, node, kind, weight)
        groups = []
        for group in lesson.requires_any:
            members = tuple(
                dict.fromkeys(
                    q for q in (qualify(r.id, course_id) for r in group) if q in graph and q != node
                )
            )
            if members:
                if declarations is not None:
                    for ref in group:
                        target = qualify(ref.id, course_id)
                        if target in members:
                            weight = (
                                DEFAULT_EDGE_WEIGHTS[EdgeKind.REQUIRES_ANY]
                                if ref.weight is None
                                else float(ref.weight)
                            )
                            declarations.append(
                                (node, EdgeKind.REQUIRES_ANY.value, target, weight, len(groups))
                            )
                groups.append(members)
        graph.nodes[node]["requires_any"] = tuple(groups)
