"""Learned transitions: which lessons a course's learners actually took next.

A :class:`TransitionModel` holds, per lesson X, its top successors Y with the number of
**distinct learners** who completed X and then, as their next new completion, completed Y.
It also keeps, per lesson, how many distinct learners finished X (``finished``: the
denominator of "most learners who finished X took Y next") and how many stopped at X
(their last new completion so far was X).

What a learner's history counts
-------------------------------
A history is one learner's completed lesson ids, oldest first. Only the **first**
completion of a lesson counts: a later completion of the same lesson (a review, a repeat
after a reset) is not a new step, so ``[a, b, a, c]`` is read as ``a -> b -> c``. Hence
each learner who finished X either took exactly one successor of X or stopped at X:
``finished(X) = sum of X's successor counts + stopped(X)`` before the floor and the
top-``top`` cut, and ``learners / finished(X)`` is the true share of the learners who
finished X that took that successor next.

Privacy and noise floor
-----------------------
A successor, a ``finished`` and a ``stopped`` count are kept only when they come from at
least ``min_learners`` distinct learners (default :data:`DEFAULT_MIN_LEARNERS`): smaller
counts could single out a learner and are noise. The floor is part of the snapshot and is
checked again when a snapshot is read.

Snapshots
---------
The bot reads the **binary snapshot**, a folder that :meth:`TransitionModel.write` makes
(at publish time: the aggregator, ``python -m lex_bot transitions rebuild``) and
:func:`load_transitions` memory-maps; ``TRANSITIONS_SNAPSHOT`` names the folder, e.g.
``/mnt/lessons/.transitions``::

    .transitions/CURRENT                       # the version in use, replaced atomically
    .transitions/<16 hex digits>/arrays.npy    # the arrays below, one uint8 .npy
    .transitions/<16 hex digits>/meta.json     # format "lessonbot-transitions-arrays",
                                               # version 1, min_learners, generated_at,
                                               # each array's dtype/shape/place/SHA-256

The arrays (:data:`ARRAY_NAMES`), over ``n`` lesson ids and ``m`` kept successors:

===================== ========================= =============================================
``lesson.id``         ``S<w>``, n               every id the model names, sorted, distinct
                                                  (a lookup is a binary search: no dict)
``lesson.finished``   uint16/32 or int64, n     learners who finished it (0: none kept)
``lesson.stopped``    same, n                   learners who stopped there (0: none kept)
``successors.indptr`` int64, n + 1              lesson ``i``'s successors are entries
                                                  ``indptr[i]:indptr[i + 1]``
``successors.lesson`` uint16 or uint32, m       a successor's row in ``lesson.id``; within a
                                                  lesson increasing (sorted, distinct)
``successors.learners`` as ``finished``, m      its distinct learners
===================== ========================= =============================================

Opening one verifies every digest (:mod:`knowledge_graph.mapped_arrays`) and runs
:func:`check_arrays` (vectorised, in steps of bounded size): the JSON reader's rules in
array terms. A query then touches the id table's binary search and the lesson's own
entries: at 100,000 lessons with 20 successors each, opening takes tens of milliseconds
and builds no Python object per lesson (``bench/learned.py``), where the JSON form takes
seconds and tens of megabytes.

The **JSON snapshot** (``lessonbot-transitions/1``) is the interchange form, for small
snapshots, tests and tools (``stats --transitions``); :meth:`TransitionModel.to_json`
writes it, and :func:`load_transitions` reads it when given a file::

    {"format": "lessonbot-transitions/1",
     "min_learners": 5,
     "generated_at": "2026-11-30T01:00:00+00:00",      # or null
     "successors": {"py/for-loops": [["py/while-loops", 12], ["py/lists", 7]]},
     "finished": {"py/for-loops": 27},
     "stopped": {"py/for-loops": 6}}

``successors`` lists are sorted by learners (most first), ties by id. Reading is strict and
size-limited (the file lives on shared storage): plain JSON only (never pickle or eval), at
most :data:`MAX_SNAPSHOT_BYTES`, qualified ids, integer counts, the floor respected, no
duplicate keys, and for every lesson with successors a ``finished`` count of at least the
sum of its listed successors and its ``stopped`` count; anything else raises
:class:`knowledge_graph.errors.TransitionsSnapshotError`. Both forms hold the same model:
``load_transitions(folder) == TransitionModel.from_json(text)`` when one was made from
the other.

Example
-------
>>> model = learn_transitions([["py/a", "py/b"]] * 5 + [["py/a", "py/c"]] * 2, min_learners=5)
>>> model.successors("py/a")
(Successor(lesson_id='py/b', learners=5),)
>>> model.finished("py/a"), model.stopped("py/b"), model.stopped("py/c")
(7, 5, 0)
>>> TransitionModel.from_json(model.to_json()) == model
True
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from itertools import pairwise
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import numpy as np

from knowledge_graph.errors import TransitionsSnapshotError
from knowledge_graph.file_format import MAX_TOTAL_LESSONS
from knowledge_graph.mapped_arrays import (
    CURRENT_NAME,
    current_name,
    map_version,
    read_current,
    write_version,
)

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_CHECK_SECONDS",
    "DEFAULT_MIN_LEARNERS",
    "DEFAULT_TOP",
    "SNAPSHOT_FORMAT",
    "Successor",
    "TransitionModel",
    "TransitionsLoader",
    "learn_transitions",
    "load_transitions",
    "loader_from_env",
]

#: The ``format`` value of a snapshot file this module writes and reads.
SNAPSHOT_FORMAT: Final[str] = "lessonbot-transitions/1"
#: The ``format`` of a binary snapshot's ``meta.json`` (with ``version`` :data:`BINARY_VERSION`).
BINARY_FORMAT: Final[str] = "lessonbot-transitions-arrays"
BINARY_VERSION: Final[int] = 1
#: Default privacy and noise floor: distinct learners a count needs to be kept.
DEFAULT_MIN_LEARNERS: Final[int] = 5
#: Default number of successors kept per lesson. The recommender offers at most a handful
#: of lessons and skips successors that are locked or completed for the learner, so 20
#: leaves room for those while keeping a 100,000-lesson snapshot within a few megabytes
#: per 1,000 lessons with successors.
DEFAULT_TOP: Final[int] = 20
#: Largest snapshot file read, in bytes: 100,000 lessons x 20 successors of ~70 bytes
#: (two ids and a count) fit with room to spare; a larger file is refused unread.
MAX_SNAPSHOT_BYTES: Final[int] = 160 * 1024 * 1024
#: Most successors per lesson accepted in a snapshot.
MAX_SUCCESSORS: Final[int] = 1_000
#: Largest count accepted (a learner count larger than this is a corrupt file).
MAX_COUNT: Final[int] = 10**12

#: A qualified lesson id ``course/lesson`` (slugs as in ``knowledge_graph.file_format``).
_QUALIFIED_ID: Final[re.Pattern[str]] = re.compile(
    r"[a-z0-9][a-z0-9_-]{0,63}/[a-z0-9][a-z0-9_-]{0,63}"
)
_TOP_LEVEL_KEYS: Final[frozenset[str]] = frozenset(
    {"format", "min_learners", "generated_at", "successors", "finished", "stopped"}
)


class Successor(NamedTuple):
    """A lesson that distinct learners took next, and how many of them."""

    lesson_id: str
    learners: int


#: The arrays of a model (see :data:`BINARY_FORMAT`), by name.
ARRAY_NAMES: Final[tuple[str, ...]] = (
    "lesson.finished",
    "lesson.id",
    "lesson.stopped",
    "successors.indptr",
    "successors.learners",
    "successors.lesson",
)
#: Position lookups remembered per model (a turn asks about 3 lessons, 3 times each).
_POSITION_CACHE: Final[int] = 4096


@dataclass(frozen=True, eq=False)
class TransitionModel:
    """Top successors per lesson, learned from learners' completion histories (immutable).

    Build one with :func:`learn_transitions` (from histories), :meth:`from_counts` (from
    counted pairs, e.g. an aggregator's table) or :func:`load_transitions` (a snapshot).
    Every count in the model is at least ``min_learners``; lessons absent from the model
    answer ``()`` / ``0``.

    The counts are numpy arrays in compressed sparse row form over a sorted table of lesson
    ids (see :data:`BINARY_FORMAT`): memory-mapped when read from a binary snapshot, so a
    query costs one binary search in the id table plus the lesson's own successors, and
    nothing proportional to the snapshot is built when it is opened. Two models are equal
    when their floor, time stamp and counts are.

    Attributes
    ----------
    min_learners : int
        The privacy and noise floor the counts were cut at (>= 1).
    generated_at : str or None
        When the counts were taken (ISO-8601), if known.
    arrays : mapping of str to numpy array
        The counts (:data:`ARRAY_NAMES`), as checked by :func:`check_arrays`.
    """

    min_learners: int
    generated_at: str | None = None
    arrays: Mapping[str, np.ndarray] = field(default_factory=lambda: _empty_arrays(), repr=False)

    __hash__ = None  # type: ignore[assignment]  # holds arrays: equal by content, unhashable

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TransitionModel):
            return NotImplemented
        return (
            self.min_learners == other.min_learners
            and self.generated_at == other.generated_at
            and all(np.array_equal(self.arrays[k], other.arrays[k]) for k in ARRAY_NAMES)
        )

    @cached_property
    def _positions(self) -> dict[str, int | None]:
        return {}

    def _position(self, lesson_id: object) -> int | None:
        """The row of ``lesson_id`` in the id table: one binary search (remembered)."""
        cache = self._positions
        if isinstance(lesson_id, str) and lesson_id in cache:
            return cache[lesson_id]
        ids = self.arrays["lesson.id"]
        if not isinstance(lesson_id, str) or not lesson_id.isascii():
            return None
        key = lesson_id.encode("ascii")
        found: int | None = None
        if 0 < len(key) <= ids.dtype.itemsize and b"\0" not in key and ids.shape[0]:
            at = int(ids.searchsorted(key))
            if at < ids.shape[0] and ids[at] == key:
                found = at
        if len(cache) >= _POSITION_CACHE:
            cache.clear()
        cache[lesson_id] = found
        return found

    def successors(self, lesson_id: str) -> tuple[Successor, ...]:
        """Return the kept successors of ``lesson_id``, most learners first, ties by id.

        One binary search and the lesson's own successors; unknown lessons give ``()``.
        """
        ids, counts = self.successor_counts(lesson_id)
        ranked = sorted(zip(ids, counts, strict=True), key=lambda s: (-s[1], s[0]))
        return tuple(Successor(lesson, learners) for lesson, learners in ranked)

    def successor_counts(self, lesson_id: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """The kept successors of ``lesson_id`` as ``(ids, learner counts)`` in id order
        (as stored; :meth:`successors` ranks them): no object per successor and no
        sorting, for the recommender's hot path."""
        i = self._position(lesson_id)
        if i is None:
            return (), ()
        a = self.arrays
        lo, hi = a["successors.indptr"][i : i + 2].tolist()
        names = a["lesson.id"][a["successors.lesson"][lo:hi]].tolist()
        return tuple(b.decode("ascii") for b in names), tuple(
            a["successors.learners"][lo:hi].tolist()
        )

    def finished(self, lesson_id: str) -> int:
        """Distinct learners who completed ``lesson_id`` (0 when unknown or below the floor).

        Counts every one of them, also those who stopped there or went on to a successor
        below the floor or cut by ``top``, so ``successor.learners / finished`` is the true
        share of them who took that successor next.
        """
        i = self._position(lesson_id)
        return 0 if i is None else int(self.arrays["lesson.finished"][i])

    def stopped(self, lesson_id: str) -> int:
        """Distinct learners whose last new completion was ``lesson_id`` (0 below the floor)."""
        i = self._position(lesson_id)
        return 0 if i is None else int(self.arrays["lesson.stopped"][i])

    @property
    def lessons(self) -> tuple[str, ...]:
        """Every lesson id with a kept successor, finished or stopped count, sorted.

        Decodes them all: for tools (``stats --transitions``), not for a turn.
        """
        a = self.arrays
        keep = (np.diff(a["successors.indptr"]) > 0) | (a["lesson.finished"] > 0)
        keep |= a["lesson.stopped"] > 0
        return tuple(b.decode("ascii") for b in a["lesson.id"][keep].tolist())

    @cached_property
    def _with_successors(self) -> int:
        return int(np.count_nonzero(np.diff(self.arrays["successors.indptr"])))

    def __len__(self) -> int:
        """Number of lessons with at least one kept successor."""
        return self._with_successors

    # ----------------------------------------------------------------- building

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[tuple[str, str], int],
        *,
        min_learners: int = DEFAULT_MIN_LEARNERS,
        top: int = DEFAULT_TOP,
        finished: Mapping[str, int] | None = None,
        stopped: Mapping[str, int] | None = None,
        generated_at: str | None = None,
    ) -> TransitionModel:
        """Build a model from distinct-learner counts of ``(X, Y)`` pairs.

        Parameters
        ----------
        counts : mapping of (str, str) to int
            ``(X, Y) -> number of distinct learners whose next new completion after X was
            Y`` (the rule of the module docstring), **before** any floor: pairs below
            ``min_learners`` are dropped here, and only the ``top`` largest per X are kept.
        min_learners : int, default 5
            The privacy and noise floor (>= 1).
        top : int, default :data:`DEFAULT_TOP`
            Successors kept per lesson (>= 1).
        finished : mapping of str to int, optional
            Distinct learners who completed X. Defaults to the sum of X's pair counts plus
            ``stopped[X]``, which is exact under the first-completion rule when ``stopped``
            is complete; pass it when you count completions directly. Kept when
            >= ``min_learners``.
        stopped : mapping of str to int, optional
            Distinct learners whose last new completion is X (unfloored: the floor is
            applied here). Kept when >= ``min_learners``.
        generated_at : str, optional
            ISO-8601 time the counts were taken.

        Raises
        ------
        ValueError
            For a floor or ``top`` below 1, a negative count, a pair ``(X, X)``, a
            ``generated_at`` that is not ISO-8601, or a ``finished[X]`` smaller than the
            learners of X's pairs plus ``stopped[X]`` (a learner is counted in at most one).

        Example
        -------
        >>> m = TransitionModel.from_counts({("c/a", "c/b"): 9, ("c/a", "c/c"): 2}, min_learners=3)
        >>> m.successors("c/a"), m.finished("c/a")
        ((Successor(lesson_id='c/b', learners=9),), 11)
        """
        if min_learners < 1:
            raise ValueError(f"min_learners must be >= 1, not {min_learners}")
        if top < 1:
            raise ValueError(f"top must be >= 1, not {top}")
        if generated_at is not None:
            _check_timestamp(generated_at)
        stops = {k: int(v) for k, v in (stopped or {}).items()}
        by_lesson: dict[str, list[Successor]] = {}
        went_on: Counter[str] = Counter()
        for (before, after), learners in counts.items():
            if learners < 0:
                raise ValueError(f"negative count {learners} for {before!r} -> {after!r}")
            if before == after:
                raise ValueError(f"a lesson cannot follow itself: {before!r}")
            went_on[before] += learners
            if learners >= min_learners:
                by_lesson.setdefault(before, []).append(Successor(after, int(learners)))
        if finished is None:
            done = Counter(stops)
            done.update(went_on)
            all_finished = dict(done)
        else:
            all_finished = {k: int(v) for k, v in finished.items()}
            for lesson, learners in (went_on + Counter(stops)).items():
                if all_finished.get(lesson, 0) < learners:
                    raise ValueError(
                        f"finished[{lesson!r}] = {all_finished.get(lesson, 0)} is below the "
                        f"{learners} learners who went on from it or stopped there"
                    )
        successors = {
            before: sorted(found, key=lambda s: (-s.learners, s.lesson_id))[:top]
            for before, found in by_lesson.items()
        }
        return _build(
            min_learners,
            generated_at,
            successors,
            _floored(all_finished, min_learners),
            _floored(stops, min_learners),
        )

    # ----------------------------------------------------------------- snapshot

    def to_json(self) -> str:
        """Return the JSON snapshot text (see the module docstring), keys sorted.

        The interchange form, for small snapshots, tests and tools; the bot reads the
        binary form that :meth:`write` makes.
        """
        lessons = self.lessons
        successors = {}
        for lesson in lessons:
            ranked = self.successors(lesson)
            if ranked:
                successors[lesson] = [[x, n] for x, n in ranked]
        document = {
            "format": SNAPSHOT_FORMAT,
            "min_learners": self.min_learners,
            "generated_at": self.generated_at,
            "successors": successors,
            "finished": {k: v for k in lessons if (v := self.finished(k))},
            "stopped": {k: v for k in lessons if (v := self.stopped(k))},
        }
        return json.dumps(document, separators=(",", ":"), ensure_ascii=True)

    def write(self, path: str | PathLike[str]) -> bool:
        """Write the binary snapshot (:data:`BINARY_FORMAT`) into the folder ``path``.

        A new version folder is staged, read back with the bot's own reader (so a snapshot
        the bot would refuse is never published), renamed into place, and ``path/CURRENT``
        is then replaced atomically (:mod:`knowledge_graph.mapped_arrays`): a reader sees
        the old snapshot or the new one, whole. Counts equal to the current ones (whatever
        their ``generated_at``) publish nothing new, so warm functions do not reload them.

        Parameters
        ----------
        path : str or path-like
            The snapshot folder (created when missing), e.g. ``/mnt/lessons/.transitions``:
            what ``TRANSITIONS_SNAPSHOT`` names.

        Returns
        -------
        bool
            Whether ``CURRENT`` now names another version (False: these counts were already
            the current ones; nothing changed).

        Raises
        ------
        TransitionsSnapshotError
            When the written arrays do not read back (nothing is published).
        OSError
            When the folder cannot be created or written (the current snapshot stays).

        Example
        -------
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp()) / "transitions"
        >>> model = learn_transitions([["c/a", "c/b"]] * 5)
        >>> model.write(folder), model.write(folder), load_transitions(folder) == model
        (True, False, True)
        """
        meta = {
            "format": BINARY_FORMAT,
            "version": BINARY_VERSION,
            "min_learners": self.min_learners,
            "generated_at": self.generated_at,
        }
        _, changed = write_version(
            path, self.arrays, meta, name_ignores=("generated_at",), check=_open_version
        )
        return changed

    @classmethod
    def from_json(cls, text: str | bytes) -> TransitionModel:
        """Read a snapshot written by :meth:`to_json` (or by the progress-store aggregator).

        Parameters
        ----------
        text : str or bytes
            The file content, at most :data:`MAX_SNAPSHOT_BYTES` (UTF-8).

        Raises
        ------
        knowledge_graph.errors.TransitionsSnapshotError
            When the text is too large, not JSON, or breaks any rule of the module
            docstring's *Snapshot file* (the message names the first problem).

        Example
        -------
        >>> TransitionModel.from_json('{"format": "lessonbot-transitions/1", "min_learners": 5}')
        Traceback (most recent call last):
        ...
        knowledge_graph.errors.TransitionsSnapshotError: snapshot: missing 'successors'
        """
        size = len(text.encode("utf-8") if isinstance(text, str) else text)
        if size > MAX_SNAPSHOT_BYTES:
            raise TransitionsSnapshotError(
                f"snapshot: {size} bytes is over the {MAX_SNAPSHOT_BYTES}-byte limit"
            )
        try:
            document = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise TransitionsSnapshotError(f"snapshot: not valid JSON: {exc}") from None
        return _parse(document)


