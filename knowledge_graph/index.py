"""The compiled, numpy-backed index of a lesson graph.

:class:`GraphIndex` numbers the lessons ``0..n-1`` in load order (the ``order`` node
attribute) and stores every edge kind as compressed sparse rows (CSR) for in- and
out-edges, plus the ``requires_any`` groups and per-lesson numeric attributes. It is built
once per graph; queries then work with numpy over these arrays instead of Python loops
over nodes or edges.

Example
-------
>>> import networkx as nx
>>> G = nx.DiGraph(courses={})
>>> G.add_node("c/a", key="a", course="c", title="A", order=0)
>>> G.add_node("c/b", key="b", course="c", title="B", order=1)
>>> G.add_edge("c/a", "c/b", kinds={"requires": 1.0}, weight=1.0)
>>> index = GraphIndex.build(G)
>>> index.requires_of(index.require("b")).tolist()
[0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias

import numpy as np

from knowledge_graph.errors import UnknownLessonError
from knowledge_graph.file_format import (
    DEFAULT_WEIGHTS,
    EDGE_KINDS,
    HARD_PREREQUISITE_KINDS,
    EdgeKind,
)

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

#: Mastery at or above which a lesson counts as completed (a met prerequisite).
#: This is the one place that defines it; readiness uses the mastery values themselves.
MASTERY_THRESHOLD: Final[float] = 0.6
#: :meth:`GraphIndex.mastery_state` sorts a learner's entries up to one per this many lessons
#: of the graph, and passes over a vector of the graph's size beyond (measured: sorting 2,000
#: entries costs about what two passes over 100,000 lessons do).
DENSE_MASTERY_SHARE = 64

#: Learner progress: ``lesson id -> mastery in [0, 1]`` or an iterable of completed ids.
Progress: TypeAlias = Mapping[str, float] | Iterable[str]

#: Scoring components, in the column order of :attr:`GraphIndex.weights`.
COMPONENTS: Final[tuple[str, ...]] = ("readiness", "momentum", "goal", "unlock", "difficulty")

#: How strongly each edge kind carries momentum from a completed lesson to its neighbours:
#: along ``next`` and ``related`` links and every "is a prerequisite of" link (``requires``,
#: ``requires_any``, ``recommends``), as FORMAT.md says; each link's own weight applies too.
MOMENTUM_KIND_FACTORS: Final[dict[EdgeKind, float]] = {
    EdgeKind.NEXT: 1.0,
    EdgeKind.REQUIRES: 0.8,
    EdgeKind.REQUIRES_ANY: 0.8,
    EdgeKind.RECOMMENDS: 0.8,
    EdgeKind.RELATED: 0.6,
}

_INT = np.int64

#: GraphIndex attributes that are Python objects built from the lesson names and data; a
#: compiled index stores them in its lesson table instead of as arrays (see
#: :meth:`GraphIndex.array_fields`).
TABLE_ATTRIBUTES: Final[frozenset[str]] = frozenset(
    {
        "ids",
        "positions",
        "bare_positions",
        "bare_ids",
        "node_data",
        "course_ids",
        "course_weights",
        "_all_positions",
    }
)


@dataclass(frozen=True)
class Csr:
    """Compressed sparse rows: the neighbours of row ``i`` are
    ``indices[indptr[i]:indptr[i + 1]]`` (sorted ascending) with ``weights`` alongside."""

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_edges(cls, n: int, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> Csr:
        """Build the CSR of ``n`` rows from parallel edge arrays (row, col, weight)."""
        # one int64 key (row, col) sorts faster than a two-key lexsort, in the same order
        key = rows.astype(_INT) * max(n, 1) + cols
        counts = np.bincount(rows, minlength=n) if rows.size else np.zeros(n, dtype=_INT)
        indptr = np.zeros(n + 1, dtype=_INT)
        np.cumsum(counts, out=indptr[1:])
        if key.size < 2 or not np.any(key[1:] < key[:-1]):  # in order already (merged edges)
            return cls(indptr, cols.astype(_INT), weights.astype(np.float64))
        order = np.argsort(key, kind="stable")
        return cls(indptr, cols[order].astype(_INT), weights[order].astype(np.float64))

    def row(self, i: int) -> np.ndarray:
        """Return the neighbours of row ``i``."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def row_weights(self, i: int) -> np.ndarray:
        """Return the edge weights of row ``i``."""
        return self.weights[self.indptr[i] : self.indptr[i + 1]]

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(position in rows, neighbour, weight)`` of every edge of ``rows``.

        Vectorised: no Python loop over the rows.
        """
        indptr = self.indptr
        owner, edge = ranges(indptr[rows], indptr[rows + 1])
        return owner, self.indices[edge], self.weights[edge]


def ranges(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(k, j)`` for every ``j`` in ``range(starts[k], stops[k])``, for every ``k``, in order.

    Vectorised (no Python loop over the ranges): the positions of the rows of a compressed
    layout, or of the slices of a sorted edge list, in one array.

    Example
    -------
    >>> [a.tolist() for a in ranges(np.array([5, 0, 2]), np.array([7, 0, 3]))]
    [[0, 0, 2], [5, 6, 2]]
    """
    # ndarray methods rather than the np.* wrappers: this runs about a dozen times per
    # recommendation on a few hundred rows, where the wrappers' own cost shows
    counts = stops - starts
    owner = np.arange(starts.size, dtype=_INT).repeat(counts)
    if owner.size == 0:
        return owner, np.zeros(0, dtype=_INT)
    # each range's first position, minus where its entries begin in the output
    begins = counts.cumsum()
    begins -= counts
    edge = np.arange(owner.size, dtype=_INT)
    edge += (starts - begins).repeat(counts)
    return owner, edge


