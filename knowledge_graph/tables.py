"""A lesson graph as flat arrays, and the index served straight from them.

:class:`LessonTables` is what a compiled index holds (``knowledge_graph/FORMAT.md``,
"Compiled index"): named numpy arrays plus a small JSON-able ``meta``:

* ``text.blob`` (uint8) and ``text.offsets`` (int64, strings + 1): every distinct text
  (ids, titles, summaries, modules, URLs, aliases, tags) once, UTF-8; string ``s`` is
  ``blob[offsets[s]:offsets[s + 1]]``;
* ``lesson.*`` (one entry per lesson, load order): ``id`` (``course/lesson``) and ``key``
  (bare id) as fixed-width ASCII bytes; string numbers of ``title``, ``summary``,
  ``module``, ``url`` (-1: none); ``course`` and ``file`` (numbers
  into ``meta["course_ids"]`` / ``meta["files"]``), ``difficulty``, ``minutes``, ``line``
  (-1: unknown), ``rank`` (the lesson's place in an order in which every lesson's hard
  prerequisites come first); ``aliases`` and ``tags`` as ``.indptr``/``.items`` rows;
  ``translations`` as ``.indptr`` rows of (``.locale``: string number of the locale id,
  ``.field``: number in :data:`~knowledge_graph.file_format.TRANSLATED_FIELDS`, ``.text``:
  string number) items, one per translated title, summary, module and alias;
* ``names.key`` (sorted fixed-width bytes) and ``names.pos``: every qualified id and every
  bare id unique across courses, for lookups by binary search (no dict to build);
* ``decl.*``: every link as its author declared it (``lesson``, ``kind`` number in
  :data:`~knowledge_graph.file_format.EDGE_KINDS`, ``target``, ``weight``, ``group``: the
  ``requires_any`` group number or -1), from which the edges are re-derived when one file
  changes;
* ``search.*``: the name search tables of :mod:`knowledge_graph.search` (every id, title
  and alias, with exact, token and trigram tables keyed by 64-bit hashes), plus
  ``search.name_text``, the string number of each name;
* ``index.*``: the arrays of the :class:`~knowledge_graph.index.GraphIndex`
  (:meth:`~knowledge_graph.index.GraphIndex.array_fields`), so that serving needs no
  computation at all.

:class:`MappedGraphIndex` serves those arrays as they are (memory-mapped when loaded from a
compiled index): ids, names and lesson data are decoded only for the lessons a turn
touches. :func:`check_tables` is the vectorised structural check run before a compiled
index is used.

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> graph = example_graph()
>>> tables = tables_from_graph(graph.graph, [], [])
>>> index = MappedGraphIndex(tables)
>>> check_tables(tables)
>>> index.ids[1], index.position("loops"), index.positions_of(["demo/recursion", "x"]).tolist()
('demo/loops', 1, [4, -1])
>>> index.node_data[3]["requires_any"]
(('demo/loops', 'demo/strings'),)
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from knowledge_graph.file_format import (
    DEFAULT_LOCALE,
    EDGE_KINDS,
    MAX_SCORING_WEIGHT,
    MAX_TOTAL_LESSONS,
    SLUG_RE,
    TRANSLATED_FIELDS,
    EdgeKind,
)
from knowledge_graph.index import GraphIndex, _resolved_weights
from knowledge_graph.search import SEARCH_ARRAYS, search_tables

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from knowledge_graph.builder import Declaration

logger = logging.getLogger(__name__)

_I8 = np.int64
_I4 = np.int32

#: Text columns of a lesson (string numbers into the text table).
TEXT_COLUMNS: Final[tuple[str, ...]] = ("title", "summary", "module", "url")
#: Id columns of a lesson: fixed-width ASCII bytes (qualified id, bare id).
ID_COLUMNS: Final[tuple[str, ...]] = ("id", "key")
#: Columns holding several texts per lesson (``.indptr`` / ``.items``).
LIST_COLUMNS: Final[tuple[str, ...]] = ("aliases", "tags")

#: The fixed arrays of a compiled index: name -> (dtype kind, bytes per item or 0 for any).
SCHEMA: Final[dict[str, tuple[str, int]]] = {
    "text.blob": ("u", 1),
    "text.offsets": ("i", 8),
    **{f"lesson.{c}": ("i", 4) for c in TEXT_COLUMNS},
    **{f"lesson.{c}": ("S", 0) for c in ID_COLUMNS},
    "lesson.course": ("i", 4),
    "lesson.file": ("i", 4),
    "lesson.difficulty": ("i", 8),
    "lesson.minutes": ("i", 8),
    "lesson.line": ("i", 8),
    "lesson.rank": ("i", 8),
    **{f"lesson.{c}.indptr": ("i", 8) for c in LIST_COLUMNS},
    **{f"lesson.{c}.items": ("i", 4) for c in LIST_COLUMNS},
    "lesson.translations.indptr": ("i", 8),
    "lesson.translations.locale": ("i", 4),
    "lesson.translations.field": ("i", 1),
    "lesson.translations.text": ("i", 4),
    "names.key": ("S", 0),
    "names.pos": ("i", 8),
    "decl.lesson": ("i", 4),
    "decl.kind": ("i", 1),
    "decl.target": ("i", 4),
    "decl.weight": ("f", 8),
    "decl.group": ("i", 1),
    **{f"search.{k}": (np.dtype(v).kind, np.dtype(v).itemsize) for k, v in SEARCH_ARRAYS.items()},
    "search.name_text": ("i", 4),
}
#: Bytes a lesson id may contain (``course/lesson``, both slugs).
_ID_BYTES = np.zeros(256, dtype=bool)
_ID_BYTES[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789_-/", dtype=np.uint8)] = True
_KIND_NUMBER = {kind.value: k for k, kind in enumerate(EDGE_KINDS)}
#: Single-id lookups remembered per index (the cache is emptied when full).
_POSITION_CACHE = 4096


class CompiledIndexError(ValueError):
    """A compiled index that must not be used; the message says why (for the log line)."""


# --------------------------------------------------------------------- texts


@dataclass(frozen=True)
class TextTable:
    """Strings stored once each: string ``s`` is ``blob[offsets[s]:offsets[s + 1]]`` (UTF-8)."""

    blob: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return max(0, int(self.offsets.shape[0]) - 1)

    def get(self, s: int) -> str | None:
        """String number ``s`` (None for -1)."""
        if s < 0:
            return None
        raw = self.blob[self.offsets[s] : self.offsets[s + 1]].tobytes()
        return raw.decode("utf-8", errors="replace")


class _Interner:
    """Collects distinct strings and numbers them."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def __call__(self, text: str | None) -> int:
        if text is None:
            return -1
        number = self.numbers.get(text)
        if number is None:
            number = self.numbers[text] = len(self.numbers)
        return number

    def table(self) -> TextTable:
        encoded = [t.encode("utf-8") for t in self.numbers]
        offsets = np.zeros(len(encoded) + 1, dtype=_I8)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
        return TextTable(blob, offsets)