def learn_transitions(
    sequences: Iterable[Sequence[str]],
    min_learners: int = DEFAULT_MIN_LEARNERS,
    *,
    top: int = DEFAULT_TOP,
    generated_at: str | None = None,
) -> TransitionModel:
    """Learn a :class:`TransitionModel` from learners' completion histories.

    Parameters
    ----------
    sequences : iterable of sequence of str
        One sequence per learner: the lesson ids they completed, oldest first. Only the
        first completion of a lesson counts (see the module docstring): ``[a, b, a, c]``
        is ``a -> b -> c``. Two sequences are two learners.
    min_learners : int, default 5
        The privacy and noise floor (>= 1): counts of fewer distinct learners are dropped.
        Offline evaluation on research data may lower it.
    top : int, default :data:`DEFAULT_TOP`
        Successors kept per lesson.
    generated_at : str, optional
        ISO-8601 time the histories were read.

    Returns
    -------
    TransitionModel

    Example
    -------
    >>> histories = [["c/a", "c/b", "c/a", "c/c"]] + [["c/a", "c/b", "c/c"]] * 2
    >>> model = learn_transitions(histories, min_learners=3)
    >>> model.successors("c/a"), model.successors("c/b"), model.stopped("c/c")
    ((Successor(lesson_id='c/b', learners=3),), (Successor(lesson_id='c/c', learners=3),), 3)
    """
    pairs: Counter[tuple[str, str]] = Counter()
    stopped: Counter[str] = Counter()
    for sequence in sequences:
        path = list(dict.fromkeys(sequence))  # first completions, in order
        pairs.update(pairwise(path))
        if path:
            stopped[path[-1]] += 1
    return TransitionModel.from_counts(
        pairs, min_learners=min_learners, top=top, stopped=stopped, generated_at=generated_at
    )