@dataclass(frozen=True)
class EdgeList:
    """Parallel arrays of edges ``src[e] -> dst[e]`` with weight ``w[e]``, sorted by (dst, src)."""

    src: np.ndarray
    dst: np.ndarray
    w: np.ndarray


class MasteryState(NamedTuple):
    """A learner's mastery (:meth:`GraphIndex.mastery_state`).

    ``lessons`` (ascending) with their ``levels`` in (0, 1] are every lesson the learner
    has a mastery of; ``met`` is the mask of the graph's lessons at or above
    :data:`MASTERY_THRESHOLD` and ``mastered`` their positions, ascending. ``dense`` is the
    whole mastery vector when it was built anyway (a long history), else None.
    """

    lessons: np.ndarray
    levels: np.ndarray
    met: np.ndarray
    mastered: np.ndarray
    dense: np.ndarray | None

    def of(self, lessons: np.ndarray) -> np.ndarray:
        """The mastery of each of ``lessons`` (0 where the learner has none)."""
        if self.dense is not None:
            return self.dense[lessons]
        if self.lessons.size == 0:
            return np.zeros(lessons.shape)
        at = np.minimum(self.lessons.searchsorted(lessons), self.lessons.size - 1)
        return np.where(self.lessons[at] == lessons, self.levels[at], 0.0)

    def level(self, i: int) -> float:
        """The mastery of lesson ``i`` (0.0 where the learner has none)."""
        if self.dense is not None:
            return float(self.dense[i])
        at = int(self.lessons.searchsorted(i))
        return float(self.levels[at]) if at < self.lessons.size and self.lessons[at] == i else 0.0

    def vector(self) -> np.ndarray:
        """The mastery of every lesson (:meth:`GraphIndex.mastery_vector`)."""
        if self.dense is not None:
            return self.dense
        vector = np.zeros(self.met.size)
        vector[self.lessons] = self.levels
        return vector


def _progress_key(progress: Progress | None) -> tuple[object, ...] | None:
    """A snapshot of ``progress`` (its entries, in order), or None when it cannot be taken
    without consuming it (an iterator)."""
    if progress is None or isinstance(progress, str):
        return (progress,)
    if isinstance(progress, Mapping):
        return (Mapping, *progress.items())
    if isinstance(progress, (list, tuple, frozenset, set)):
        return (list, *progress)
    return None


def _same_entries(known: tuple[object, ...], asked: tuple[object, ...]) -> bool:
    """The same entries in the same order (values of any type: one that cannot be compared
    plainly, such as an array, counts as different)."""
    try:
        return bool(known == asked)
    except (TypeError, ValueError):
        return False


