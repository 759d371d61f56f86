"""Loading the lesson graph from files, directories or S3, with safe, incremental hot reload.

* :func:`load_graph` loads a graph once (from the compiled index when it matches the files).
* :class:`GraphLoader` serves a graph and reloads it when the source changes, keeping
  the last good graph when a new version is broken, unreadable or still being written.
* :func:`loader_from_env` configures a loader from ``LESSON_GRAPH_PATH``,
  ``LESSON_GRAPH_CHECK_SECONDS`` and ``LESSON_GRAPH_SETTLE_SECONDS``.

For a folder of course files the loader works from the compiled index
(:mod:`knowledge_graph.compiled`, memory-mapped) and the content hashes of the files:

* **cold start**: read and hash the course files, open the compiled index (digests and
  structure checked); when it was built from exactly these files it is served as is.
  When some files differ, the index is served first (it is the last good graph) and the
  differing files are treated like any change below. Without a usable index, the files
  are validated in full.
* **changes**: at most every ``check_interval`` seconds the files are ``stat``-ed; a file
  whose size or mtime changed is read and hashed, and only a new content hash is a change
  (a touch costs one read). A change is taken only once it has been seen identical (size,
  mtime, hash) at two checks at least ``settle_seconds`` apart, so a file being saved is
  never served half-way. Then only the changed files are parsed and checked, and spliced
  into the index (:mod:`knowledge_graph.incremental`); when that cannot decide, every file
  is validated in full.
* **publish manifest**: when ``.lessonbot-manifest.json`` (written last by
  ``make publish-graph``) is present, only a new manifest triggers a reload, and the
  index it names is served; edits to the course files in between are not picked up.

S3 sources and single files are validated in full on every (settled) change.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge_graph.compiled import (
    MANIFEST_NAME,
    current_version,
    open_index,
    read_manifest,
    release_freed_memory,
    spill_tables,
    version_path,
)
from knowledge_graph.errors import (
    GraphError,
    GraphNotLoadedError,
    GraphSourceError,
    GraphValidationError,
)
from knowledge_graph.file_format import MAX_FILE_BYTES
from knowledge_graph.index import index_to_networkx
from knowledge_graph.mapped_arrays import sha256_hex
from knowledge_graph.model import LessonGraph
from knowledge_graph.sources import RawDocument, Signature, list_course_files, open_source
from knowledge_graph.tables import (
    CompiledIndexError,
    LessonTables,
    MappedGraphIndex,
    tables_from_graph,
)

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.validation.issues import ValidationReport

logger = logging.getLogger(__name__)


# Validation (pydantic models, networkx) is imported only when files have to be checked:
# a cold start from a current compiled index does not need it.
def validate_documents(documents: list[RawDocument]) -> ValidationReport:
    """:func:`knowledge_graph.validation.validate_documents`, imported on first use."""
    from knowledge_graph.validation import validate_documents as validate

    return validate(documents)


def apply_changes(
    tables: LessonTables, changed: Mapping[str, RawDocument | None]
) -> tuple[LessonTables, ValidationReport]:
    """:func:`knowledge_graph.incremental.apply_changes`, imported on first use; the new
    tables are written to local disk as they are built and served memory-mapped
    (:func:`knowledge_graph.compiled.spill_tables`), so that a reload holds no second
    in-memory copy of the index next to the one being served."""
    from knowledge_graph.incremental import apply_changes as apply

    result = spill_tables(lambda spill: apply(tables, changed, spill))
    # A text-only edit writes the served index arrays into the new index: drop the pages
    # of the served index that this read (the page cache keeps them; turns map back what
    # they read), so they do not stay resident next to the new index's.
    tables.release_pages()
    return result  # type: ignore[no-any-return]


#: Where Lambda functions find the lesson files (an EFS mount) by default.
LAMBDA_DEFAULT_LOCATION = "/mnt/lessons"
#: The sample course bundled with the repository.
BUNDLED_LOCATION = str(Path(__file__).resolve().parent.parent / "data" / "lessons")
DEFAULT_CHECK_SECONDS = 30.0
#: A changed file must look the same at two checks at least this far apart to be taken.
DEFAULT_SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class FileState:
    """What the loader knows of one course file: size, mtime (ns) and content SHA-256."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class _Pending:
    """A change seen at ``first_seen`` (loader clock); ``state`` None means deleted."""

    state: FileState | None
    first_seen: float