def load_transitions(path: str | PathLike[str]) -> TransitionModel:
    """Read a snapshot: a folder written by :meth:`TransitionModel.write` (binary, mapped)
    or a ``lessonbot-transitions/1`` JSON file (see the module docstring).

    A folder's current version is memory-mapped, its digests verified and its arrays
    checked (:func:`check_arrays`); no Python object per lesson is made. A JSON file's size
    is checked before it is read, so an oversized file costs nothing.

    Raises
    ------
    knowledge_graph.errors.TransitionsSnapshotError
        When the snapshot cannot be read (missing, unreadable), is too large, or is
        malformed or damaged; the message starts with the path.
    """
    file = Path(path)
    if file.is_dir():
        try:
            version = read_current(file, TransitionsSnapshotError)
            if version is None:
                raise TransitionsSnapshotError(f"no {CURRENT_NAME} file: not a snapshot folder")
            return _open_version(version)
        except TransitionsSnapshotError as exc:
            raise TransitionsSnapshotError(f"{file}: {exc}") from None
    try:
        with file.open("rb") as handle:
            size = _file_size(handle)
            if size > MAX_SNAPSHOT_BYTES:
                raise TransitionsSnapshotError(
                    f"{file}: {size} bytes is over the {MAX_SNAPSHOT_BYTES}-byte limit"
                )
            data = handle.read(MAX_SNAPSHOT_BYTES + 1)
    except OSError as exc:
        raise TransitionsSnapshotError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    try:
        return TransitionModel.from_json(data)
    except TransitionsSnapshotError as exc:
        raise TransitionsSnapshotError(f"{file}: {exc}") from None