class TextColumn(Sequence[str]):
    """A read-only list of texts decoded on access (``ids[i]``, slices, iteration)."""

    def __init__(self, text: TextTable, numbers: np.ndarray) -> None:
        self._text = text
        self._numbers = numbers

    def __len__(self) -> int:
        return int(self._numbers.shape[0])

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._text.get(int(self._numbers[i]))

    def __iter__(self) -> Iterator[str]:
        get = self._text.get
        return (get(s) for s in self._numbers.tolist())  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class IdColumn(Sequence[str]):
    """A read-only list of ids stored as fixed-width ASCII bytes, decoded on access."""

    def __init__(self, values: np.ndarray) -> None:
        self._values = values

    def __len__(self) -> int:
        return int(self._values.shape[0])

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [v.decode("ascii") for v in self._values[i].tolist()]
        return self._values[i].decode("ascii")

    def __iter__(self) -> Iterator[str]:
        return (v.decode("ascii") for v in self._values.tolist())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def _fixed(values: Sequence[str]) -> np.ndarray:
    """ASCII ids as one fixed-width bytes array."""
    width = max((len(v) for v in values), default=1)
    return np.array([v.encode("ascii") for v in values], dtype=f"S{max(width, 1)}")


# -------------------------------------------------------------------- tables


@dataclass
class LessonTables:
    """The arrays and metadata of a compiled lesson graph (see the module docstring).

    ``meta`` holds ``lessons`` (n), ``course_ids`` (list), ``courses`` (id -> header dict
    with ``id``, ``title``, ``description``, ``weights``), ``files`` (list of dicts with
    ``name``, ``sha256``, ``size``, ``course``, ``first``, ``count``: the lessons
    ``first .. first + count - 1`` come from that file) and ``index_layout``.
    """

    arrays: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    #: Checks still owed by a part (:data:`DEFERRED_PARTS`) before its first use.
    deferred: dict[str, Callable[[], None]] = field(default_factory=dict, repr=False)

    def require(self, part: str) -> None:
        """Run the checks still owed by ``part`` (once); raise CompiledIndexError when it
        must not be used. Tables built in memory owe nothing."""
        check = self.deferred.get(part)
        if check is None:
            return
        check()
        del self.deferred[part]

    @property
    def n(self) -> int:
        """Number of lessons."""
        return int(self.meta["lessons"])

    @cached_property
    def text(self) -> TextTable:
        """The string table."""
        return TextTable(self.arrays["text.blob"], self.arrays["text.offsets"])

    def column(self, name: str) -> Sequence[str]:
        """The texts of a lesson column of :data:`TEXT_COLUMNS` or :data:`ID_COLUMNS`."""
        if name in ID_COLUMNS:
            return IdColumn(self.arrays[f"lesson.{name}"])
        return TextColumn(self.text, self.arrays[f"lesson.{name}"])

    def texts_of(self, column: str, i: int) -> tuple[str, ...]:
        """The texts of list column ``column`` (aliases, tags) of lesson ``i``."""
        indptr = self.arrays[f"lesson.{column}.indptr"]
        items = self.arrays[f"lesson.{column}.items"][indptr[i] : indptr[i + 1]]
        return tuple(self.text.get(int(s)) or "" for s in items)

    def index_arrays(self) -> dict[str, np.ndarray]:
        """The ``index.*`` arrays without their prefix."""
        return {k[6:]: v for k, v in self.arrays.items() if k.startswith("index.")}

    def file_numbers(self) -> dict[str, int]:
        """File base name -> its number in ``meta["files"]``."""
        return {f["name"]: k for k, f in enumerate(self.meta["files"])}

    def sources(self) -> dict[str, str]:
        """File base name -> SHA-256 of the course file the lessons came from."""
        return {f["name"]: f["sha256"] for f in self.meta["files"]}


def translation_rows(
    translations: Mapping[str, Mapping[str, Any]] | None, intern: Callable[[str], int]
) -> list[tuple[int, int, int]]:
    """``(locale, field, text)`` items of one lesson's ``translations`` node attribute, as
    the ``lesson.translations.*`` arrays hold them (``intern`` numbers a string).

    Example
    -------
    >>> rows = translation_rows({"es_US": {"title": "Bucles", "aliases": ("b",)}}, len)
    >>> rows  # string numbers are len() here: 5 = "es_US", 6 = "Bucles", 1 = "b"
    [(5, 0, 6), (5, 3, 1)]
    """
    rows = []
    for locale, translation in (translations or {}).items():
        number = intern(str(locale))
        for k, name in enumerate(TRANSLATED_FIELDS):
            value = translation.get(name)
            if name == "aliases":
                rows.extend((number, k, intern(str(alias))) for alias in value or ())
            elif value:
                rows.append((number, k, intern(str(value))))
    return rows


def translation_arrays(rows: Sequence[list[tuple[int, int, int]]]) -> dict[str, np.ndarray]:
    """The ``lesson.translations.*`` arrays of each lesson's :func:`translation_rows`."""
    indptr = np.zeros(len(rows) + 1, dtype=_I8)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    items = np.array([item for r in rows for item in r], dtype=_I8).reshape(-1, 3)
    return {
        "lesson.translations.indptr": indptr,
        "lesson.translations.locale": items[:, 0].astype(_I4),
        "lesson.translations.field": items[:, 1].astype(np.int8),
        "lesson.translations.text": items[:, 2].astype(_I4),
    }