class GraphData:
    """Nodes, edges and graph attributes in the shape :meth:`GraphIndex.build` reads.

    A stand-in for a networkx ``DiGraph`` (``nodes(data=True)``, ``edges(data=True)``,
    ``graph``) so that a compiled graph is indexed without importing networkx.

    Example
    -------
    >>> data = GraphData({"courses": {}}, [("c/a", {"order": 0}), ("c/b", {"order": 1})],
    ...                  [("c/a", "c/b", {"kinds": {"next": 1.0}})])
    >>> index = GraphIndex.build(data)
    >>> index.out_edges["next"].row(0).tolist(), data.edges()
    ([1], [('c/a', 'c/b')])
    """

    def __init__(
        self,
        attributes: dict[str, Any],
        nodes: list[tuple[str, dict[str, Any]]],
        edges: list[tuple[str, str, dict[str, Any]]],
    ) -> None:
        self.graph = attributes
        self._nodes = nodes
        self._edges = edges

    def nodes(self, data: bool = False) -> list[Any]:
        return self._nodes if data else [node for node, _ in self._nodes]

    def edges(self, data: bool = False) -> list[Any]:
        return self._edges if data else [(u, v) for u, v, _ in self._edges]


class GraphIndex:
    """Integer-indexed arrays compiled from a lesson DiGraph (see module docstring).

    Attributes
    ----------
    n : int
        Number of lessons.
    ids : list of str
        Qualified id of each lesson index (load order).
    out_edges, in_edges : dict of str to Csr
        Per edge kind, the out-neighbours and in-neighbours of every lesson.
    difficulty, minutes, order : numpy arrays of length n
    course_of : numpy int array of length n
        Index into :attr:`course_ids`.
    weights : numpy array (n, 5)
        Each lesson's course weights for :data:`COMPONENTS`.
    decay : numpy array of length n
        Each lesson's course momentum decay per hop.
    group_owner, group_indptr, group_members : numpy int arrays
        ``requires_any`` groups: group ``g`` belongs to lesson ``group_owner[g]`` and has
        members ``group_members[group_indptr[g]:group_indptr[g + 1]]`` (listing order).
    owner_groups : Csr
        Row ``i`` lists the group numbers of lesson ``i``.
    prereq_edges : EdgeList
        ``requires`` and ``recommends`` edges (readiness), weight = max of both kinds.
    hard_edges : EdgeList
        ``requires`` and ``requires_any`` edges (gating, unlock value).
    momentum_out : Csr
        Out-edges carrying momentum (``next``/``requires``/``related``), weighted by
        :data:`MOMENTUM_KIND_FACTORS`.
    max_unlock : float
        The largest total hard out-weight of any lesson (normalises the unlock value).
    """

    def __init__(self) -> None:  # populated by build()
        self.n = 0
        self.ids: list[str] = []
        self.positions: dict[str, int] = {}
        self.bare_positions: dict[str, int] = {}
        self.bare_ids: list[str] = []
        self.node_data: list[Mapping[str, Any]] = []
        self.course_ids: list[str] = []
        self.course_weights: dict[str, dict[str, float]] = {}

    # ------------------------------------------------------------------ build

    @classmethod
    def build(cls, G: nx.DiGraph | GraphData) -> GraphIndex:
        """Compile ``G`` into a :class:`GraphIndex` (cost linear in nodes + edges).

        Parameters
        ----------
        G : networkx.DiGraph or GraphData
            Lesson graph in the schema of :mod:`knowledge_graph.builder`.

        Returns
        -------
        GraphIndex
        """
        self = cls()
        nodes = sorted(G.nodes(data=True), key=lambda nd: (_int(nd[1].get("order"), 0), nd[0]))
        self.n = len(nodes)
        self.ids = [str(node) for node, _ in nodes]
        self.positions = {node: i for i, node in enumerate(self.ids)}
        self.node_data = [data for _, data in nodes]
        self._build_names()
        self._build_attributes(G)
        self._derive(self._edge_arrays(G), *self._group_arrays())
        return self

    def _derive(
        self,
        arrays: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
        group_owner: np.ndarray,
        group_indptr: np.ndarray,
        group_members: np.ndarray,
    ) -> None:
        """Derive every edge and group array from the per-kind edges and the groups.

        Vectorised (no Python loop over lessons or edges), so that a graph assembled from
        arrays (an incremental reload) is indexed as fast as numpy sorts.

        Parameters
        ----------
        arrays : mapping of edge kind to (src, dst, weight) arrays
            One entry per (src, dst) pair and kind; ``src`` is the prerequisite for the
            prerequisite kinds, the lesson that lists the other for ``next``.
        group_owner, group_indptr, group_members : int arrays
            The ``requires_any`` groups (see the class docstring), owners ascending.
        """
        n = self.n
        self._derive_edges({str(k): v for k, v in arrays.items()})
        self._derive_groups(group_owner, group_indptr, group_members)
        hard = self.hard_edges
        out_hard = np.bincount(hard.src, weights=hard.w, minlength=n) if n else np.zeros(0)
        self.max_unlock = float(out_hard.max()) if out_hard.size else 0.0
        self.hard_out = Csr.from_edges(n, hard.src, hard.dst, hard.w)
        self.hard_in = Csr.from_edges(n, hard.dst, hard.src, hard.w)

    def _build_names(self) -> None:
        """Map bare ids to positions (only ids unique across courses)."""
        seen: dict[str, int] = {}
        duplicated: set[str] = set()
        for i, node in enumerate(self.ids):
            bare = str(self.node_data[i].get("key") or node.rpartition("/")[2])
            if bare in seen:
                duplicated.add(bare)
            seen[bare] = i
        self.bare_ids = [
            str(d.get("key") or node.rpartition("/")[2])
            for node, d in zip(self.ids, self.node_data, strict=True)
        ]
        self.bare_positions = {
            b: i for b, i in seen.items() if b not in duplicated and b not in self.positions
        }
        # Every name (qualified ids, then unique bare ids) -> position, for ``positions_of``.
        self._all_positions = {**self.bare_positions, **self.positions}

    def _build_attributes(self, G: nx.DiGraph | GraphData) -> None:
        """Numeric per-lesson arrays and course weight rows, from the node attributes."""
        data = self.node_data
        courses = G.graph.get("courses") or {}
        course_names = list(courses)
        for d in data:
            cid = str(d.get("course") or "")
            if cid not in courses and cid not in course_names:
                course_names.append(cid)
        number = {cid: k for k, cid in enumerate(course_names)}
        self._set_attributes(
            difficulty=np.array([_num(d.get("difficulty"), 2.0) for d in data], dtype=float),
            minutes=np.array([_int(d.get("minutes"), 0) for d in data], dtype=_INT),
            order=np.array([_int(d.get("order"), i) for i, d in enumerate(data)], dtype=_INT),
            course_of=np.array([number[str(d.get("course") or "")] for d in data], dtype=_INT),
            course_ids=course_names,
            courses=courses,
        )

    def _set_attributes(
        self,
        *,
        difficulty: np.ndarray,
        minutes: np.ndarray,
        order: np.ndarray,
        course_of: np.ndarray,
        course_ids: list[str],
        courses: Mapping[str, Any],
    ) -> None:
        """Set the per-lesson arrays; ``course_of`` indexes ``course_ids`` (headers in
        ``courses``: id -> {"weights": ...}; unknown ids get the default weights)."""
        self.difficulty = np.asarray(difficulty, dtype=float).reshape(-1)
        self.minutes = np.asarray(minutes, dtype=_INT).reshape(-1)
        self.order = np.asarray(order, dtype=_INT).reshape(-1)
        self.course_of = np.asarray(course_of, dtype=_INT).reshape(-1)
        self.course_ids = list(course_ids)
        self.course_weights = {
            cid: _resolved_weights((courses.get(cid) or {}).get("weights")) for cid in course_ids
        }
        table = np.array(
            [[self.course_weights[c][name] for name in COMPONENTS] for c in course_ids],
            dtype=float,
        ).reshape(len(course_ids), len(COMPONENTS))
        decay = np.array([self.course_weights[c]["decay"] for c in course_ids], dtype=float)
        self.weights = table[self.course_of] if self.n else np.zeros((0, len(COMPONENTS)))
        self.decay = decay[self.course_of] if self.n else np.zeros(0)

    def _edge_arrays(
        self, G: nx.DiGraph | GraphData
    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The per-kind ``(src, dst, weight)`` edge arrays of ``G`` (one pass over its edges)."""
        per_kind: dict[str, tuple[list[int], list[int], list[float]]] = {
            k: ([], [], []) for k in EDGE_KINDS
        }
        pos = self.positions
        for u, v, d in G.edges(data=True):
            iu, iv = pos.get(str(u)), pos.get(str(v))
            if iu is None or iv is None or iu == iv:
                continue
            for kind, weight in (d.get("kinds") or {}).items():
                if kind in per_kind:
                    src, dst, w = per_kind[str(kind)]
                    src.append(iu)
                    dst.append(iv)
                    w.append(_num(weight, 1.0))
        return {
            k: (np.array(s, dtype=_INT), np.array(t, dtype=_INT), np.array(w, dtype=float))
            for k, (s, t, w) in per_kind.items()
        }

    def _derive_edges(self, arrays: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """Per-kind CSR arrays, plus the combined edge lists used by the recommender."""
        n = self.n
        arrays = {
            str(k): (
                np.asarray(arrays[k][0], dtype=_INT),
                np.asarray(arrays[k][1], dtype=_INT),
                np.asarray(arrays[k][2], dtype=float),
            )
            for k in EDGE_KINDS
        }
        self.out_edges = {k: Csr.from_edges(n, s, t, w) for k, (s, t, w) in arrays.items()}
        self.in_edges = {k: Csr.from_edges(n, t, s, w) for k, (s, t, w) in arrays.items()}
        #: The lesson (row) of every entry of ``in_edges["requires"].indices``.
        self.requires_rows = np.repeat(
            np.arange(n, dtype=_INT), np.diff(self.in_edges[EdgeKind.REQUIRES].indptr)
        )
        self.prereq_edges = _merged_edges(
            n, [arrays[EdgeKind.REQUIRES], arrays[EdgeKind.RECOMMENDS]]
        )
        self.hard_edges = _merged_edges(
            n, [arrays[k] for k in EDGE_KINDS if k in HARD_PREREQUISITE_KINDS]
        )
        scaled = [
            (s, t, w * MOMENTUM_KIND_FACTORS[k])
            for k, (s, t, w) in arrays.items()
            if k in MOMENTUM_KIND_FACTORS
        ]
        # merged in (src, dst) order: the rows of the out-CSR, without a second sort
        momentum = _merged_edges(n, [(t, s, w) for s, t, w in scaled])
        self.momentum_out = Csr.from_edges(n, momentum.dst, momentum.src, momentum.w)

    def _group_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flatten the ``requires_any`` node attributes into (owner, indptr, members)."""
        owners: list[int] = []
        members: list[int] = []
        indptr = [0]
        for i, data in enumerate(self.node_data):
            for group in data.get("requires_any") or ():
                resolved = list(
                    dict.fromkeys(
                        j for m in group if (j := self.positions.get(str(m))) is not None and j != i
                    )
                )
                if not resolved:
                    continue
                owners.append(i)
                members.extend(resolved)
                indptr.append(len(members))
        return (
            np.array(owners, dtype=_INT),
            np.array(indptr, dtype=_INT),
            np.array(members, dtype=_INT),
        )

    def _derive_groups(
        self, group_owner: np.ndarray, group_indptr: np.ndarray, group_members: np.ndarray
    ) -> None:
        """The group arrays and the per-lesson group rows."""
        self.group_owner = np.asarray(group_owner, dtype=_INT)
        self.group_indptr = np.asarray(group_indptr, dtype=_INT)
        self.group_members = np.asarray(group_members, dtype=_INT)
        self.group_member_owner = np.repeat(self.group_owner, np.diff(self.group_indptr))
        groups = np.arange(self.group_owner.size, dtype=_INT)
        self.owner_groups = Csr.from_edges(
            self.n, self.group_owner, groups, np.ones(self.group_owner.size)
        )

    # ------------------------------------------------------------ persistence

    def array_fields(self) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Flatten the index's numeric state for a compiled file.

        Every attribute that is not a Python object of the lesson table
        (:data:`TABLE_ATTRIBUTES`) must be a numpy array, a :class:`Csr`, an
        :class:`EdgeList`, a dict of :class:`Csr` or a number: a new attribute of another
        type makes compiling fail loudly rather than load an index without it.

        Returns
        -------
        arrays : dict of str to numpy array
            ``attr``, ``attr.indptr`` / ``.indices`` / ``.weights`` (Csr),
            ``attr.src`` / ``.dst`` / ``.w`` (EdgeList), ``attr.key.indptr`` ... (dict of Csr).
        layout : dict of str to dict
            Per attribute ``{"type": "array" | "csr" | "edges" | "csr_dict" | "scalar"}``,
            with ``keys`` (csr_dict) or ``value`` (scalar); JSON-serialisable.

        Raises
        ------
        TypeError
            For an attribute of another type.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> arrays, layout = example_graph().index.array_fields()
        >>> layout["hard_out"], arrays["hard_out.indptr"].tolist()
        ({'type': 'csr'}, [0, 2, 3, 4, 5, 5])
        """
        arrays: dict[str, np.ndarray] = {}
        layout: dict[str, dict[str, Any]] = {}
        for name, value in sorted(vars(self).items()):
            if name in TABLE_ATTRIBUTES:
                continue
            if isinstance(value, np.ndarray):
                arrays[name] = value
                layout[name] = {"type": "array"}
            elif isinstance(value, Csr):
                arrays.update(_flat(name, value, ("indptr", "indices", "weights")))
                layout[name] = {"type": "csr"}
            elif isinstance(value, EdgeList):
                arrays.update(_flat(name, value, ("src", "dst", "w")))
                layout[name] = {"type": "edges"}
            elif (
                isinstance(value, dict)
                and value
                and all(isinstance(v, Csr) for v in value.values())
            ):
                for key, csr in value.items():
                    arrays.update(_flat(f"{name}.{key}", csr, ("indptr", "indices", "weights")))
                layout[name] = {"type": "csr_dict", "keys": [str(k) for k in value]}
            elif isinstance(value, bool | int | float | np.integer | np.floating):
                layout[name] = {
                    "type": "scalar",
                    "value": value.item() if isinstance(value, np.generic) else value,
                }
            else:
                raise TypeError(f"GraphIndex.{name} ({type(value).__name__}) cannot be compiled")
        return arrays, layout

    def restore_array_fields(
        self, arrays: Mapping[str, np.ndarray], layout: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Set the attributes flattened by :meth:`array_fields` (arrays are used as given,
        e.g. memory-mapped; nothing is copied or recomputed).

        Raises
        ------
        KeyError
            When an array named by ``layout`` is missing.
        """
        for name, spec in layout.items():
            kind = spec["type"]
            if kind == "array":
                value: Any = arrays[name]
            elif kind == "csr":
                value = Csr(*(arrays[f"{name}.{f}"] for f in ("indptr", "indices", "weights")))
            elif kind == "edges":
                value = EdgeList(*(arrays[f"{name}.{f}"] for f in ("src", "dst", "w")))
            elif kind == "csr_dict":
                value = {
                    key: Csr(
                        *(arrays[f"{name}.{key}.{f}"] for f in ("indptr", "indices", "weights"))
                    )
                    for key in spec["keys"]
                }
            else:
                value = spec["value"]
            setattr(self, name, value)

    # ----------------------------------------------------------------- lookup

    def position(self, lesson_id: object) -> int | None:
        """Return the index of a qualified or unique bare id, or None when unknown."""
        if not isinstance(lesson_id, str):
            return None
        found = self.positions.get(lesson_id)
        return self.bare_positions.get(lesson_id) if found is None else found

    def require(self, lesson_id: object) -> int:
        """Return the index of ``lesson_id``; raise UnknownLessonError when unknown."""
        found = self.position(lesson_id)
        if found is None:
            raise UnknownLessonError(str(lesson_id))
        return found

    def requires_of(self, i: int) -> np.ndarray:
        """Indices of the ``requires`` prerequisites of lesson ``i`` (ascending)."""
        return self.in_edges[EdgeKind.REQUIRES].row(i)

    def recommends_of(self, i: int) -> np.ndarray:
        """Indices of the ``recommends`` (soft) prerequisites of lesson ``i`` (ascending)."""
        return self.in_edges[EdgeKind.RECOMMENDS].row(i)

    def groups_of(self, i: int) -> list[np.ndarray]:
        """The ``requires_any`` groups of lesson ``i``, each an array of member indices."""
        return [
            self.group_members[self.group_indptr[g] : self.group_indptr[g + 1]]
            for g in self.owner_groups.row(i)
        ]

    def hard_dependents_of(self, i: int) -> np.ndarray:
        """Indices of the lessons that list ``i`` as a hard prerequisite (ascending)."""
        return self.hard_out.row(i)

    # --------------------------------------------------------------- progress

    def mastery_vector(self, progress: Progress | None) -> np.ndarray:
        """Return the mastery of every lesson as a float array in [0, 1].

        Unknown ids and non-numeric values are ignored; the loop runs over the progress
        entries only. A string is treated as one completed lesson id.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> index = example_graph().index
        >>> index.mastery_vector({"demo/loops": 0.5, "strings": 2, "nope": 1}).tolist()
        [0.0, 0.5, 1.0, 0.0, 0.0]
        >>> index.mastery_vector(["variables"]).tolist()
        [1.0, 0.0, 0.0, 0.0, 0.0]
        """
        return self._mastery(progress)[0]

    def mastery_state(self, progress: Progress | None) -> MasteryState:
        """The learner's mastery as :class:`MasteryState`: the lessons they have a mastery
        of, the mask of those at or above :data:`MASTERY_THRESHOLD` and their positions.

        The same values as :meth:`mastery_vector` (an entry named twice, by qualified and
        bare id, keeps the later value, as there), found from the learner's entries: no
        vector of the graph's size is written or read but the mask, so a learner's
        neighbourhood costs what the learner has done, not the graph's size.

        The last learner's state is remembered (keyed by the entries themselves, not by the
        object), so the several questions of one turn (the ranking, then each offer's state)
        read the learner's entries once; its arrays are read-only.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> index = example_graph().index
        >>> state = index.mastery_state({"demo/loops": 0.5, "strings": 1, "loops": 0.4})
        >>> state.met.tolist(), state.mastered.tolist(), state.of(np.array([1, 2, 3])).tolist()
        ([False, False, True, False, False], [2], [0.4, 1.0, 0.0])
        >>> state.vector().tolist() == index.mastery_vector(
        ...     {"demo/loops": 0.5, "strings": 1, "loops": 0.4}).tolist()
        True
        """
        key = _progress_key(progress)
        memo = self.__dict__.get("_mastery_memo")
        if key is not None and memo is not None and _same_entries(memo[0], key):
            return memo[1]
        state = self._mastery_state(progress)
        for array in state:
            if array is not None:
                array.flags.writeable = False  # shared by every reader of this learner
        if key is not None:
            self._mastery_memo = (key, state)
        return state

    def _mastery_state(self, progress: Progress | None) -> MasteryState:
        n = self.n
        met = np.zeros(n, dtype=bool)
        at, levels = self._entries(progress)
        if at.size * DENSE_MASTERY_SHARE > n:  # many entries: passes over a vector beat sorting
            vector = np.zeros(n)
            vector[at] = levels
            np.greater_equal(vector, MASTERY_THRESHOLD, out=met)
            held = np.flatnonzero(vector)
            return MasteryState(held, vector[held], met, np.flatnonzero(met), vector)
        order = np.argsort(at, kind="stable")
        at, levels = at[order], levels[order]
        kept = np.empty(at.size, dtype=bool)  # the last entry of each lesson, as assigned
        kept[-1:] = True
        np.not_equal(at[1:], at[:-1], out=kept[:-1])
        kept &= levels > 0
        at, levels = at[kept], levels[kept]
        mastered = at[levels >= MASTERY_THRESHOLD]
        met[mastered] = True
        return MasteryState(at, levels, met, mastered, None)

    def _mastery(self, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
        """The mastery vector and the positions the entries of ``progress`` set."""
        at, levels = self._entries(progress)
        mastery = np.zeros(self.n)
        mastery[at] = levels
        return mastery, at

    def _entries(self, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the known lessons of ``progress`` and their mastery, clipped to
        [0, 1], in the order of the entries (unknown ids and non-numeric values left out)."""
        none = np.zeros(0, dtype=np.intp)
        if progress is None:
            return none, np.zeros(0)
        if isinstance(progress, str):
            progress = (progress,)
        if isinstance(progress, Mapping):
            keys, values = list(progress.keys()), list(progress.values())
            try:
                levels = np.array(values, dtype=float)
                if levels.shape != (len(values),):  # sequences among the values
                    raise ValueError("not one number per entry")
            except (TypeError, ValueError):  # odd values: one by one
                levels = np.array(
                    [np.nan if (v := _mastery_value(x)) is None else v for x in values]
                )
        else:
            keys = list(progress)
            levels = np.ones(len(keys))
        if not keys:
            return none, np.zeros(0)
        at = self.positions_of(keys)
        keep = (at >= 0) & np.isfinite(levels)
        return at[keep], np.clip(levels[keep], 0.0, 1.0)

    def positions_of(self, ids: Sequence[object]) -> np.ndarray:
        """Return the index of each id (qualified or unique bare), -1 where unknown.

        One C-level pass (``map`` of a dict lookup into ``np.fromiter``), no Python code per
        id; unhashable ids fall back to :meth:`position`.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> example_graph().index.positions_of(["demo/loops", "recursion", "nope"]).tolist()
        [1, 4, -1]
        """
        lookup = self._all_positions.get
        try:
            return np.fromiter(map(lookup, ids, repeat(-1)), dtype=np.intp, count=len(ids))
        except TypeError:  # an unhashable id
            return np.array([-1 if (i := self.position(x)) is None else i for x in ids], np.intp)

    def progress_order(self, progress: Progress | None) -> list[int]:
        """Return the indices named by ``progress`` in its own order (unknown ids skipped)."""
        if progress is None:
            return []
        if isinstance(progress, str):
            progress = (progress,)
        keys = progress.keys() if isinstance(progress, Mapping) else progress
        found = (self.position(k) for k in keys)
        return [i for i in found if i is not None]

    def unlocked_mask(self, met: np.ndarray) -> np.ndarray:
        """Boolean mask of the lessons whose hard prerequisites are all met.

        ``met`` is the boolean "completed" mask. Vectorised over the hard edges and groups.
        """
        req = self.in_edges[EdgeKind.REQUIRES]
        blocked = np.zeros(self.n, dtype=bool)
        blocked[self.requires_rows[~met[req.indices]]] = True
        if self.group_owner.size:
            satisfied = np.logical_or.reduceat(met[self.group_members], self.group_indptr[:-1])
            blocked[self.group_owner[~satisfied]] = True
        return ~blocked


def index_to_networkx(index: GraphIndex, attributes: Mapping[str, Any]) -> nx.DiGraph:
    """Rebuild the networkx ``DiGraph`` of an index (for a graph loaded without one).

    The index holds every node's data and every typed, weighted edge, so a graph loaded
    from a compiled file keeps no second copy of its edges for the rare tool that wants the
    DiGraph (memory matters more on the bot's path).

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> graph = example_graph()
    >>> G = index_to_networkx(graph.index, graph.graph.graph)
    >>> G.edges["demo/variables", "demo/loops"]
    {'kinds': {'requires': 1.0, 'next': 1.0}, 'weight': 1.0}
    >>> sorted(G.edges(data="kinds")) == sorted(graph.graph.edges(data="kinds"))
    True
    """
    import networkx as nx

    G = nx.DiGraph(**attributes)
    G.add_nodes_from(zip(index.ids, (dict(d) for d in index.node_data), strict=True))
    kinds: dict[tuple[int, int], dict[str, float]] = {}
    for kind in EDGE_KINDS:
        csr = index.out_edges[kind]
        for i in range(index.n):
            for j, w in zip(csr.row(i).tolist(), csr.row_weights(i).tolist(), strict=True):
                kinds.setdefault((i, j), {})[kind.value] = w
    ids = index.ids
    G.add_edges_from(
        (ids[i], ids[j], {"kinds": k, "weight": max(k.values())}) for (i, j), k in kinds.items()
    )
    return G


def _flat(name: str, value: Any, fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    """``{"name.field": array}`` of a dataclass of arrays."""
    return {f"{name}.{f}": getattr(value, f) for f in fields}


def _merged_edges(n: int, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> EdgeList:
    """Merge parallel edge arrays, keeping the largest weight of duplicate (src, dst)."""
    src = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=_INT)
    dst = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=_INT)
    w = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
    if src.size == 0:
        return EdgeList(src.astype(_INT), dst.astype(_INT), w.astype(float))
    key = dst.astype(_INT) * max(n, 1) + src
    order = np.argsort(key, kind="stable")
    key, src, dst, w = key[order], src[order], dst[order], w[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    return EdgeList(src[starts], dst[starts], np.maximum.reduceat(w, starts))


def _resolved_weights(given: Any) -> dict[str, float]:
    """Course weights with defaults filled in; invalid values fall back to the default."""
    weights = dict(DEFAULT_WEIGHTS)
    if isinstance(given, Mapping):
        for name, value in given.items():
            if name in weights:
                number = _num(value, weights[name])
                weights[name] = max(0.0, number)
    return weights


def _num(value: Any, default: float) -> float:
    """``value`` as a finite float, else ``default``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _int(value: Any, default: int) -> int:
    """``value`` as an int, else ``default``."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _mastery_value(value: Any) -> float | None:
    """Clip a progress value to [0, 1]; None for non-numeric values (bools count as 0/1)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return min(1.0, max(0.0, number))