def _open_version(version_dir: Path) -> TransitionModel:
    """Map one version of a binary snapshot, verify its digests, check its arrays."""
    mapped = map_version(
        version_dir, BINARY_FORMAT, BINARY_VERSION, _fail, max_bytes=MAX_SNAPSHOT_BYTES
    )
    meta = mapped.meta
    floor = _count(meta.get("min_learners"), "min_learners", 1)
    generated_at = _generated_at(meta.get("generated_at"))
    mapped.verify()
    check_arrays(mapped.arrays, floor)
    return TransitionModel(floor, generated_at, MappingProxyType(mapped.arrays))


# --------------------------------------------------------------------- helpers


def _file_size(handle: Any) -> int:
    return os.fstat(handle.fileno()).st_size


def _floored(counts: Mapping[str, int], min_learners: int) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(counts.items()) if v >= min_learners}


def _check_timestamp(value: str) -> None:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"generated_at {value!r} is not an ISO-8601 time") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"duplicate key {key!r}")
        document[key] = value
    return document


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _fail(message: str) -> TransitionsSnapshotError:
    return TransitionsSnapshotError(f"snapshot: {message}")


def _lesson_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _QUALIFIED_ID.fullmatch(value):
        raise _fail(f"{where}: {str(value)[:80]!r} is not a qualified lesson id")
    return value


