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

Snapshot file
-------------
:meth:`TransitionModel.to_json` writes, and :func:`load_transitions` reads::

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
:class:`knowledge_graph.errors.TransitionsSnapshotError`.

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
from itertools import pairwise
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from knowledge_graph.errors import TransitionsSnapshotError
from knowledge_graph.file_format import MAX_TOTAL_LESSONS

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


#: A lesson's successors as stored: their ids and learner counts, most learners first. Two
#: flat tuples per lesson instead of one object per successor: a snapshot with 20 successors
#: for each of 100,000 lessons holds 2 million of them (see bench/learned.py).
Packed = tuple[tuple[str, ...], tuple[int, ...]]
_NONE: Final[Packed] = ((), ())


def _pack(successors: Iterable[Successor]) -> Packed:
    ranked = tuple(successors)
    return tuple(s.lesson_id for s in ranked), tuple(s.learners for s in ranked)


@dataclass(frozen=True)
class TransitionModel:
    """Top successors per lesson, learned from learners' completion histories (immutable).

    Build one with :func:`learn_transitions` (from histories), :meth:`from_counts` (from
    counted pairs, e.g. an aggregator's table) or :func:`load_transitions` (a snapshot file).
    Every count in the model is at least ``min_learners``; lessons absent from the model
    answer ``()`` / ``0``.

    Attributes
    ----------
    min_learners : int
        The privacy and noise floor the counts were cut at (>= 1).
    generated_at : str or None
        When the counts were taken (ISO-8601), if known.
    """

    min_learners: int
    generated_at: str | None = None
    _successors: Mapping[str, Packed] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )
    _finished: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    _stopped: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    __hash__ = None  # type: ignore[assignment]  # holds mappings: equal by content, unhashable

    def successors(self, lesson_id: str) -> tuple[Successor, ...]:
        """Return the kept successors of ``lesson_id``, most learners first, ties by id.

        One dict lookup; unknown lessons give ``()``.
        """
        ids, counts = self._successors.get(lesson_id, _NONE)
        return tuple(map(Successor, ids, counts))

    def successor_counts(self, lesson_id: str) -> Packed:
        """The same as :meth:`successors`, as ``(ids, learner counts)``: no object per
        successor, for the recommender's hot path."""
        return self._successors.get(lesson_id, _NONE)

    def finished(self, lesson_id: str) -> int:
        """Distinct learners who completed ``lesson_id`` (0 when unknown or below the floor).

        Counts every one of them, also those who stopped there or went on to a successor
        below the floor or cut by ``top``, so ``successor.learners / finished`` is the true
        share of them who took that successor next.
        """
        return self._finished.get(lesson_id, 0)

    def stopped(self, lesson_id: str) -> int:
        """Distinct learners whose last new completion was ``lesson_id`` (0 below the floor)."""
        return self._stopped.get(lesson_id, 0)

    @property
    def lessons(self) -> tuple[str, ...]:
        """Every lesson id with a kept successor, finished or stopped count, sorted."""
        return tuple(sorted(set(self._successors) | set(self._finished) | set(self._stopped)))

    def __len__(self) -> int:
        """Number of lessons with at least one kept successor."""
        return len(self._successors)

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
            before: _pack(sorted(found, key=lambda s: (-s.learners, s.lesson_id))[:top])
            for before, found in sorted(by_lesson.items())
        }
        return cls(
            min_learners=min_learners,
            generated_at=generated_at,
            _successors=MappingProxyType(successors),
            _finished=MappingProxyType(_floored(all_finished, min_learners)),
            _stopped=MappingProxyType(_floored(stops, min_learners)),
        )

    # ----------------------------------------------------------------- snapshot

    def to_json(self) -> str:
        """Return the snapshot file text (see the module docstring), keys sorted."""
        document = {
            "format": SNAPSHOT_FORMAT,
            "min_learners": self.min_learners,
            "generated_at": self.generated_at,
            "successors": {
                lesson: [list(pair) for pair in zip(*packed, strict=True)]
                for lesson, packed in sorted(self._successors.items())
            },
            "finished": dict(sorted(self._finished.items())),
            "stopped": dict(sorted(self._stopped.items())),
        }
        return json.dumps(document, separators=(",", ":"), ensure_ascii=True)

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
    """Read a snapshot file (see the module docstring).

    The size is checked before the file is read, so an oversized file costs nothing.

    Raises
    ------
    knowledge_graph.errors.TransitionsSnapshotError
        When the file cannot be read (missing, unreadable), is too large, or is malformed;
        the message starts with the path.
    """
    file = Path(path)
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
    generated_at = document.get("generated_at")
    if generated_at is not None:
        if not isinstance(generated_at, str) or len(generated_at) > 64:
            raise _fail("generated_at must be an ISO-8601 string or null")
        try:
            _check_timestamp(generated_at)
        except ValueError as exc:
            raise _fail(str(exc)) from None
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
    successors: dict[str, Packed] = {}
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
        accounted = sum(packed[1]) + stopped.get(before, 0)
        if finished.get(before, 0) < accounted:
            raise _fail(
                f"finished[{before!r}] = {finished.get(before, 0)} is below the {accounted} "
                "learners of its successors and stops"
            )
        successors[canonical.setdefault(before, before)] = packed
    return TransitionModel(
        min_learners=floor,
        generated_at=generated_at,
        _successors=MappingProxyType(dict(sorted(successors.items()))),
        _finished=MappingProxyType(dict(sorted(finished.items()))),
        _stopped=MappingProxyType(dict(sorted(stopped.items()))),
    )