def _build(report: ValidationReport) -> LessonGraph:
    """Turn a clean report into a LessonGraph; raise GraphValidationError otherwise."""
    if not report.ok or report.graph is None:
        raise GraphValidationError(report)
    return LessonGraph.from_networkx(report.graph)


def serve_tables(tables: LessonTables) -> LessonGraph:
    """A :class:`LessonGraph` served from ``tables`` (no networkx; built on demand)."""
    index = MappedGraphIndex(tables)
    attributes = {"courses": tables.meta["courses"]}
    return LessonGraph(
        None,
        index,
        attributes=attributes,
        build_graph=partial(index_to_networkx, index, attributes),
    )


def _tables_of(report: ValidationReport, documents: list[RawDocument]) -> LessonTables:
    """The tables of a clean full validation (for later incremental reloads)."""
    if not report.ok or report.graph is None:
        raise GraphValidationError(report)
    files = [
        {"name": d.name, "sha256": sha256_hex(d.content), "size": len(d.content)}
        for d in sorted(documents, key=lambda d: d.name)
    ]
    return tables_from_graph(report.graph, report.declarations, files)


def load_graph(path: str | os.PathLike[str]) -> LessonGraph:
    """Validate and load the lesson graph at ``path``.

    A folder with a compiled index built from the same files (content hashes) is served
    from it; files changed since are spliced in (only they are checked), and without a
    usable index every file is validated.

    Parameters
    ----------
    path : str or path-like
        A course file, a directory of course files, or an ``s3://`` URL.

    Returns
    -------
    LessonGraph

    Raises
    ------
    GraphSourceError
        When the path does not exist or cannot be read.
    GraphValidationError
        When the files contain errors (``exc.report`` holds the details).

    Example
    -------
    >>> graph = load_graph("data/lessons")
    >>> graph.lesson("python-intro/for-loops").title
    'For Loops'
    """
    source = open_source(path)
    documents = source.read()
    folder = source.compiled_folder()
    if folder is not None:
        tables = _compiled_tables(folder, log=True)
        if tables is not None:
            changed = _changed_documents(tables, documents)
            if not changed:
                return serve_tables(tables)
            from knowledge_graph.incremental import NotIncremental

            try:
                return serve_tables(apply_changes(tables, changed)[0])
            except NotIncremental:
                pass
    return _build(validate_documents(documents))


def _compiled_tables(folder: str, *, log: bool) -> LessonTables | None:
    """The current compiled index of ``folder`` (None when absent or unusable, logged)."""
    try:
        version = current_version(folder)
        return None if version is None else open_index(version)
    except CompiledIndexError as exc:
        if log:
            logger.warning(
                "compiled index not used: %s",
                exc,
                extra={"location": folder, "reason": str(exc)},
            )
        return None


def _changed_documents(
    tables: LessonTables, documents: list[RawDocument]
) -> dict[str, RawDocument | None]:
    """The documents whose content differs from what ``tables`` was built from."""
    sources = tables.sources()
    current = {os.path.basename(d.name): d for d in documents}
    changed: dict[str, RawDocument | None] = {
        name: doc for name, doc in current.items() if sources.get(name) != sha256_hex(doc.content)
    }
    changed.update((name, None) for name in sources if name not in current)
    return changed