def _count(value: Any, where: str, floor: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{where}: {str(value)[:80]!r} is not an integer")
    if value > MAX_COUNT:
        raise _fail(f"{where}: {value} is over {MAX_COUNT}")
    if value < floor:
        raise _fail(f"{where}: learners {value} is below min_learners {floor}")
    return value


def _object(value: Any, where: str, limit: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"{where} must be an object")
    if len(value) > limit:
        raise _fail(f"{where} has {len(value)} entries, over the limit of {limit}")
    return value


def _generated_at(value: Any) -> str | None:
    if value is not None:
        if not isinstance(value, str) or len(value) > 64:
            raise _fail("generated_at must be an ISO-8601 string or null")
        try:
            _check_timestamp(value)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    return value


def _parse(document: Any) -> TransitionModel:
    """Check a decoded snapshot against every rule and build the model."""
    if not isinstance(document, dict):
        raise _fail("the top level must be an object")
    missing = [k for k in ("format", "min_learners", "successors") if k not in document]
    if missing:
        raise _fail(f"missing {', '.join(repr(k) for k in missing)}")
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
    if unknown:
        raise _fail(f"unknown key(s) {', '.join(repr(k)[:80] for k in unknown)}")
    if document["format"] != SNAPSHOT_FORMAT:
        raise _fail(f"format {str(document['format'])[:80]!r} is not {SNAPSHOT_FORMAT!r}")
    floor = _count(document["min_learners"], "min_learners", 1)
    generated_at = _generated_at(document.get("generated_at"))
    finished = {
        _lesson_id(k, "finished"): _count(v, f"finished[{k!r}]", floor)
        for k, v in _object(document.get("finished", {}), "finished", MAX_TOTAL_LESSONS).items()
    }
    stopped = {
        _lesson_id(k, "stopped"): _count(v, f"stopped[{k!r}]", floor)
        for k, v in _object(document.get("stopped", {}), "stopped", MAX_TOTAL_LESSONS).items()
    }
    for lesson, stops in stopped.items():
        if finished.get(lesson, 0) < stops:
            raise _fail(f"finished[{lesson!r}] is below its stopped count {stops}")
    successors: dict[str, Sequence[tuple[str, int]]] = {}
    canonical: dict[str, str] = {}  # one str object per lesson id, however often it appears
    raw = _object(document["successors"], "successors", MAX_TOTAL_LESSONS)
    for before, entries in raw.items():
        where = f"successors[{_lesson_id(before, 'successors')!r}]"
        if not isinstance(entries, list) or not entries:
            raise _fail(f"{where} must be a non-empty list")
        if len(entries) > MAX_SUCCESSORS:
            raise _fail(f"{where} has {len(entries)} entries, over {MAX_SUCCESSORS}")
        packed = _quick_successors(before, entries, floor, canonical)
        if packed is None:  # something is wrong: find and name it
            packed = _checked_successors(before, entries, floor, canonical, where)
        accounted = sum(count for _, count in packed) + stopped.get(before, 0)
        if finished.get(before, 0) < accounted:
            raise _fail(
                f"finished[{before!r}] = {finished.get(before, 0)} is below the {accounted} "
                "learners of its successors and stops"
            )
        successors[before] = packed
    return _build(floor, generated_at, successors, finished, stopped)


def _quick_successors(
    before: str, entries: list[Any], floor: int, canonical: dict[str, str]
) -> list[tuple[str, int]] | None:
    """One lesson's successors when every rule holds, else ``None``: the fast path.

    A snapshot at 100,000 lessons holds 2 million entries; these checks run per lesson over
    whole tuples, and new ids meet the pattern once (``canonical`` remembers them).
    :func:`_checked_successors` gives the precise error when this returns ``None``.
    """
    if not all(type(entry) is list and len(entry) == 2 for entry in entries):
        return None
    ids: list[str] = []
    for entry in entries:
        lesson = entry[0]
        if type(lesson) is not str:
            return None
        known = canonical.get(lesson)
        if known is None:
            if not _QUALIFIED_ID.fullmatch(lesson):
                return None
            known = canonical[lesson] = lesson
        ids.append(known)
    counts = [entry[1] for entry in entries]
    if not all(type(count) is int for count in counts):
        return None
    if min(counts) < floor or max(counts) > MAX_COUNT or before in ids:
        return None
    if len(set(ids)) != len(ids):
        return None
    ordered = all(
        a > b or (a == b and x < y)
        for a, b, x, y in zip(counts, counts[1:], ids, ids[1:], strict=False)
    )
    return list(zip(ids, counts, strict=True)) if ordered else None


def _checked_successors(
    before: str, entries: list[Any], floor: int, canonical: dict[str, str], where: str
) -> list[tuple[str, int]]:
    """One lesson's successors, checked entry by entry; raises naming the first problem."""
    ranked: list[Successor] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, list) or len(entry) != 2:
            raise _fail(f"{where}[{i}] must be a [lesson id, learners] pair")
        after = canonical.setdefault(_lesson_id(entry[0], f"{where}[{i}]"), entry[0])
        if after == before:
            raise _fail(f"{where}[{i}]: a lesson cannot follow itself")
        ranked.append(Successor(after, _count(entry[1], f"{where}[{i}]", floor)))
    keys = [(-s.learners, s.lesson_id) for s in ranked]
    if keys != sorted(set(keys)) or len({s.lesson_id for s in ranked}) != len(ranked):
        raise _fail(f"{where} must be sorted by learners (most first), ids unique")
    return list(ranked)  # pragma: no cover - the quick path accepts every valid list