def _quick_successors(
    before: str, entries: list[Any], floor: int, canonical: dict[str, str]
) -> Packed | None:
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
    return (tuple(ids), tuple(counts)) if ordered else None


def _checked_successors(
    before: str, entries: list[Any], floor: int, canonical: dict[str, str], where: str
) -> Packed:
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
    return _pack(ranked)  # pragma: no cover - the quick path accepts every valid list


# --------------------------------------------------------------------- serving

#: Default seconds between two looks at the snapshot file (``TRANSITIONS_CHECK_SECONDS``).
DEFAULT_CHECK_SECONDS: Final[float] = 300.0


class TransitionsLoader:
    """Serves the snapshot at ``path``, re-reading it only when it changed.

    :meth:`get` looks at the file at most every ``check_seconds`` (one ``stat``: the
    modification time and size); it reads and checks the file only when those changed. A
    missing, unreadable or malformed file is logged (once per state of the file) and the
    last good model is kept, so a bad upload never takes learned next steps away; before
    any good read, :meth:`get` returns ``None`` (recommend from the graph alone). Never a
    scan of the progress store: the snapshot is built elsewhere (the aggregator, or
    ``python -m lex_bot transitions rebuild``).

    Parameters
    ----------
    path : str or path-like
        The snapshot file (see the module docstring).
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
        self._loaded: tuple[int, int] | None = None  # (mtime_ns, size) of the served file
        self._seen: tuple[int, int] | None = None  # ... of the file last looked at
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
        signature = (stat.st_mtime_ns, stat.st_size)
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

    def _failed(self, signature: tuple[int, int] | None, problem: str) -> None:
        if problem != self.problem:
            logger.warning(
                "transitions snapshot not used; keeping the last good one",
                extra={"problem": problem, "serving": self._model is not None},
            )
        self._seen, self.problem = signature, problem


def loader_from_env(environ: Mapping[str, str] | None = None) -> TransitionsLoader | None:
    """The :class:`TransitionsLoader` the environment asks for, or ``None``.

    ``TRANSITIONS_SNAPSHOT``: the snapshot file (unset or empty: no learned component).
    ``TRANSITIONS_CHECK_SECONDS``: seconds between looks at it (default 300; a value that
    is not a non-negative number falls back to the default).

    Example
    -------
    >>> loader = loader_from_env({"TRANSITIONS_SNAPSHOT": "/mnt/lessons/.transitions.json"})
    >>> str(loader.path), loader.check_seconds
    ('/mnt/lessons/.transitions.json', 300.0)
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