@dataclass(frozen=True)
class LoaderStatus:
    """A snapshot of a :class:`GraphLoader`'s state (for health checks and logs)."""

    location: str
    loaded: bool
    loaded_at: float | None
    checked_at: float | None
    signature: Signature | None
    last_error: str | None
    reloads: int
    warnings: int
    pending: tuple[str, ...] = ()
    via: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict (the signature is reduced to its file count)."""
        return {
            "location": self.location,
            "loaded": self.loaded,
            "loaded_at": self.loaded_at,
            "checked_at": self.checked_at,
            "files": None if self.signature is None else len(self.signature),
            "last_error": self.last_error,
            "reloads": self.reloads,
            "warnings": self.warnings,
            "pending": list(self.pending),
            "via": self.via,
        }


class GraphLoader:
    """Serve a lesson graph and reload it when its source changes.

    Parameters
    ----------
    location : str or path-like, optional
        File, directory or ``s3://`` URL; defaults to the bundled ``data/lessons``.
    check_interval : float, default 30
        Minimum number of seconds (by ``clock``) between two checks of the source.
    clock : callable, default time.monotonic
        Returns the current time in seconds; inject a fake one in tests.
    s3_client : optional
        A boto3 S3 client to use instead of creating one.
    settle_seconds : float, default 2
        A changed file is taken only once it looked the same (size, mtime, content hash)
        at two checks at least this many seconds apart (by ``clock``); 0 takes a change
        at the check that sees it. While a change settles, the source is checked again as
        soon as the settle time has passed.
    wall_clock, sleep : callables, default time.time and time.sleep
        Used only by a first load without a usable compiled index: a course file modified
        less than ``settle_seconds`` ago (by its mtime) is waited for once, for at most
        ``settle_seconds``, and must then be unchanged.

    Behaviour: see the module docstring. A changed source is validated and built completely
    before the served graph is swapped. When the new version is broken or unreadable the
    last good graph keeps being served and one ERROR is logged per distinct failure.

    Example
    -------
    >>> loader = GraphLoader("data/lessons", check_interval=60)
    >>> loader.get().lesson("python-intro/variables").title
    'Variables and Assignment'
    >>> loader.status().loaded, loader.reload()  # unchanged files: the same graph is kept
    (True, False)
    """

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        check_interval: float = DEFAULT_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        *,
        s3_client: Any = None,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.location = os.fspath(location) if location else BUNDLED_LOCATION
        self.check_interval = float(check_interval)
        self.settle_seconds = max(0.0, float(settle_seconds))
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._source = open_source(self.location, s3_client=s3_client)
        self._folder = self._source.compiled_folder()
        self._lock = threading.Lock()
        self._graph: LessonGraph | None = None
        self._tables: LessonTables | None = None
        self._signature: Signature | None = None
        self._states: dict[str, FileState] = {}
        self._seen: dict[str, tuple[int, int]] = {}
        self._pending: dict[str, _Pending] = {}
        self._pending_signature: tuple[Signature, float] | None = None
        self._rejected: tuple[tuple[str, str | None], ...] | None = None
        self._manifest_stat: tuple[int, int] | None = None
        self._publication: str | None = None
        self._failed: tuple[Any, str, bool] | None = None
        self._last_error: str | None = None
        self._checked_at: float | None = None
        self._loaded_at: float | None = None
        self._reloads = 0
        self._warnings = 0
        self._via: str | None = None

    def get(self) -> LessonGraph:
        """Return the current graph, checking the source when the interval has passed.

        Raises
        ------
        GraphNotLoadedError
            When no graph has ever loaded; ``exc.reason`` says why.
        """
        if self._graph is None or self._due():
            with self._lock:  # also waits for a first load in progress in another thread
                if self._due():
                    self._refresh()
        graph = self._graph
        if graph is None:
            raise GraphNotLoadedError(self._last_error or "not loaded yet")
        return graph

    def reload(self) -> bool:
        """Check the source now, ignoring the interval; return True when a new graph loaded."""
        with self._lock:
            before = self._graph
            self._refresh()
            return self._graph is not before

    def status(self) -> LoaderStatus:
        """Return the loader's current state."""
        return LoaderStatus(
            location=self.location,
            loaded=self._graph is not None,
            loaded_at=self._loaded_at,
            checked_at=self._checked_at,
            signature=self._signature,
            last_error=self._last_error,
            reloads=self._reloads,
            warnings=self._warnings,
            pending=tuple(sorted(self._pending)),
            via=self._via,
        )

    # ----------------------------------------------------------------- checks

    def _due(self) -> bool:
        """True when never checked, the interval has passed, or a pending change settled."""
        if self._checked_at is None:
            return True
        now = self._clock()
        if now - self._checked_at >= self.check_interval:
            return True
        firsts = [p.first_seen for p in self._pending.values()]
        if self._pending_signature is not None:
            firsts.append(self._pending_signature[1])
        return bool(firsts) and now - min(firsts) >= self.settle_seconds

    def _refresh(self) -> None:
        """Check the source and reload when it changed (call with the lock held)."""
        now = self._clock()
        self._checked_at = now
        try:
            if self._folder is not None:
                self._refresh_folder(self._folder, now)
            else:
                self._refresh_whole(now)
        except Exception as exc:  # a bug while building must not take the bot down
            logger.exception("lesson graph build crashed", extra={"location": self.location})
            self._fail(None, f"cannot build lesson graph: {type(exc).__name__}: {exc}")

    # ---------------------------------------------------- S3 and single files

    def _refresh_whole(self, now: float) -> None:
        """Compare the signature; reload everything once a change has settled."""
        try:
            signature = self._source.signature()
        except GraphError as exc:
            self._fail(None, str(exc))
            return
        if self._graph is not None and signature == self._signature:
            self._pending_signature = None
            self._failed, self._last_error = None, None
            return
        if self._failed is not None and self._failed[0] == signature and self._failed[2]:
            return  # the same invalid content as last time: already reported
        if self._graph is not None and self.settle_seconds > 0:
            pending = self._pending_signature
            if pending is None or pending[0] != signature:
                self._pending_signature = (signature, now)
                return
            if now - pending[1] < self.settle_seconds:
                return
        self._pending_signature = None
        try:
            documents = self._source.read()
            report = validate_documents(documents)
            graph = _build(report)
        except GraphValidationError as exc:
            problems = exc.report.format()
            self._fail(signature, f"invalid lesson graph at {self.location}:\n{problems}", True)
            return
        except GraphError as exc:
            self._fail(signature, str(exc))
            return
        self._signature = signature
        self._swap(graph, None, report, via="validated", files=len(signature))

    # -------------------------------------------------------------- folders

    def _refresh_folder(self, folder: str, now: float) -> None:
        manifest_path = os.path.join(folder, MANIFEST_NAME)
        try:
            info = os.stat(manifest_path)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            self._fail(None, f"{manifest_path}: cannot stat: {exc.strerror or exc}")
            return
        if info is not None:
            self._refresh_published(folder, (info.st_size, info.st_mtime_ns))
            return
        self._manifest_stat = self._publication = None
        try:
            stats = self._stat_files(folder)
        except GraphSourceError as exc:
            self._fail(None, str(exc))
            return
        self._signature = tuple((name, m, s) for name, (s, m) in sorted(stats.items()))
        if self._graph is None:
            self._first_load(folder, stats, now)
            return
        self._check_changes(folder, stats, now, {})

    def _stat_files(self, folder: str) -> dict[str, tuple[int, int]]:
        """``name -> (size, mtime_ns)`` of the course files; raise GraphSourceError."""
        stats = {}
        for path in list_course_files(folder):
            try:
                info = path.stat()
            except OSError as exc:
                raise GraphSourceError(f"{path}: cannot stat: {exc.strerror or exc}") from exc
            stats[path.name] = (info.st_size, info.st_mtime_ns)
        if not stats:
            raise GraphSourceError(f"{folder}: no course files (*.yaml, *.yml, *.json) found")
        return stats

    def _read(self, folder: str, name: str) -> tuple[FileState, bytes]:
        """Read one course file; its state from the bytes read and a stat around them."""
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as handle:
                before = os.fstat(handle.fileno())
                content = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise GraphSourceError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        state = FileState(before.st_size, before.st_mtime_ns, sha256_hex(content))
        return state, content

    def _first_load(self, folder: str, stats: dict[str, tuple[int, int]], now: float) -> None:
        """Cold start: the compiled index when usable, else every file validated."""
        tables = _compiled_tables(folder, log=True)
        recorded = {} if tables is None else tables.sources()
        read: dict[str, tuple[FileState, bytes]] = {}
        try:
            for name in stats:  # one file in memory at a time; kept only when needed
                state, content = self._read(folder, name)
                read[name] = (state, content if recorded.get(name) != state.sha256 else b"")
        except GraphSourceError as exc:
            self._fail(None, str(exc))
            return
        if tables is not None:
            self._swap(serve_tables(tables), tables, None, via="compiled index", files=len(stats))
            self._states = {
                f["name"]: FileState(int(f["size"]), -1, str(f["sha256"]))
                for f in tables.meta["files"]
            }
            self._seen = {}
            differing = sorted(
                {n for n, (state, _) in read.items() if recorded.get(n) != state.sha256}
                | {n for n in recorded if n not in read}
            )
            if differing:
                logger.info(
                    "course files differ from the compiled index; serving the index until "
                    "the changes settle",
                    extra={"location": folder, "files": differing},
                )
            self._check_changes(folder, stats, now, read)
            return
        fresh = [
            name
            for name, (_, mtime_ns) in stats.items()
            if self._wall_clock() - mtime_ns / 1e9 < self.settle_seconds
        ]
        if fresh and self.settle_seconds > 0:
            newest = max(stats[name][1] for name in fresh) / 1e9
            self._sleep(
                max(
                    0.0, min(self.settle_seconds, newest + self.settle_seconds - self._wall_clock())
                )
            )
            try:
                again = {name: self._read(folder, name)[0] for name in fresh}
            except GraphSourceError as exc:
                self._fail(None, str(exc))
                return
            if any(again[name] != read[name][0] for name in fresh):
                self._fail(None, f"course files still being written: {', '.join(sorted(fresh))}")
                return
        documents = [RawDocument(os.path.join(folder, n), c) for n, (_, c) in sorted(read.items())]
        self._load_all(folder, documents, {n: s for n, (s, _) in read.items()}, stats)

    def _load_all(
        self,
        folder: str,
        documents: list[RawDocument],
        states: dict[str, FileState],
        stats: Mapping[str, tuple[int, int]],
    ) -> None:
        """Validate every file; serve the result or record the failure."""
        signature = tuple(sorted((n, s.sha256) for n, s in states.items()))
        if self._failed is not None and self._failed[0] == signature and self._failed[2]:
            self._pending = {}
            return  # the same invalid content as last time: already reported
        try:
            report = validate_documents(documents)
            # served memory-mapped from local disk, like a compiled index
            tables = spill_tables(lambda _: (_tables_of(report, documents), None))[0]
        except GraphValidationError as exc:
            self._pending = {}
            problems = exc.report.format()
            self._fail(signature, f"invalid lesson graph at {self.location}:\n{problems}", True)
            return
        self._states, self._seen, self._pending = dict(states), dict(stats), {}
        self._swap(serve_tables(tables), tables, report, via="validated", files=len(states))

    def _check_changes(
        self,
        folder: str,
        stats: dict[str, tuple[int, int]],
        now: float,
        already_read: dict[str, tuple[FileState, bytes]],
    ) -> None:
        """Find changed contents, wait for them to settle, then splice them in."""
        changed: dict[str, tuple[FileState, bytes] | None] = {}
        try:
            for name, stat in stats.items():
                if name in self._states and self._seen.get(name) == stat:
                    continue
                state, content = already_read.get(name) or self._read(folder, name)
                known = self._states.get(name)
                if known is not None and known.sha256 == state.sha256:
                    self._seen[name] = stat  # touched, not changed
                    continue
                changed[name] = (state, content)
        except GraphSourceError as exc:
            self._fail(None, str(exc))
            return
        changed.update((name, None) for name in self._states if name not in stats)
        if not changed:
            self._pending = {}
            self._failed, self._last_error = None, None
            return
        key = tuple(sorted((n, None if c is None else c[0].sha256) for n, c in changed.items()))
        if key == self._rejected:
            self._pending = {}
            return  # the same broken content as last time: already reported
        pending: dict[str, _Pending] = {}
        settled = True
        for name, item in changed.items():
            state = None if item is None else item[0]
            before = self._pending.get(name)
            first = before.first_seen if before is not None and before.state == state else now
            pending[name] = _Pending(state, first)
            settled &= now - first >= self.settle_seconds
        self._pending = pending
        if not settled:
            logger.debug(
                "lesson files changed; waiting for them to settle",
                extra={"location": folder, "files": sorted(changed)},
            )
            return
        documents = {
            name: None if item is None else RawDocument(os.path.join(folder, name), item[1])
            for name, item in changed.items()
        }
        states = {name: item[0] for name, item in changed.items() if item is not None}
        new_states = {n: s for n, s in self._states.items() if n in stats}
        new_states.update(states)
        from knowledge_graph.incremental import NotIncremental

        try:
            assert self._tables is not None
            tables, report = apply_changes(self._tables, documents)
        except GraphValidationError as exc:
            self._rejected, self._pending = key, {}
            problems = exc.report.format()
            self._fail(key, f"invalid lesson graph at {self.location}:\n{problems}", True)
            return
        except NotIncremental as exc:
            logger.info("validating every lesson file: %s", exc, extra={"location": folder})
            try:
                read = {name: self._read(folder, name) for name in stats}
            except GraphSourceError as error:
                self._fail(None, str(error))
                return
            if any(read[n][0].sha256 != s.sha256 for n, s in states.items()):
                return  # changed again meanwhile: settle again at the next check
            docs = [RawDocument(os.path.join(folder, n), c) for n, (_, c) in sorted(read.items())]
            self._load_all(folder, docs, {n: s for n, (s, _) in read.items()}, stats)
            if self._failed is not None and self._failed[2]:
                self._rejected, self._pending = key, {}
            return
        self._states = new_states
        self._seen = {n: stats[n] for n in new_states if n in stats}
        self._pending = {}
        self._swap(serve_tables(tables), tables, report, via="incremental", files=len(stats))

    def _refresh_published(self, folder: str, stat: tuple[int, int]) -> None:
        """Manifest mode: reload exactly when a new publication appears."""
        if self._graph is not None and stat == self._manifest_stat:
            return
        try:
            manifest = read_manifest(folder)
        except CompiledIndexError as exc:
            self._fail(stat, f"publish manifest not used: {exc}")
            return
        self._manifest_stat = stat
        if manifest is None:
            return
        publication = manifest["publication"]
        if self._graph is not None and publication == self._publication:
            return
        try:
            tables = open_index(version_path(folder, manifest["index"]))
            if tables.meta.get("content_sha256") != manifest.get("index_sha256"):
                raise CompiledIndexError("the index differs from the one the manifest names")
            expected = {name: spec.get("sha256") for name, spec in manifest["files"].items()}
            if tables.sources() != expected:
                raise CompiledIndexError("the index was built from other files than published")
        except CompiledIndexError as exc:
            logger.warning(
                "compiled index not used: %s",
                exc,
                extra={"location": folder, "reason": str(exc), "publication": publication},
            )
            try:
                documents = self._source.read()
            except GraphError as error:
                self._fail(stat, str(error))
                return
            states = {
                os.path.basename(d.name): FileState(len(d.content), -1, sha256_hex(d.content))
                for d in documents
            }
            self._load_all(folder, documents, states, {})
            if self._graph is not None and self._failed is None:
                self._publication = publication
            return
        self._publication = publication
        self._states = {
            f["name"]: FileState(int(f["size"]), -1, str(f["sha256"])) for f in tables.meta["files"]
        }
        self._swap(
            serve_tables(tables),
            tables,
            None,
            via="publication " + publication,
            files=len(self._states),
        )

    # ---------------------------------------------------------------- results

    def _swap(
        self,
        graph: LessonGraph,
        tables: LessonTables | None,
        report: ValidationReport | None,
        *,
        via: str,
        files: int,
    ) -> None:
        replaced = self._graph is not None
        self._graph, self._tables = graph, tables
        if replaced:  # the old graph's arrays are freed now (unless a caller still holds it)
            release_freed_memory()
        self._failed, self._last_error = None, None
        self._rejected = None
        self._loaded_at = time.time()
        self._reloads += 1
        self._via = via
        warnings = report.warnings if report is not None else []
        self._warnings = len(warnings)
        logger.info(
            "lesson graph loaded",
            extra={
                "location": self.location,
                "files": files,
                "lessons": len(graph),
                "warnings": len(warnings),
                "compiled": report is None,
                "via": via,
                "reloads": self._reloads,
            },
        )
        for warning in warnings:
            logger.debug("lesson graph warning: %s", warning.format())

    def _fail(self, signature: Any, reason: str, invalid: bool = False) -> None:
        """Record a failed load; log it once per distinct (signature, reason).

        ``invalid`` marks content errors, which are not retried until the content changes
        (I/O errors are retried at every check, but logged only once).
        """
        self._last_error = reason
        key = (signature, reason, invalid)
        if self._failed == key:
            return
        self._failed = key
        serving = "keeping the last good graph" if self._graph is not None else "no graph loaded"
        logger.error(
            "lesson graph reload failed (%s): %s",
            serving,
            reason,
            extra={
                "location": self.location,
                "error": reason,
                "serving_previous": self._graph is not None,
            },
        )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        logger.warning(f"{name} is not a number; using the default", extra={"value": raw})
        return default
    if value < 0 or value != value or value == float("inf"):
        return default
    return value