# ------------------------------------------------------------------ the arrays


def _empty_arrays() -> dict[str, np.ndarray]:
    return _arrays_of({}, {}, {})


def _unsigned(largest: int) -> type[np.integer[Any]]:
    """The smallest of uint16, uint32 and int64 that holds ``largest`` (>= 0)."""
    if largest < 1 << 16:
        return np.uint16
    return np.uint32 if largest < 1 << 32 else np.int64


def _arrays_of(
    successors: Mapping[str, Sequence[tuple[str, int]]],
    finished: Mapping[str, int],
    stopped: Mapping[str, int],
) -> dict[str, np.ndarray]:
    """The arrays of :data:`BINARY_FORMAT` for checked counts (ids must be ASCII)."""
    names: set[str] = set(successors) | set(finished) | set(stopped)
    for entries in successors.values():
        names.update(lesson for lesson, _ in entries)
    ids = sorted(names)
    try:
        width = max((len(x.encode("ascii")) for x in ids), default=1)
    except UnicodeEncodeError:
        raise ValueError("lesson ids must be ASCII (qualified course/lesson ids)") from None
    row = {lesson: i for i, lesson in enumerate(ids)}
    n = len(ids)
    sizes = np.zeros(n + 1, dtype=np.int64)
    owner: list[int] = []
    after: list[int] = []
    learners: list[int] = []
    for before, entries in successors.items():
        sizes[row[before] + 1] = len(entries)
        owner.extend([row[before]] * len(entries))
        after.extend(row[lesson] for lesson, _ in entries)
        learners.extend(count for _, count in entries)
    order = np.lexsort((np.array(after, dtype=np.int64), np.array(owner, dtype=np.int64)))
    largest = max(max(learners, default=0), max(finished.values(), default=0))
    counts = _unsigned(largest)
    arrays = {
        "lesson.id": np.array([x.encode("ascii") for x in ids], dtype=f"S{max(width, 1)}"),
        "lesson.finished": np.array([finished.get(x, 0) for x in ids], dtype=counts),
        "lesson.stopped": np.array([stopped.get(x, 0) for x in ids], dtype=counts),
        "successors.indptr": np.cumsum(sizes),
        "successors.lesson": np.array(after, dtype=_unsigned(n))[order],
        "successors.learners": np.array(learners, dtype=counts)[order],
    }
    for array in arrays.values():
        array.flags.writeable = False  # a model is immutable, mapped or not
    return arrays


def _build(
    min_learners: int,
    generated_at: str | None,
    successors: Mapping[str, Sequence[tuple[str, int]]],
    finished: Mapping[str, int],
    stopped: Mapping[str, int],
) -> TransitionModel:
    return TransitionModel(min_learners, generated_at, _arrays_of(successors, finished, stopped))


#: Bytes allowed in a lesson id (``_QUALIFIED_ID``).
_ID_BYTES: Final[np.ndarray] = np.zeros(256, dtype=bool)
_ID_BYTES[list(b"abcdefghijklmnopqrstuvwxyz0123456789_-/")] = True
_ALNUM: Final[np.ndarray] = np.zeros(256, dtype=bool)
_ALNUM[list(b"abcdefghijklmnopqrstuvwxyz0123456789")] = True
#: Rows (ids) or entries (successors) checked per step: bounds the checks' temporaries to
#: a few megabytes whatever the snapshot's size.
_CHUNK: Final[int] = 1 << 14