def _base_name(name: str) -> str:
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def tables_from_graph(
    G: nx.DiGraph,
    declarations: Sequence[Declaration],
    files: Sequence[Mapping[str, Any]],
    index: GraphIndex | None = None,
) -> LessonTables:
    """Flatten a validated graph into :class:`LessonTables`.

    Parameters
    ----------
    G : networkx.DiGraph
        The graph of a clean validation report (schema of :mod:`knowledge_graph.builder`).
    declarations : sequence of Declaration
        ``report.declarations`` of the same validation.
    files : sequence of mappings
        One per course file, in load order: ``name`` (path or base name), ``sha256`` and
        ``size`` of its bytes; every lesson's ``source`` must be one of them (ValueError
        otherwise). Empty: the lessons' sources, without digests (tests, examples).
    index : GraphIndex, optional
        ``GraphIndex.build(G)`` when already built.

    Returns
    -------
    LessonTables
    """
    index = GraphIndex.build(G) if index is None else index
    n = index.n
    intern = _Interner()
    columns: dict[str, list[int]] = {c: [] for c in TEXT_COLUMNS}
    lists: dict[str, tuple[list[int], list[int]]] = {c: ([0], []) for c in LIST_COLUMNS}
    numbers = {c: [] for c in ("difficulty", "minutes", "line", "file")}
    translations: list[list[tuple[int, int, int]]] = []
    if not files:
        seen = dict.fromkeys(_base_name(str(d.get("source") or "")) for d in index.node_data)
        files = [{"name": name, "sha256": "", "size": 0} for name in seen]
    file_list = [
        {"name": _base_name(str(f["name"])), "sha256": str(f["sha256"]), "size": int(f["size"])}
        for f in files
    ]
    file_number = {f["name"]: k for k, f in enumerate(file_list)}
    for i, data in enumerate(index.node_data):
        node = index.ids[i]
        for column, value in (
            ("title", str(data.get("title") or "")),
            ("summary", str(data.get("summary") or "")),
            ("module", str(data.get("module") or "")),
            ("url", None if data.get("url") is None else str(data["url"])),
        ):
            columns[column].append(intern(value))
        for column in LIST_COLUMNS:
            indptr, items = lists[column]
            items.extend(intern(str(v)) for v in data.get(column) or ())
            indptr.append(len(items))
        translations.append(translation_rows(data.get("translations"), intern))
        numbers["difficulty"].append(int(data.get("difficulty") or 2))
        numbers["minutes"].append(int(data.get("minutes") or 0))
        line = data.get("line")
        numbers["line"].append(-1 if line is None else int(line))
        source = _base_name(str(data.get("source") or ""))
        if source not in file_number:
            raise ValueError(f"lesson {node!r} comes from {source!r}, not a listed file")
        numbers["file"].append(file_number[source])
    file_of = np.array(numbers["file"], dtype=_I4)
    counts = np.bincount(file_of, minlength=len(file_list)) if n else np.zeros(len(file_list))
    firsts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(file_list) else counts
    if n and np.any(np.diff(file_of) < 0):
        raise ValueError("the lessons of a file must be contiguous, files in load order")
    courses = G.graph.get("courses") or {}
    course_of_file = {
        _base_name(str(info.get("source") or "")): cid for cid, info in courses.items()
    }
    for k, f in enumerate(file_list):
        f["course"] = course_of_file.get(f["name"])
        f["first"], f["count"] = int(firsts[k]), int(counts[k])
    arrays: dict[str, np.ndarray] = {}
    for column in TEXT_COLUMNS:
        arrays[f"lesson.{column}"] = np.array(columns[column], dtype=_I4)
    arrays["lesson.id"] = _fixed(list(index.ids))
    arrays["lesson.key"] = _fixed(
        [
            str(d.get("key") or node.rpartition("/")[2])
            for node, d in zip(index.ids, index.node_data, strict=True)
        ]
    )
    for column in LIST_COLUMNS:
        indptr, items = lists[column]
        arrays[f"lesson.{column}.indptr"] = np.array(indptr, dtype=_I8)
        arrays[f"lesson.{column}.items"] = np.array(items, dtype=_I4)
    arrays.update(translation_arrays(translations))
    arrays["lesson.course"] = np.asarray(index.course_of, dtype=_I4)
    arrays["lesson.file"] = file_of
    for column in ("difficulty", "minutes", "line"):
        arrays[f"lesson.{column}"] = np.array(numbers[column], dtype=_I8)
    arrays["lesson.rank"] = completion_rank(index)
    positions = index.positions
    decl = [
        (positions[d[0]], _KIND_NUMBER[d[1]], positions[d[2]], float(d[3]), int(d[4]))
        for d in declarations
        if d[0] in positions and d[2] in positions and d[1] in _KIND_NUMBER
    ]
    arrays.update(_declaration_arrays(decl))
    search, texts, _ = search_tables(index)
    arrays.update({f"search.{k}": v for k, v in search.items()})
    arrays["search.name_text"] = np.array([intern(t) for t in texts], dtype=_I4)
    text = intern.table()
    arrays["text.blob"], arrays["text.offsets"] = text.blob, text.offsets
    arrays.update(_name_arrays(index.ids, index.bare_positions))
    index_arrays, layout = index.array_fields()
    arrays.update({f"index.{k}": v for k, v in index_arrays.items()})
    meta = {
        "lessons": n,
        "course_ids": list(index.course_ids),
        "courses": {
            cid: {
                "id": str(info.get("id", cid)),
                "title": str(info.get("title", cid)),
                "description": str(info.get("description") or ""),
                "weights": dict(info.get("weights") or {}),
                "source": _base_name(str(info.get("source") or "")),
                **course_locales(info),
            }
            for cid, info in courses.items()
        },
        "files": file_list,
        "index_layout": layout,
    }
    return LessonTables(arrays, meta)


def course_locales(header: Mapping[str, Any]) -> dict[str, Any]:
    """The ``locale``, ``locales`` and ``translations`` (locale -> ``title`` and
    ``description``, None where not translated) of a course header, as ``meta["courses"]``
    keeps them."""
    return {
        "locale": str(header.get("locale") or DEFAULT_LOCALE),
        "locales": [str(x) for x in header.get("locales") or ()],
        "translations": {
            str(locale): {k: entry.get(k) for k in ("title", "description")}
            for locale, entry in (header.get("translations") or {}).items()
        },
    }


def _declaration_arrays(decl: Sequence[tuple[int, int, int, float, int]]) -> dict[str, np.ndarray]:
    lesson, kind, target, weight, group = (
        (list(c) for c in zip(*decl, strict=True)) if decl else ([], [], [], [], [])
    )
    return {
        "decl.lesson": np.array(lesson, dtype=_I4),
        "decl.kind": np.array(kind, dtype=np.int8),
        "decl.target": np.array(target, dtype=_I4),
        "decl.weight": np.array(weight, dtype=np.float64),
        "decl.group": np.array(group, dtype=np.int8),
    }