def loader_from_env(environ: Mapping[str, str] | None = None) -> GraphLoader:
    """Build a :class:`GraphLoader` from environment variables.

    ``LESSON_GRAPH_PATH``: file, directory, ``s3://bucket/key`` or ``s3://bucket/prefix/``;
    defaults to ``/mnt/lessons`` inside Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set), else the
    bundled ``data/lessons``. ``LESSON_GRAPH_CHECK_SECONDS``: check interval (default 30).
    ``LESSON_GRAPH_SETTLE_SECONDS``: how long a changed file must stay the same before it
    is taken (default 2).

    Example
    -------
    >>> loader = loader_from_env({"LESSON_GRAPH_PATH": "/srv/lessons"})
    >>> loader.location, loader.settle_seconds
    ('/srv/lessons', 2.0)
    """
    env = os.environ if environ is None else environ
    location = env.get("LESSON_GRAPH_PATH", "").strip()
    if not location:
        in_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
        location = LAMBDA_DEFAULT_LOCATION if in_lambda else BUNDLED_LOCATION
    interval = _seconds(env, "LESSON_GRAPH_CHECK_SECONDS", DEFAULT_CHECK_SECONDS)
    settle = _seconds(env, "LESSON_GRAPH_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS)
    return GraphLoader(location, check_interval=interval, settle_seconds=settle)


__all__ = [
    "BUNDLED_LOCATION",
    "DEFAULT_CHECK_SECONDS",
    "DEFAULT_SETTLE_SECONDS",
    "LAMBDA_DEFAULT_LOCATION",
    "FileState",
    "GraphLoader",
    "LoaderStatus",
    "load_graph",
    "loader_from_env",
    "serve_tables",
]