def check_arrays(arrays: Mapping[str, np.ndarray], floor: int) -> None:
    """Check the structure of a model's arrays, vectorised (see :data:`BINARY_FORMAT`).

    The same rules as the JSON reader's, in array terms: the id table sorted, distinct and
    of qualified ids; each lesson's successors (positions in the id table) distinct and in
    order, never the lesson itself, within the per-lesson limit; every count between the
    floor and :data:`MAX_COUNT` (0 meaning "none" for ``finished`` and ``stopped``);
    ``finished`` at least the lesson's listed successors plus its ``stopped``. (An id that
    no count names is harmless and allowed; :meth:`TransitionModel.write` writes none.)
    Runs in steps of :data:`_CHUNK` entries, so its temporary arrays stay at a few
    megabytes whatever the snapshot's size.

    Raises
    ------
    TransitionsSnapshotError
        Naming the first broken rule.
    """
    if set(arrays) != set(ARRAY_NAMES):
        raise _fail(f"arrays {sorted(arrays)} are not {list(ARRAY_NAMES)}")
    ids = arrays["lesson.id"]
    n = int(ids.shape[0])
    indptr, after = arrays["successors.indptr"], arrays["successors.lesson"]
    learners = arrays["successors.learners"]
    finished, stopped = arrays["lesson.finished"], arrays["lesson.stopped"]
    if ids.dtype.kind != "S" or ids.ndim != 1 or ids.dtype.itemsize > 129:
        raise _fail("lesson.id must be a 1-d table of ids of at most 129 bytes")
    shapes = {
        "successors.indptr": (indptr, (n + 1,), "i"),
        "successors.lesson": (after, (int(after.shape[0]),), "iu"),
        "successors.learners": (learners, (int(after.shape[0]),), "iu"),
        "lesson.finished": (finished, (n,), "iu"),
        "lesson.stopped": (stopped, (n,), "iu"),
    }
    for name, (array, shape, kinds) in shapes.items():
        if array.dtype.kind not in kinds or array.shape != shape:
            raise _fail(f"{name}: dtype {array.dtype} or shape {array.shape} is not {shape}")
    m = int(after.shape[0])
    if int(indptr[0]) != 0 or int(indptr[-1]) != m:
        raise _fail("successors.indptr must run from 0 to the number of successors")
    sizes = np.diff(indptr)
    if sizes.size and (int(sizes.min()) < 0 or int(sizes.max()) > MAX_SUCCESSORS):
        raise _fail(f"successors.indptr: a lesson has a negative count or over {MAX_SUCCESSORS}")
    for name, array in (("lesson.finished", finished), ("lesson.stopped", stopped)):
        if array.size and (int(array.max()) > MAX_COUNT or int(array.min()) < 0):
            raise _fail(f"{name}: a count is out of range")
        if np.any((array > 0) & (array < floor)):
            raise _fail(f"{name}: a count is below min_learners {floor}")
    if np.any(stopped > finished):
        raise _fail("lesson.finished: below a lesson's stopped count")
    if m and (int(learners.min()) < floor or int(learners.max()) > MAX_COUNT):
        raise _fail(f"successors.learners: a count is below min_learners {floor} or too large")
    if m and (int(after.min()) < 0 or int(after.max()) >= n):
        raise _fail("successors.lesson: a position is outside the id table")
    rows = _CHUNK // 4  # an id row makes ~10 temporaries of up to 129 bytes
    for lo in range(0, n, rows):
        _check_ids(ids, lo, min(n, lo + rows))
    lesson = 0
    while lesson < n:  # successors, in steps of about _CHUNK entries (whole lessons)
        start = int(indptr[lesson])
        end = max(lesson + 1, int(indptr.searchsorted(start + _CHUNK, side="right")) - 1)
        end = min(end, n)
        _check_rows(arrays, lesson, end)
        lesson = end


def _check_ids(ids: np.ndarray, lo: int, hi: int) -> None:
    """Ids ``lo:hi``: qualified ``course/lesson`` slugs, sorted and distinct."""
    end = min(hi + 1, ids.shape[0])
    if not np.all(ids[lo + 1 : end] > ids[lo : end - 1]):
        raise _fail("lesson.id must be sorted and distinct")
    width = ids.dtype.itemsize
    raw = ids[lo:hi].view(np.uint8).reshape(hi - lo, width)
    length = np.strings.str_len(ids[lo:hi])  # up to the last non-NUL byte
    slash = raw == ord("/")
    where = slash.argmax(axis=1)
    rows = np.arange(hi - lo)
    ok = (
        # every byte up to the length allowed (so no NUL inside: NUL is only padding)
        (np.count_nonzero(_ID_BYTES[raw], axis=1) == length)
        & (np.count_nonzero(slash, axis=1) == 1)
        & (where >= 1)
        & (where <= 64)
        & (length - where - 1 >= 1)
        & (length - where - 1 <= 64)
        & _ALNUM[raw[:, 0]]
        & _ALNUM[raw[rows, np.minimum(where + 1, width - 1)]]
    )
    if not ok.all():
        bad = ids[lo + int(np.argmin(ok))]
        raise _fail(f"lesson.id: {bad[:80]!r} is not a qualified lesson id")


def _check_rows(arrays: Mapping[str, np.ndarray], lo: int, hi: int) -> None:
    """The successors of lessons ``lo:hi``.

    Works on the stored dtypes (no widened copies): a pass or two over each array.
    """
    indptr = arrays["successors.indptr"][lo : hi + 1]
    start, end = int(indptr[0]), int(indptr[-1])
    if start == end:
        return
    after = arrays["successors.lesson"][start:end]
    sizes = np.diff(indptr)
    has = sizes > 0
    firsts = (indptr[:-1] - start)[has]  # each lesson's first entry, increasing
    # Distinct and increasing within a lesson: the order may only fall at a first entry.
    falls = np.flatnonzero(after[1:] <= after[:-1]) + 1
    if falls.size:
        at = np.minimum(firsts.searchsorted(falls), firsts.size - 1)
        wrong = firsts[at] != falls
        if wrong.any():
            entry = start + int(falls[np.argmax(wrong)])
            lesson = _id(
                arrays, int(np.searchsorted(arrays["successors.indptr"], entry, "right")) - 1
            )
            raise _fail(f"successors of {lesson!r} must be distinct and in id order")
    # Each entry's lesson, as a running sum of the steps between lessons with successors
    # (np.repeat by sizes is several times slower on millions of entries).
    rows = np.arange(lo, hi)[has]
    steps = np.zeros(end - start, dtype=np.int64)
    steps[firsts] = np.diff(rows, prepend=0)
    owner = np.cumsum(steps)
    loops = after == owner
    if loops.any():
        raise _fail(f"successors: {_id(arrays, int(owner[np.argmax(loops)]))!r} follows itself")
    totals = np.add.reduceat(arrays["successors.learners"][start:end], firsts, dtype=np.int64)
    need = totals + arrays["lesson.stopped"][rows]
    short = arrays["lesson.finished"][rows] < need
    if short.any():
        lesson = _id(arrays, int(rows[np.argmax(short)]))
        raise _fail(f"finished[{lesson!r}] is below the learners of its successors and stops")


