"""Compare two lesson graphs: what an author's edit changed.

:func:`diff_graphs` is a pure function over two graphs (``LessonGraph`` or the builder's
``networkx.DiGraph``) returning a :class:`GraphDiff`: courses and lessons added, removed or
changed (with the changed fields), and links added, removed or re-weighted.

Links are compared per kind, in the graph's direction (prerequisite -> lesson for
``requires``/``requires_any``/``recommends``, lesson -> continuation for ``next``). A
``related`` link is stored both ways in the graph but reported once, with the two ids sorted.

Example
-------
>>> import networkx as nx
>>> old = nx.DiGraph(courses={})
>>> old.add_node("c/a", title="A")
>>> new = old.copy()
>>> new.add_node("c/b", title="B")
>>> new.add_edge("c/a", "c/b", kinds={"requires": 1.0})
>>> d = diff_graphs(old, new)
>>> d.lessons_added, [(e.source, e.target, e.kind) for e in d.edges_added]
(('c/b',), [('c/a', 'c/b', 'requires')])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from knowledge_graph.file_format import SYMMETRIC_KINDS

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from knowledge_graph.model import LessonGraph

__all__ = [
    "COURSE_FIELDS",
    "LESSON_FIELDS",
    "CourseChange",
    "EdgeChange",
    "FieldChange",
    "GraphDiff",
    "LessonChange",
    "diff_graphs",
]

#: Lesson attributes compared by :func:`diff_graphs` (load order, file and line are not).
LESSON_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "module",
    "difficulty",
    "minutes",
    "aliases",
    "tags",
    "url",
    "requires_any",
)
#: Course header fields compared by :func:`diff_graphs`.
COURSE_FIELDS: tuple[str, ...] = ("title", "description", "weights")
#: Weights closer than this are considered equal.
WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class FieldChange:
    """One field whose value differs: ``old`` and ``new`` as stored in the graph."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class LessonChange:
    """A lesson present in both graphs whose fields differ (qualified ``lesson_id``)."""

    lesson_id: str
    changes: tuple[FieldChange, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """Names of the changed fields, e.g. ``("title", "minutes")``."""
        return tuple(c.field for c in self.changes)


@dataclass(frozen=True)
class CourseChange:
    """A course present in both graphs whose header differs."""

    course_id: str
    changes: tuple[FieldChange, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """Names of the changed header fields."""
        return tuple(c.field for c in self.changes)


@dataclass(frozen=True)
class EdgeChange:
    """One link of one ``kind`` from ``source`` to ``target`` (graph direction).

    ``old_weight`` is None for an added link, ``new_weight`` None for a removed one.
    """

    source: str
    target: str
    kind: str
    old_weight: float | None
    new_weight: float | None


@dataclass(frozen=True)
class GraphDiff:
    """Everything that differs between two graphs; each tuple is sorted."""

    courses_added: tuple[str, ...] = ()
    courses_removed: tuple[str, ...] = ()
    courses_changed: tuple[CourseChange, ...] = ()
    lessons_added: tuple[str, ...] = ()
    lessons_removed: tuple[str, ...] = ()
    lessons_changed: tuple[LessonChange, ...] = ()
    edges_added: tuple[EdgeChange, ...] = ()
    edges_removed: tuple[EdgeChange, ...] = ()
    edges_reweighted: tuple[EdgeChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the two graphs have the same content."""
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (tuples become lists)."""
        return _jsonable(asdict(self))


def diff_graphs(old: LessonGraph | nx.DiGraph, new: LessonGraph | nx.DiGraph) -> GraphDiff:
    """Compare two lesson graphs.

    Parameters
    ----------
    old, new : LessonGraph or networkx.DiGraph
        Graphs in the schema of :mod:`knowledge_graph.builder`.

    Returns
    -------
    GraphDiff
        Empty (``.is_empty``) when the graphs have the same courses, lessons and links.

    Example
    -------
    >>> import networkx as nx
    >>> a = nx.DiGraph(courses={}); a.add_node("c/x", title="Loops")
    >>> b = nx.DiGraph(courses={}); b.add_node("c/x", title="For Loops")
    >>> diff_graphs(a, b).lessons_changed[0].changes
    (FieldChange(field='title', old='Loops', new='For Loops'),)
    """
    g_old, g_new = _networkx(old), _networkx(new)
    courses_old = dict(g_old.graph.get("courses") or {})
    courses_new = dict(g_new.graph.get("courses") or {})
    edges_old, edges_new = _edge_weights(g_old), _edge_weights(g_new)
    return GraphDiff(
        courses_added=tuple(sorted(courses_new.keys() - courses_old.keys())),
        courses_removed=tuple(sorted(courses_old.keys() - courses_new.keys())),
        courses_changed=tuple(
            CourseChange(cid, changes)
            for cid in sorted(courses_old.keys() & courses_new.keys())
            if (changes := _field_changes(courses_old[cid], courses_new[cid], COURSE_FIELDS))
        ),
        lessons_added=tuple(sorted(set(g_new) - set(g_old))),
        lessons_removed=tuple(sorted(set(g_old) - set(g_new))),
        lessons_changed=tuple(
            LessonChange(node, changes)
            for node in sorted(set(g_old) & set(g_new))
            if (changes := _field_changes(g_old.nodes[node], g_new.nodes[node], LESSON_FIELDS))
        ),
        edges_added=tuple(
            EdgeChange(*key, None, edges_new[key]) for key in sorted(edges_new.keys() - edges_old)
        ),
        edges_removed=tuple(
            EdgeChange(*key, edges_old[key], None) for key in sorted(edges_old.keys() - edges_new)
        ),
        edges_reweighted=tuple(
            EdgeChange(*key, edges_old[key], edges_new[key])
            for key in sorted(edges_old.keys() & edges_new.keys())
            if not math.isclose(edges_old[key], edges_new[key], abs_tol=WEIGHT_TOLERANCE)
        ),
    )


def _networkx(graph: LessonGraph | nx.DiGraph) -> nx.DiGraph:
    """The networkx graph of a LessonGraph, or the graph itself."""
    import networkx as nx

    return graph if isinstance(graph, nx.DiGraph) else graph.graph


def _edge_weights(graph: nx.DiGraph) -> dict[tuple[str, str, str], float]:
    """Map ``(source, target, kind)`` to weight; symmetric kinds keyed once (sorted ids)."""
    weights: dict[tuple[str, str, str], float] = {}
    for u, v, data in graph.edges(data=True):
        for kind, weight in (data.get("kinds") or {}).items():
            key = (min(u, v), max(u, v), kind) if kind in SYMMETRIC_KINDS else (u, v, kind)
            weights[key] = max(float(weight), weights.get(key, float("-inf")))
    return weights


def _field_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], fields: tuple[str, ...]
) -> tuple[FieldChange, ...]:
    """The fields among ``fields`` whose (normalised) values differ."""
    return tuple(
        FieldChange(name, old.get(name), new.get(name))
        for name in fields
        if _comparable(old.get(name)) != _comparable(new.get(name))
    )


def _comparable(value: Any) -> Any:
    """Normalise containers so that list/tuple spelling differences do not count."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _comparable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_comparable(v) for v in value)
    return value


def _jsonable(value: Any) -> Any:
    """Turn tuples into lists recursively (dicts and scalars unchanged)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