def _name_arrays(ids: Sequence[str], bare_positions: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Sorted lookup keys: every qualified id, then unique bare ids (qualified ids win)."""
    names = {bare: pos for bare, pos in bare_positions.items()}
    names.update((node, i) for i, node in enumerate(ids))
    keys = sorted(names)
    width = max((len(k) for k in keys), default=1)
    return {
        "names.key": np.array([k.encode("ascii") for k in keys], dtype=f"S{width}"),
        "names.pos": np.array([names[k] for k in keys], dtype=_I8),
    }


def completion_rank(index: GraphIndex) -> np.ndarray:
    """Each lesson's place in an order where its hard prerequisites all come first.

    Lessons become available when every ``requires`` and one member of each
    ``requires_any`` group are done (a worklist, earliest lesson first). Lessons that can
    never be started (validation refuses such graphs) get -1.

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> completion_rank(example_graph().index).tolist()
    [0, 1, 2, 3, 4]
    """
    n = index.n
    requires_out = index.out_edges[EdgeKind.REQUIRES]
    need = np.diff(index.in_edges[EdgeKind.REQUIRES].indptr) + np.diff(index.owner_groups.indptr)
    need = need.astype(_I8).tolist()
    member_groups: dict[int, list[int]] = {}
    for g, m in zip(
        np.repeat(np.arange(index.group_owner.size), np.diff(index.group_indptr)).tolist(),
        index.group_members.tolist(),
        strict=True,
    ):
        member_groups.setdefault(m, []).append(g)
    owner = index.group_owner.tolist()
    open_group = [True] * len(owner)
    rank = [-1] * n
    queue = deque(i for i in range(n) if need[i] == 0)
    done = 0
    indptr, indices = requires_out.indptr.tolist(), requires_out.indices.tolist()
    while queue:
        u = queue.popleft()
        rank[u] = done
        done += 1
        for v in indices[indptr[u] : indptr[u + 1]]:
            need[v] -= 1
            if need[v] == 0:
                queue.append(v)
        for g in member_groups.get(u, ()):
            if open_group[g]:
                open_group[g] = False
                need[owner[g]] -= 1
                if need[owner[g]] == 0:
                    queue.append(owner[g])
    return np.array(rank, dtype=_I8)


# ---------------------------------------------------------- deriving the index


def edges_from_declarations(
    n: int, lesson: np.ndarray, kind: np.ndarray, target: np.ndarray, weight: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The per-kind edge arrays the builder would make of these declarations.

    Prerequisite kinds point from the target to the declaring lesson, ``next`` from the
    declaring lesson, ``related`` both ways; a pair linked twice keeps its largest weight.
    """
    out = {}
    for k, edge_kind in enumerate(EDGE_KINDS):
        chosen = kind == k
        a, b, w = lesson[chosen], target[chosen], weight[chosen]
        if edge_kind is EdgeKind.NEXT:
            src, dst = a, b
        elif edge_kind is EdgeKind.RELATED:
            src, dst, w = np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([w, w])
        else:
            src, dst = b, a
        keep = src != dst
        src, dst, w = src[keep].astype(_I8), dst[keep].astype(_I8), w[keep].astype(float)
        if src.size:
            key = src * max(n, 1) + dst
            order = np.argsort(key, kind="stable")
            key, src, dst, w = key[order], src[order], dst[order], w[order]
            first = np.ones(key.size, dtype=bool)
            first[1:] = key[1:] != key[:-1]
            starts = np.flatnonzero(first)
            src, dst, w = src[starts], dst[starts], np.maximum.reduceat(w, starts)
        out[edge_kind.value] = (src, dst, w)
    return out


def groups_from_declarations(
    lesson: np.ndarray, kind: np.ndarray, target: np.ndarray, group: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(group_owner, group_indptr, group_members)`` of the ``requires_any`` declarations
    (members in listing order, each once per group)."""
    chosen = np.flatnonzero(kind == _KIND_NUMBER[EdgeKind.REQUIRES_ANY.value])
    owner, number, member = lesson[chosen], group[chosen], target[chosen]
    order = np.lexsort((np.arange(chosen.size), number, owner))
    owner, number, member = owner[order], number[order], member[order]
    if owner.size == 0:
        return np.zeros(0, dtype=_I8), np.zeros(1, dtype=_I8), np.zeros(0, dtype=_I8)
    new_group = np.ones(owner.size, dtype=bool)
    new_group[1:] = (owner[1:] != owner[:-1]) | (number[1:] != number[:-1])
    group_id = np.cumsum(new_group) - 1
    # each member once per group: the first listing wins
    _, first = np.unique(np.stack([group_id, member]), axis=1, return_index=True)
    keep = np.zeros(owner.size, dtype=bool)
    keep[first] = True
    owner, member, new_group = owner[keep], member[keep], new_group[keep]
    starts = np.flatnonzero(new_group)
    indptr = np.append(starts, owner.size).astype(_I8)
    return owner[starts].astype(_I8), indptr, member.astype(_I8)


def derive_index(tables: LessonTables) -> GraphIndex:
    """Build the numeric :class:`GraphIndex` of tables whose ``index.*`` arrays are missing
    or stale (an incremental reload), vectorised: cost of a few numpy sorts of the edges.

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> graph = example_graph()
    >>> tables = tables_from_graph(graph.graph, [], [])  # no declarations: no edges
    >>> derive_index(tables).hard_edges.src.size
    0
    """
    a = tables.arrays
    n = tables.n
    index = GraphIndex()
    index.n = n
    course_ids = list(tables.meta["course_ids"])
    index._set_attributes(
        difficulty=a["lesson.difficulty"].astype(float),
        minutes=a["lesson.minutes"],
        order=np.arange(n, dtype=_I8),
        course_of=a["lesson.course"],
        course_ids=course_ids,
        courses=tables.meta["courses"],
    )
    lesson, kind, target = a["decl.lesson"], a["decl.kind"], a["decl.target"]
    index._derive(
        edges_from_declarations(n, lesson, kind, target, a["decl.weight"]),
        *groups_from_declarations(lesson, kind, target, a["decl.group"]),
    )
    return index


def with_index_arrays(tables: LessonTables, index: GraphIndex) -> LessonTables:
    """``tables`` with its ``index.*`` arrays and layout replaced by those of ``index``."""
    arrays = {k: v for k, v in tables.arrays.items() if not k.startswith("index.")}
    index_arrays, layout = index.array_fields()
    arrays.update({f"index.{k}": v for k, v in index_arrays.items()})
    return LessonTables(arrays, {**tables.meta, "index_layout": layout})


# ------------------------------------------------------------ serving from tables


class LessonRecord(Mapping[str, Any]):
    """One lesson's attributes in the builder's node schema, each decoded on first access
    (a turn that needs a title decodes only the title)."""

    __slots__ = ("_i", "_index", "_values")

    def __init__(self, index: MappedGraphIndex, i: int) -> None:
        self._index = index
        self._i = i
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        values = self._values
        if key not in values:
            if key not in NODE_FIELDS:
                raise KeyError(key)
            values[key] = self._index.lesson_field(self._i, key)
        return values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(NODE_FIELDS)

    def __len__(self) -> int:
        return len(NODE_FIELDS)


#: The node attributes of :mod:`knowledge_graph.builder`, as a compiled lesson serves them.
NODE_FIELDS: Final[tuple[str, ...]] = (
    "key",
    "course",
    "title",
    "summary",
    "module",
    "difficulty",
    "minutes",
    "aliases",
    "tags",
    "url",
    "requires_any",
    "order",
    "source",
    "line",
    "translations",
)


class _NodeData(Sequence[Mapping[str, Any]]):
    """Lesson attributes in the builder's node schema, built per lesson on access."""

    def __init__(self, index: MappedGraphIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        return self._index.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        n = self._index.n
        if not -n <= i < n:
            raise IndexError(i)
        return LessonRecord(self._index, i % n)

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return (LessonRecord(self._index, i) for i in range(self._index.n))


class MappedGraphIndex(GraphIndex):
    """A :class:`GraphIndex` whose arrays are those of :class:`LessonTables`, used as they
    are (memory-mapped when the tables were loaded from a compiled index).

    Nothing proportional to the graph is computed when it is created: ids, names and
    lesson data are decoded on access, lookups are binary searches in ``names.key``.
    ``positions``, ``bare_positions`` and ``bare_ids`` exist for compatibility and are
    built in full on first access.
    """

    def __init__(self, tables: LessonTables) -> None:  # no super().__init__: see properties
        self.tables = tables
        self.n = tables.n
        self.restore_array_fields(tables.index_arrays(), tables.meta["index_layout"])
        self.course_ids = list(tables.meta["course_ids"])
        courses = tables.meta["courses"]
        self.course_weights = {
            cid: _resolved_weights((courses.get(cid) or {}).get("weights"))
            for cid in self.course_ids
        }
        keys = tables.arrays["names.key"]
        self._position_cache: dict[str, int | None] = {}
        self._names = keys
        self._name_positions = tables.arrays["names.pos"]
        self._width = keys.dtype.itemsize

    # The Python-object attributes of GraphIndex, from the tables.
    @cached_property
    def ids(self) -> TextColumn:  # type: ignore[override]
        return self.tables.column("id")

    @cached_property
    def bare_ids(self) -> TextColumn:  # type: ignore[override]
        return self.tables.column("key")

    @cached_property
    def node_data(self) -> _NodeData:  # type: ignore[override]
        return _NodeData(self)

    @cached_property
    def positions(self) -> dict[str, int]:  # type: ignore[override]
        return {node: i for i, node in enumerate(self.ids)}

    @cached_property
    def bare_positions(self) -> dict[str, int]:  # type: ignore[override]
        positions = self.positions
        names = self._names.tolist()
        found = self._name_positions.tolist()
        return {
            k.decode("ascii"): p
            for k, p in zip(names, found, strict=True)
            if k.decode("ascii") not in positions
        }

    def module_rows(self) -> list[tuple[str, str, np.ndarray]]:
        """``(course, module, lesson indices)`` of every module, in order of first
        appearance, lessons in load order (grouped with numpy, no Python loop per lesson).

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> index = MappedGraphIndex(tables_from_graph(example_graph().graph, [], []))
        >>> [(c, m, rows.tolist()) for c, m, rows in index.module_rows()]
        [('demo', 'Basics', [0, 1, 2]), ('demo', 'Functions', [3, 4])]
        """
        a = self.tables.arrays
        strings = len(self.tables.text) + 1
        key = a["lesson.course"].astype(np.int64) * strings + a["lesson.module"].astype(np.int64)
        _, first, group = np.unique(key, return_index=True, return_inverse=True)
        members = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[members], np.arange(first.size + 1))
        rows = []
        for g in np.argsort(first).tolist():
            lessons = members[bounds[g] : bounds[g + 1]]
            i = int(lessons[0])
            rows.append(
                (
                    self.course_ids[int(a["lesson.course"][i])],
                    self.tables.text.get(int(a["lesson.module"][i])) or "",
                    lessons,
                )
            )
        return rows

    def compiled_search(self) -> tuple[dict[str, np.ndarray], TextColumn] | None:
        """The compiled search arrays and the names' texts, or None when they fail the
        checks owed before their first use (logged; the caller builds its own)."""
        try:
            self.tables.require("search")
        except CompiledIndexError as exc:
            logger.warning("compiled search tables not used: %s", exc, extra={"reason": str(exc)})
            return None
        a = self.tables.arrays
        arrays = {k: a[f"search.{k}"] for k in SEARCH_ARRAYS}
        return arrays, TextColumn(self.tables.text, a["search.name_text"])

    def lesson_data(self, i: int) -> dict[str, Any]:
        """The builder's node attributes of lesson ``i``, all decoded now."""
        return {key: self.lesson_field(i, key) for key in NODE_FIELDS}

    def lesson_field(self, i: int, key: str) -> Any:
        """One node attribute (:data:`NODE_FIELDS`) of lesson ``i``, decoded now."""
        t = self.tables
        a = t.arrays
        if key in ("title", "summary", "module", "url"):
            return t.text.get(int(a[f"lesson.{key}"][i]))
        if key in ("difficulty", "minutes"):
            return int(a[f"lesson.{key}"][i])
        if key == "key":
            return a["lesson.key"][i].decode("ascii")
        if key == "course":
            return self.course_ids[int(a["lesson.course"][i])]
        if key in LIST_COLUMNS:
            return t.texts_of(key, i)
        if key == "requires_any":
            ids = self.ids
            return tuple(tuple(ids[int(j)] for j in g) for g in self.groups_of(i))
        if key == "order":
            return i
        if key == "source":
            number, files = int(a["lesson.file"][i]), t.meta["files"]
            return files[number]["name"] if 0 <= number < len(files) else ""
        if key == "line":
            line = int(a["lesson.line"][i])
            return None if line < 0 else line
        if key == "translations":
            return self.translations_of(i)
        raise KeyError(key)

    def translations_of(self, i: int) -> dict[str, dict[str, Any]]:
        """Lesson ``i``'s ``translations`` node attribute, decoded from its rows."""
        a, text = self.tables.arrays, self.tables.text
        indptr = a["lesson.translations.indptr"]
        start, stop = int(indptr[i]), int(indptr[i + 1])
        out: dict[str, dict[str, Any]] = {}
        for locale, k, value in zip(
            a["lesson.translations.locale"][start:stop].tolist(),
            a["lesson.translations.field"][start:stop].tolist(),
            a["lesson.translations.text"][start:stop].tolist(),
            strict=True,
        ):
            entry = out.setdefault(
                text.get(locale) or "", {"title": None, "summary": None, "module": None}
            )
            name = TRANSLATED_FIELDS[k]
            if name == "aliases":
                entry["aliases"] = (*entry.get("aliases", ()), text.get(value) or "")
            else:
                entry[name] = text.get(value)
        for entry in out.values():
            entry.setdefault("aliases", ())
        return out

    # Lookups by binary search (no dict of every name to build).
    def position(self, lesson_id: object) -> int | None:
        """Return the index of a qualified or unique bare id, or None when unknown.

        One binary search in the sorted names; the last few thousand answers are cached.
        """
        cache = self._position_cache
        if isinstance(lesson_id, str) and lesson_id in cache:
            return cache[lesson_id]
        if not _plain_id(lesson_id, self._width) or not self._names.size:
            return None
        assert isinstance(lesson_id, str)
        key = lesson_id.encode("ascii")
        names = self._names
        at = int(names.searchsorted(key))
        found = int(self._name_positions[at]) if at < names.shape[0] and names[at] == key else None
        if len(cache) >= _POSITION_CACHE:
            cache.clear()
        cache[lesson_id] = found
        return found

    def positions_of(self, ids: Sequence[object]) -> np.ndarray:
        """Return the index of each id (qualified or unique bare), -1 where unknown.

        Vectorised: the ids are encoded at once and found by ``np.searchsorted`` in the
        sorted name keys (O(len(ids) log n), nothing built per graph).

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> index = MappedGraphIndex(tables_from_graph(example_graph().graph, [], []))
        >>> index.positions_of(["demo/loops", "recursion", "nope", 3, "loops\\x00"]).tolist()
        [1, 4, -1, -1, -1]
        """
        count = len(ids)
        result = np.full(count, -1, dtype=np.intp)
        if count == 0 or self._names.size == 0:
            return result
        try:
            joined = "".join(ids)  # type: ignore[arg-type]
        except TypeError:  # not all strings
            joined = None
        if joined is not None and joined.isascii() and "\x00" not in joined:
            query = np.array(ids, dtype=f"S{self._width + 1}")  # longer ids: cut, then refused
            keep = np.flatnonzero(np.char.str_len(query) <= self._width)
            result[keep] = self._search(query[keep].astype(self._names.dtype))
            return result
        keep = np.flatnonzero(np.fromiter(map(_plain_id, ids, repeat(self._width)), bool, count))
        if keep.size:
            query = np.array([ids[int(j)] for j in keep], dtype=self._names.dtype)
            result[keep] = self._search(query)
        return result

    def _search(self, query: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self._names, query)
        at = np.minimum(at, self._names.size - 1)
        hit = self._names[at] == query
        return np.where(hit, self._name_positions[at], -1)


def _plain_id(value: object, width: int) -> bool:
    """True for a str that could be a stored name (ASCII, no NUL, not too long)."""
    return (
        isinstance(value, str) and len(value) <= width and value.isascii() and "\x00" not in value
    )


# ------------------------------------------------------------------ checking


def _fail(reason: str) -> CompiledIndexError:
    return CompiledIndexError(reason)


def _check_rows(name: str, indptr: np.ndarray, count: int, length: int) -> None:
    """``indptr`` of ``count`` rows over ``length`` items: starts at 0, never decreases."""
    if indptr.ndim != 1 or indptr.shape[0] != count + 1:
        raise _fail(f"{name}: {indptr.shape[0] - 1} rows, expected {count}")
    if count + 1 and (indptr[0] != 0 or indptr[-1] != length or np.any(np.diff(indptr) < 0)):
        raise _fail(f"{name}: row offsets out of order or out of range")


def _check_range(name: str, values: np.ndarray, low: int, high: int) -> None:
    """Every value in ``[low, high)``."""
    if values.size and (int(values.min()) < low or int(values.max()) >= high):
        raise _fail(f"{name}: values outside [{low}, {high})")


#: Arrays only a search or an incremental reload reads: a compiled index verifies them
#: before that first use rather than at load (see :meth:`LessonTables.require`).
DEFERRED_PARTS: Final[tuple[str, ...]] = ("decl", "search")


def check_part(tables: LessonTables, part: str) -> None:
    """The structural checks of one deferred part (``decl`` or ``search``); raise
    :class:`CompiledIndexError` on a problem."""
    a, n = tables.arrays, tables.n
    if part == "search":
        _check_search_arrays(a, n, len(tables.text))
        return
    lesson, kind, target = a["decl.lesson"], a["decl.kind"], a["decl.target"]
    weight, group = a["decl.weight"], a["decl.group"]
    if not lesson.shape == kind.shape == target.shape == weight.shape == group.shape:
        raise _fail("decl arrays differ in length")
    _check_range("decl.lesson", lesson, 0, max(n, 1))
    _check_range("decl.target", target, 0, max(n, 1))
    _check_range("decl.kind", kind, 0, len(EDGE_KINDS))
    if weight.size and not (np.all(np.isfinite(weight)) and weight.min() > 0 and weight.max() <= 1):
        raise _fail("decl.weight: link weights must be in (0, 1]")
    any_kind = kind == _KIND_NUMBER[EdgeKind.REQUIRES_ANY.value]
    if np.any((group >= 0) != any_kind) or (group.size and group.max() >= 100):
        raise _fail("decl.group: groups only on requires_any links, fewer than 100")


def check_tables(tables: LessonTables, deferred: tuple[str, ...] = ()) -> None:
    """Check the structure of compiled tables with vectorised checks; raise on any problem.

    Checked: the array names, dtypes and lengths of :data:`SCHEMA`; row offsets; every
    number that indexes something (strings, lessons, courses, files, groups) in range;
    lesson ids made of slug characters; difficulty 1-5, minutes 1-10,000, link weights in
    (0, 1], scoring weights in range; the ``index.*`` arrays' CSR structure and finiteness;
    course headers; the file list covering the lessons in order.

    ``deferred`` names parts of :data:`DEFERRED_PARTS` whose own checks are left to
    :func:`check_part` (their dtypes and presence are still checked here).

    Raises
    ------
    CompiledIndexError
        Naming the first problem found.
    """
    a, meta = tables.arrays, tables.meta
    n = meta.get("lessons")
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_TOTAL_LESSONS:
        raise _fail("lesson count missing or out of range")
    for name, (kind, size) in SCHEMA.items():
        value = a.get(name)
        if value is None:
            raise _fail(f"array {name} missing")
        if value.dtype.kind != kind or (size and value.dtype.itemsize != size) or value.ndim != 1:
            raise _fail(f"array {name} has dtype {value.dtype.str}, shape {value.shape}")
    for name, value in a.items():
        if value.dtype.kind not in "iufbS" or value.dtype.hasobject:
            raise _fail(f"array {name} has dtype {value.dtype.str}")
    blob, offsets = a["text.blob"], a["text.offsets"]
    strings = offsets.shape[0] - 1
    _check_rows("text.offsets", offsets, strings, blob.shape[0])
    starts = offsets[:-1][np.diff(offsets) > 0]
    if starts.size and np.any((blob[starts] & 0xC0) == 0x80):
        raise _fail("text.blob: a string starts inside a UTF-8 character")
    for column in TEXT_COLUMNS:
        values = a[f"lesson.{column}"]
        if values.shape[0] != n:
            raise _fail(f"lesson.{column}: {values.shape[0]} entries for {n} lessons")
        _check_range(f"lesson.{column}", values, -1 if column == "url" else 0, strings)
    for column in ("course", "file", "difficulty", "minutes", "line", "rank"):
        if a[f"lesson.{column}"].shape[0] != n:
            raise _fail(f"lesson.{column}: wrong length")
    for column in LIST_COLUMNS:
        items = a[f"lesson.{column}.items"]
        _check_rows(f"lesson.{column}.indptr", a[f"lesson.{column}.indptr"], n, items.shape[0])
        _check_range(f"lesson.{column}.items", items, 0, strings)
    items = a["lesson.translations.text"]
    _check_rows("lesson.translations.indptr", a["lesson.translations.indptr"], n, items.shape[0])
    for column in ("locale", "field"):
        if a[f"lesson.translations.{column}"].shape != items.shape:
            raise _fail(f"lesson.translations.{column}: wrong length")
    _check_range("lesson.translations.text", items, 0, strings)
    _check_range("lesson.translations.locale", a["lesson.translations.locale"], 0, strings)
    _check_range(
        "lesson.translations.field", a["lesson.translations.field"], 0, len(TRANSLATED_FIELDS)
    )
    _check_range("lesson.difficulty", a["lesson.difficulty"], 1, 6)
    _check_range("lesson.minutes", a["lesson.minutes"], 1, 10_001)
    _check_range("lesson.line", a["lesson.line"], -1, 2**62)
    _check_range("lesson.rank", a["lesson.rank"], 0, max(n, 1))
    if n and np.bincount(a["lesson.rank"], minlength=n).max() != 1:
        raise _fail("lesson.rank is not an order of the lessons")
    for column in ID_COLUMNS:
        _check_ids(a[f"lesson.{column}"], n, column)
    # courses and files
    course_ids = meta.get("course_ids")
    courses = meta.get("courses")
    if not isinstance(course_ids, list) or not isinstance(courses, dict):
        raise _fail("course list missing")
    for cid in course_ids:
        header = courses.get(cid)
        if not isinstance(cid, str) or not SLUG_RE.match(cid) or not isinstance(header, dict):
            raise _fail(f"course {cid!r}: bad id or header")
        _check_header(cid, header)
    _check_range("lesson.course", a["lesson.course"], 0, len(course_ids))
    files = meta.get("files")
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise _fail("file list missing")
    _check_range("lesson.file", a["lesson.file"], 0, len(files))
    expected = 0
    for f in files:
        first, count = f.get("first"), f.get("count")
        if not isinstance(f.get("name"), str) or not isinstance(f.get("sha256"), str):
            raise _fail("a file entry without name or digest")
        if first != expected or not isinstance(count, int) or count < 0:
            raise _fail(f"file {f.get('name')!r}: lessons out of order")
        expected += count
    if expected != n:
        raise _fail("the files' lessons do not add up to the lesson count")
    if n and np.any(np.diff(a["lesson.file"]) < 0):
        raise _fail("lesson.file: lessons of a file are not contiguous")
    # names
    keys, pos = a["names.key"], a["names.pos"]
    if keys.shape != pos.shape:
        raise _fail("names.key and names.pos differ in length")
    _check_range("names.pos", pos, 0, max(n, 1))
    if keys.size > 1 and not np.all(keys[1:] > keys[:-1]):
        raise _fail("names.key is not sorted and unique")
    raw = np.frombuffer(keys.tobytes(), dtype=np.uint8)
    if raw.size and not np.all(_ID_BYTES[raw] | (raw == 0)):
        raise _fail("names.key holds a character no lesson id has")
    if "decl" not in deferred:
        check_part(tables, "decl")
    if "search" not in deferred:
        check_part(tables, "search")
    _check_index_arrays(tables, n)


def _check_ids(values: np.ndarray, n: int, column: str) -> None:
    """``lesson.<column>``: n ids of lesson-id characters, none empty (vectorised)."""
    if values.shape[0] != n:
        raise _fail(f"lesson.{column}: {values.shape[0]} entries for {n} lessons")
    if values.dtype.itemsize > 129:
        raise _fail(f"lesson.{column}: ids longer than 129 characters")
    raw = np.frombuffer(values.tobytes(), dtype=np.uint8).reshape(n, values.dtype.itemsize)
    if n and not np.all(_ID_BYTES[raw] | (raw == 0)):
        raise _fail(f"lesson.{column}: an id with a character outside a-z, 0-9, '_', '-', '/'")
    if n and (np.any(raw[:, 0] == 0) or np.any((raw[:, 1:] != 0) & (raw[:, :-1] == 0))):
        raise _fail(f"lesson.{column}: an empty id or one with a NUL inside")
    slashes = np.count_nonzero(raw == ord("/"), axis=1) if n else np.zeros(0)
    if np.any(slashes != (1 if column == "id" else 0)):
        raise _fail(f"lesson.{column}: ids must be 'course/lesson' (bare ids without '/')")


def _check_header(cid: str, header: Mapping[str, Any]) -> None:
    for name in ("title", "description", "locale"):
        if not isinstance(header.get(name, ""), str):
            raise _fail(f"course {cid!r}: {name} is not text")
    locales = header.get("locales", [])
    if not isinstance(locales, list) or not all(isinstance(x, str) for x in locales):
        raise _fail(f"course {cid!r}: locales is not a list of locale ids")
    translations = header.get("translations", {})
    if not isinstance(translations, dict) or not all(
        isinstance(entry, dict) and all(isinstance(v, str | None) for v in entry.values())
        for entry in translations.values()
    ):
        raise _fail(f"course {cid!r}: translations is not a mapping of locale to texts")
    weights = header.get("weights", {})
    if not isinstance(weights, dict):
        raise _fail(f"course {cid!r}: weights is not a mapping")
    for name, value in weights.items():
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is None or not math.isfinite(number):
            raise _fail(f"course {cid!r}: weight {name!r} is not a number")
        high = 1.0 if name == "decay" else MAX_SCORING_WEIGHT
        if not 0 <= number <= high:
            raise _fail(f"course {cid!r}: weight {name!r} out of range")


def _check_search_arrays(a: Mapping[str, np.ndarray], n: int, strings: int) -> None:
    """Ranges, row offsets and sort order of the ``search.*`` arrays."""
    names = a["search.name_lesson"].shape[0]
    for column in ("name_locale", "name_tokens", "name_text"):
        if a[f"search.{column}"].shape[0] != names:
            raise _fail(f"search.{column}: wrong length")
    _check_range("search.name_lesson", a["search.name_lesson"], 0, max(n, 1))
    _check_range("search.name_text", a["search.name_text"], 0, strings)
    for column in ("exact_name", "post_name"):
        _check_range(f"search.{column}", a[f"search.{column}"], 0, max(names, 1))
    if a["search.exact_name"].shape != a["search.exact_key"].shape:
        raise _fail("search.exact_name: wrong length")
    vocab = a["search.vocab"]
    if a["search.vocab_grams"].shape != vocab.shape:
        raise _fail("search.vocab_grams: wrong length")
    _check_rows(
        "search.vocab_start",
        a["search.vocab_start"],
        vocab.shape[0],
        a["search.post_name"].shape[0],
    )
    if a["search.gram_token"].shape != a["search.gram_key"].shape:
        raise _fail("search.gram_token: wrong length")
    _check_range("search.gram_token", a["search.gram_token"], 0, max(vocab.shape[0], 1))
    for column in ("exact_key", "vocab", "gram_key"):
        keys = a[f"search.{column}"]
        if keys.size > 1 and np.any(keys[1:] < keys[:-1]):
            raise _fail(f"search.{column}: not sorted")


def _check_index_arrays(tables: LessonTables, n: int) -> None:
    """CSR structure, index ranges and finiteness of the ``index.*`` arrays."""
    layout = tables.meta.get("index_layout")
    if not isinstance(layout, dict):
        raise _fail("index layout missing")
    arrays = tables.index_arrays()
    for name, value in arrays.items():
        if value.dtype.kind == "f" and value.size and not np.all(np.isfinite(value)):
            raise _fail(f"index.{name}: not finite")
    try:
        for name, spec in layout.items():
            kind = spec["type"]
            if kind in ("csr", "csr_dict"):
                prefixes = [name] if kind == "csr" else [f"{name}.{k}" for k in spec["keys"]]
                for prefix in prefixes:
                    indices = arrays[f"{prefix}.indices"]
                    if arrays[f"{prefix}.weights"].shape != indices.shape:
                        raise _fail(f"index.{prefix}: weights and indices differ")
                    _check_rows(
                        f"index.{prefix}.indptr", arrays[f"{prefix}.indptr"], n, indices.shape[0]
                    )
            elif kind == "edges":
                src, dst = arrays[f"{name}.src"], arrays[f"{name}.dst"]
                if not src.shape == dst.shape == arrays[f"{name}.w"].shape:
                    raise _fail(f"index.{name}: edge arrays differ in length")
                _check_range(f"index.{name}.src", src, 0, max(n, 1))
                _check_range(f"index.{name}.dst", dst, 0, max(n, 1))
            elif kind == "array":
                if name not in arrays:
                    raise KeyError(name)
            elif kind != "scalar" or not isinstance(spec.get("value"), int | float):
                raise _fail(f"index.{name}: unknown layout")
    except KeyError as exc:
        raise _fail(f"index array {exc.args[0]} missing") from None
    for key in EDGE_KINDS:
        for side in ("out_edges", "in_edges"):
            if f"{side}.{key}.indices" not in arrays:
                raise _fail(f"index.{side}.{key} missing")
            _check_range(
                f"index.{side}.{key}.indices", arrays[f"{side}.{key}.indices"], 0, max(n, 1)
            )
    for name in ("difficulty", "minutes", "order", "course_of", "decay"):
        if name not in arrays or arrays[name].shape != (n,):
            raise _fail(f"index.{name}: missing or of the wrong length")
    if "weights" not in arrays or arrays["weights"].shape[0] != n:
        raise _fail("index.weights: missing or of the wrong length")
    decay = arrays["decay"]
    if decay.size and (decay.min() <= 0 or decay.max() >= 1):
        raise _fail("index.decay: out of (0, 1)")
    if arrays["group_members"].size:
        _check_range("index.group_members", arrays["group_members"], 0, max(n, 1))
        _check_range("index.group_owner", arrays["group_owner"], 0, max(n, 1))
        _check_rows(
            "index.group_indptr",
            arrays["group_indptr"],
            arrays["group_owner"].size,
            arrays["group_members"].size,
        )
    if not np.array_equal(arrays["difficulty"], tables.arrays["lesson.difficulty"]):
        raise _fail("index.difficulty differs from the lessons' difficulty")
