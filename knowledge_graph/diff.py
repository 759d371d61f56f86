"""Compare two lesson graphs: what an author's edit changed.

:func:`diff_graphs` is a pure function over two graphs (``LessonGraph`` or the builder's
``networkx.DiGraph``) returning a :class:`GraphDiff`: courses and lessons added, removed or
changed (with the changed fields), and links added, removed or re-weighted.

A lesson whose id changed is a **rename**, not one lesson removed and one added: a removed
and an added lesson of the same course with the same title (compared with
:func:`knowledge_graph.text.fold_text`), or else the same content (summary, module and links,
once the other renames are applied), are paired in ``GraphDiff.renamed``, with a warning that
learners' progress under the old id is lost. Links are compared after mapping old ids to
new ones, so a rename does not show as its links removed and added again.

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
from knowledge_graph.text import fold_text

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
    "LessonRename",
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
class LessonRename:
    """A lesson whose id changed: ``old_id`` in the old graph is ``new_id`` in the new one.

    ``evidence`` is ``"same title"`` or ``"same content"``; ``warning`` says what the rename
    costs learners and how to keep their progress.
    """

    old_id: str
    new_id: str
    evidence: str

    @property
    def warning(self) -> str:
        """The author-facing warning (FORMAT.md forbids renaming a published lesson)."""
        old_key = self.old_id.split("/", 1)[1]
        return (
            f"lesson {self.old_id} was renamed to {self.new_id} ({self.evidence}): learners' "
            f"progress recorded under {old_key!r} is lost; keep the old id (rename it back), or "
            f"at least add {old_key!r} to the aliases of {self.new_id} so learners can still "
            "name it"
        )


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
    renamed: tuple[LessonRename, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the two graphs have the same content."""
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (tuples become lists; renames carry ``warning``)."""
        data = _jsonable(asdict(self))
        data["renamed"] = [{**asdict(r), "warning": r.warning} for r in self.renamed]
        return data


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
    renames = find_renames(g_old, g_new)
    mapping = {r.old_id: r.new_id for r in renames}
    edges_old, edges_new = _edge_weights(g_old, mapping), _edge_weights(g_new)
    old_ids = {mapping.get(n, n) for n in g_old}
    old_nodes = {mapping.get(n, n): g_old.nodes[n] for n in g_old}
    return GraphDiff(
        courses_added=tuple(sorted(courses_new.keys() - courses_old.keys())),
        courses_removed=tuple(sorted(courses_old.keys() - courses_new.keys())),
        courses_changed=tuple(
            CourseChange(cid, changes)
            for cid in sorted(courses_old.keys() & courses_new.keys())
            if (changes := _field_changes(courses_old[cid], courses_new[cid], COURSE_FIELDS))
        ),
        lessons_added=tuple(sorted(set(g_new) - old_ids)),
        lessons_removed=tuple(sorted(set(g_old) - set(g_new) - mapping.keys())),
        lessons_changed=tuple(
            LessonChange(node, changes)
            for node in sorted(old_ids & set(g_new))
            if (changes := _field_changes(old_nodes[node], g_new.nodes[node], LESSON_FIELDS))
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
        renamed=renames,
    )


def find_renames(old: nx.DiGraph, new: nx.DiGraph) -> tuple[LessonRename, ...]:
    """Pair lessons removed from ``old`` with lessons added in ``new`` that are the same lesson.

    Within one course: first by title (folded; only when exactly one removed and one added
    lesson share it), then by content (summary, module and the set of linked lessons, with
    the renames found so far applied; again only one-to-one pairs).

    Example
    -------
    >>> import networkx as nx
    >>> a = nx.DiGraph(courses={}); a.add_node("c/loops", course="c", title="Loops")
    >>> b = nx.DiGraph(courses={}); b.add_node("c/for-loops", course="c", title="Loops")
    >>> find_renames(a, b)
    (LessonRename(old_id='c/loops', new_id='c/for-loops', evidence='same title'),)
    """
    removed = [n for n in old if n not in new]
    added = [n for n in new if n not in old]
    if not removed or not added:
        return ()
    pairs: dict[str, tuple[str, str]] = {}

    def pair_by(key_old: Any, key_new: Any, evidence: str) -> None:
        olds: dict[Any, list[str]] = {}
        news: dict[Any, list[str]] = {}
        for n in removed:
            if n not in pairs:
                olds.setdefault(key_old(n), []).append(n)
        taken = {new_id for new_id, _ in pairs.values()}
        for n in added:
            if n not in taken:
                news.setdefault(key_new(n), []).append(n)
        for key, found in olds.items():
            if key is not None and len(found) == 1 and len(news.get(key, ())) == 1:
                pairs[found[0]] = (news[key][0], evidence)

    def title_key(graph: nx.DiGraph) -> Any:
        def key(n: str) -> Any:
            folded = fold_text(graph.nodes[n].get("title"))
            return (graph.nodes[n].get("course"), folded) if folded else None

        return key

    pair_by(title_key(old), title_key(new), "same title")

    def content_key(graph: nx.DiGraph, mapping: dict[str, str]) -> Any:
        def key(n: str) -> Any:
            data = graph.nodes[n]
            incoming = {
                (mapping.get(u, u), kind, "in")
                for u, _, kinds in graph.in_edges(n, data="kinds")
                for kind in kinds or {}
            }
            outgoing = {
                (mapping.get(v, v), kind, "out")
                for _, v, kinds in graph.out_edges(n, data="kinds")
                for kind in kinds or {}
            }
            links = frozenset(incoming | outgoing)
            if not links and not data.get("summary"):
                return None  # nothing to recognise it by
            return (data.get("course"), data.get("summary"), data.get("module"), links)

        return key

    mapping = {old_id: new_id for old_id, (new_id, _) in pairs.items()}
    pair_by(content_key(old, mapping), content_key(new, {}), "same content")
    return tuple(
        LessonRename(old_id, new_id, evidence)
        for old_id, (new_id, evidence) in sorted(pairs.items())
    )


def _networkx(graph: LessonGraph | nx.DiGraph) -> nx.DiGraph:
    """The networkx graph of a LessonGraph, or the graph itself."""
    import networkx as nx

    return graph if isinstance(graph, nx.DiGraph) else graph.graph


def _edge_weights(
    graph: nx.DiGraph, rename: Mapping[str, str] | None = None
) -> dict[tuple[str, str, str], float]:
    """Map ``(source, target, kind)`` to weight; symmetric kinds keyed once (sorted ids).

    ``rename`` maps old lesson ids to new ones (renamed lessons' links compare as the same).
    """
    rename = rename or {}
    weights: dict[tuple[str, str, str], float] = {}
    for u0, v0, data in graph.edges(data=True):
        u, v = rename.get(u0, u0), rename.get(v0, v0)
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