def _id(arrays: Mapping[str, np.ndarray], row: int) -> str:
    return arrays["lesson.id"][row].decode("ascii", errors="replace")


# --------------------------------------------------------------------- serving

#: Default seconds between two looks at the snapshot file (``TRANSITIONS_CHECK_SECONDS``).
DEFAULT_CHECK_SECONDS: Final[float] = 300.0


class TransitionsLoader:
    """Serves the snapshot at ``path``, re-reading it only when it changed.

    :meth:`get` looks at the snapshot at most every ``check_seconds``: for a binary snapshot
    folder, which version its ``CURRENT`` names (a 17-byte read); for a JSON file, its
    modification time and size (one ``stat``). It opens and checks the snapshot only when
    that changed (a binary one is memory-mapped: no per-lesson work, see
    :func:`load_transitions`). A
    missing, unreadable or malformed file is logged (once per state of the file) and the
    last good model is kept, so a bad upload never takes learned next steps away; before
    any good read, :meth:`get` returns ``None`` (recommend from the graph alone). Never a
    scan of the progress store: the snapshot is built elsewhere (the aggregator, or
    ``python -m lex_bot transitions rebuild``).

    Parameters
    ----------
    path : str or path-like
        The snapshot folder (or JSON file; see the module docstring).
    check_seconds : float, default :data:`DEFAULT_CHECK_SECONDS`
    clock : callable, default ``time.monotonic``

    Example
    -------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> loader = TransitionsLoader(folder / "transitions.json", check_seconds=0)
    >>> loader.get() is None  # no file yet: no learned component
    True
    >>> model = learn_transitions([["c/a", "c/b"]] * 5)
    >>> _ = (folder / "transitions.json").write_text(model.to_json())
    >>> loader.get().successors("c/a")
    (Successor(lesson_id='c/b', learners=5),)
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        check_seconds: float = DEFAULT_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._model: TransitionModel | None = None
        # The served snapshot's version (a folder) or (mtime_ns, size) (a JSON file) ...
        self._loaded: tuple[object, ...] | None = None
        self._seen: tuple[object, ...] | None = None  # ... and the one last looked at
        self._checked_at: float | None = None
        self.problem: str | None = None
        """Why the file last looked at is not served (``None`` when it is)."""

    def get(self) -> TransitionModel | None:
        """The current model, or ``None`` before the first good read (see the class)."""
        now = self._clock()
        if self._checked_at is not None and now - self._checked_at < self.check_seconds:
            return self._model
        with self._lock:
            if self._checked_at is None or now - self._checked_at >= self.check_seconds:
                self._checked_at = now
                self._refresh()
            return self._model

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except OSError as exc:
            self._failed(None, f"{self.path}: cannot read: {exc.strerror or exc}")
            return
        signature: tuple[object, ...] = (stat.st_mtime_ns, stat.st_size)
        if self.path.is_dir():  # a binary snapshot: the version CURRENT names
            signature = ("version", current_name(self.path))
        if signature in (self._loaded, self._seen):
            return  # unchanged: served already, or known bad and already logged
        try:
            model = load_transitions(self.path)
        except TransitionsSnapshotError as exc:
            self._failed(signature, str(exc))
            return
        self._model, self._loaded, self._seen, self.problem = model, signature, signature, None
        logger.info(
            "transitions snapshot loaded",
            extra={
                "path": str(self.path),
                "lessons": len(model),
                "min_learners": model.min_learners,
                "generated_at": model.generated_at,
            },
        )

    def _failed(self, signature: tuple[object, ...] | None, problem: str) -> None:
        if problem != self.problem:
            logger.warning(
                "transitions snapshot not used; keeping the last good one",
                extra={"problem": problem, "serving": self._model is not None},
            )
        self._seen, self.problem = signature, problem


def loader_from_env(environ: Mapping[str, str] | None = None) -> TransitionsLoader | None:
    """The :class:`TransitionsLoader` the environment asks for, or ``None``.

    ``TRANSITIONS_SNAPSHOT``: the snapshot folder (or a JSON file; unset or empty: no learned
    component).
    ``TRANSITIONS_CHECK_SECONDS``: seconds between looks at it (default 300; a value that
    is not a non-negative number falls back to the default).

    Example
    -------
    >>> loader = loader_from_env({"TRANSITIONS_SNAPSHOT": "/mnt/lessons/.transitions"})
    >>> str(loader.path), loader.check_seconds
    ('/mnt/lessons/.transitions', 300.0)
    >>> loader_from_env({}) is None
    True
    """
    env = os.environ if environ is None else environ
    path = env.get("TRANSITIONS_SNAPSHOT", "").strip()
    if not path:
        return None
    raw = env.get("TRANSITIONS_CHECK_SECONDS", "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_CHECK_SECONDS
    except ValueError:
        seconds = DEFAULT_CHECK_SECONDS
    if not 0 <= seconds < float("inf"):
        seconds = DEFAULT_CHECK_SECONDS
    return TransitionsLoader(path, check_seconds=seconds)
